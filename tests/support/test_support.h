// Helpers shared by the test suites: temporary directories, the X-Road vectors, free ports.
#pragma once

#include <chrono>
#include <csignal>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace roadside::testing {

// A directory under $TMPDIR removed (recursively) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& p, const std::string& content);
std::string read_file(const std::filesystem::path& p);

// The X-Road test vectors: $ROADSIDE_VECTORS_DIR, else ../shared/vectors relative to the
// source tree. std::nullopt when absent (a user's clone): callers GTEST_SKIP with a message.
std::optional<std::filesystem::path> vectors_dir();
// The independent tools (jdk-xades-verify, ...): $ROADSIDE_TOOLS_DIR, else ../shared/tools
// relative to the source tree; std::nullopt when absent.
std::optional<std::filesystem::path> tools_dir();

// The root of the source tree and the build tree (for locating the roadside binary).
std::filesystem::path source_dir();
std::filesystem::path binary_dir();

// A TCP port on 127.0.0.1 that was free a moment ago.
unsigned short free_port();

// True when `done` holds, checked every few milliseconds until `timeout` passes. For what
// another thread finishes after the test saw its effect (a handler's state released after
// its answer was read).
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// True in an AddressSanitizer or ThreadSanitizer build, which runs several times slower:
// latency bounds written for the product's own build are stretched there, never dropped.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif
// `bound`, times three in a sanitizer build.
constexpr std::chrono::milliseconds latency_bound(std::chrono::milliseconds bound) {
  return kSanitized ? bound * 3 : bound;
}

}  // namespace roadside::testing

#define ROADSIDE_REQUIRE_VECTORS(var)                                                        \
  auto var##_opt = ::roadside::testing::vectors_dir();                                       \
  if (!var##_opt) GTEST_SKIP() << "X-Road test vectors not found (set ROADSIDE_VECTORS_DIR)"; \
  const std::filesystem::path var = *var##_opt

namespace roadside::testing {

// A child process (the roadside binary under test) with its stdout and stderr in a file.
class Process {
 public:
  // `env` entries are added to (or replace) this process's environment.
  Process(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
          const std::filesystem::path& output);
  ~Process();  // kills the child if it still runs
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  int pid() const { return pid_; }
  void signal(int signo) const;
  // The exit code (or 128 + signal) if the process ended within `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // Everything the process wrote so far.
  std::string output() const;
  // Waits until the output contains `needle`; false on timeout or exit.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout);

 private:
  int pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path output_;
};

// Ends a suite's shared instance (any type with a `std::unique_ptr<Process> up`): SIGTERM, up
// to 30 s for it to exit, then the instance is deleted and the pointer cleared.
template <typename Instance>
void stop_shared_instance(Instance*& instance) {
  if (instance && instance->up) {
    instance->up->signal(SIGTERM);
    instance->up->wait(std::chrono::seconds(30));
  }
  delete instance;
  instance = nullptr;
}

// The built roadside binary.
std::filesystem::path roadside_binary();

// A blocking HTTP GET on 127.0.0.1 (for process-level tests): status code and body.
struct HttpReply {
  int status = 0;
  std::string body;
};
std::optional<HttpReply> http_get(unsigned short port, const std::string& path, std::chrono::milliseconds timeout);

// The last line of a command's output (the X-Road error code of a failed verify-* run).
std::string last_line(const std::string& text);

// The value of one series in a Prometheus text page (`name{labels}` as written), or -1.
double metric(const std::string& text, const std::string& series);
// GET /metrics on `port` until `series` reads `value` (log lines may come before their
// metrics are set) or `timeout` passes; returns the last /metrics body.
std::string metrics_when(unsigned short port, const std::string& series, double value, std::chrono::milliseconds timeout);
// Sends raw bytes and reads until the server closes the connection.
std::string raw_request(unsigned short port, const std::string& bytes, std::chrono::milliseconds timeout);
// A TCP socket connected to 127.0.0.1:`port`, or -1.
int connect_loopback(unsigned short port);
// A TCP socket listening on 127.0.0.1 at a port the system picks (written to `port`), or -1.
int listen_loopback(unsigned short& port);

}  // namespace roadside::testing
