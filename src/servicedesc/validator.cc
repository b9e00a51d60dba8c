#include "servicedesc/validator.h"

#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/utf8.h"

namespace roadside::servicedesc {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// X-Road reads the output with a BufferedReader: lines end at \n, \r\n or \r.
std::vector<std::string> lines_of(const std::string& out, bool cut, std::size_t max_output) {
  std::vector<std::string> lines;
  std::string line;
  bool pending = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    if (c == '\n' || c == '\r') {
      lines.push_back(std::move(line));
      line.clear();
      pending = false;
      if (c == '\r' && i + 1 < out.size() && out[i + 1] == '\n') ++i;
      continue;
    }
    line += c;
    pending = true;
  }
  if (pending) lines.push_back(std::move(line));
  for (auto& l : lines) {
    if (is_utf8(l)) continue;
    for (char& c : l) {
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
  }
  if (cut) lines.push_back("(validator output cut at " + std::to_string(max_output) + " bytes)");
  return lines;
}

std::string describe(const std::vector<std::string>& lines) {
  return lines.empty() ? std::string("no output") : "\"" + lines.front() + "\"" + (lines.size() > 1 ? " ..." : "");
}

// Waits for `pid` until `deadline`; its exit status as the shell reports it (128 + signal),
// or std::nullopt when it is still running.
std::optional<int> wait_until(pid_t pid, Clock::time_point deadline) {
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0 && errno != EINTR) return 255;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

Outcome<std::vector<Warning>> run_wsdl_validator(const WsdlValidatorConfig& config, std::string_view url) {
  if (config.argv.empty()) return std::vector<Warning>{};
  const std::string target(url);
  // posix_spawn takes char* const[] for arguments it does not change.
  std::vector<char*> args;
  for (const auto& a : config.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(const_cast<char*>(target.c_str()));
  args.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Failure(errc::wsdl_validator_not_executable, std::string("cannot make a pipe: ") + std::strerror(errno));
  }
  Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);

  // The child reads nothing, writes both streams into the pipe, and leads its own process
  // group, so a timeout ends whatever it started too. Its signal mask and dispositions are
  // the defaults whatever this process has set (a server ignores SIGPIPE).
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  write_end.reset();
  if (spawned != 0) {
    return Failure(errc::wsdl_validator_not_executable,
                   "cannot run WSDL validator " + config.argv.front() + ": " + std::strerror(spawned));
  }

  const auto deadline = Clock::now() + config.timeout;
  std::string output;
  bool cut = false, timed_out = false;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of output: every writer (the validator and its children) is done
    const std::size_t room = config.max_output - std::min(config.max_output, output.size());
    output.append(buf, std::min(room, static_cast<std::size_t>(n)));
    if (static_cast<std::size_t>(n) > room) cut = true;
  }
  std::optional<int> status;
  if (!timed_out) status = wait_until(pid, deadline);
  if (!status) {
    ::kill(-pid, SIGKILL);
    int ignored = 0;
    ::waitpid(pid, &ignored, 0);
    return Failure(errc::wsdl_validator_interrupted, "WSDL validator " + config.argv.front() +
                                                         " did not finish within " +
                                                         std::to_string(config.timeout.count()) + " ms for " + target);
  }
  std::vector<std::string> lines = lines_of(output, cut, config.max_output);
  if (*status != 0) {
    std::string detail =
        "WSDL validator refused " + target + " (exit " + std::to_string(*status) + "): " + describe(lines);
    return Failure(errc::invalid_wsdl, std::move(detail), std::move(lines));
  }
  if (lines.empty()) return std::vector<Warning>{};
  return std::vector<Warning>{{std::string(kWsdlValidationWarnings), std::move(lines)}};
}

}  // namespace roadside::servicedesc
