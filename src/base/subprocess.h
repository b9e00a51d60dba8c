// Running a helper program (gpg, an operator's transfer command) and waiting for it, with a
// deadline: argv, never a shell of our own making; its own process group, so a timeout ends
// whatever it started too; stdin fed from memory, stdout and stderr captured up to a limit.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace roadside {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is the program's path (not searched in PATH)
  std::string_view input;         // given on stdin, which is then closed
  std::filesystem::path cwd;      // empty: this process's working directory
  // Added to (or replacing) this process's environment.
  std::vector<std::pair<std::string, std::string>> env;
  // Left out of it (secrets a helper has no business with).
  std::vector<std::string> unset_env;
  std::chrono::milliseconds timeout{60'000};
  std::size_t max_stdout = 1 << 20;  // beyond it stdout is cut (ProcessOutcome::stdout_cut)
  std::size_t max_stderr = 64 << 10;
};

struct ProcessOutcome {
  int status = 0;  // the exit code, or 128 + the signal that ended it (as a shell reports it)
  std::string out, err;
  bool stdout_cut = false;
};

// Runs `spec` to its end. base::errc::io_error when it cannot be started or does not end
// within the timeout (it is then killed with its process group); the detail names argv[0].
// A program that runs and fails is not an error here: the caller reads `status`.
Result<ProcessOutcome> run_process(const ProcessSpec& spec);

}  // namespace roadside
