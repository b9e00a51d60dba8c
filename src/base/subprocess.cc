#include "base/subprocess.h"

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/errors.h"

namespace roadside {
namespace {

using SteadyClock = std::chrono::steady_clock;

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

Error io_error(std::string detail) {
  return Error(make_error_code(base::errc::io_error), std::move(detail));
}

// Its exit status as a shell reports it, once it has ended by `deadline`.
std::optional<int> wait_until(pid_t pid, SteadyClock::time_point deadline) {
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (r < 0 && errno != EINTR) return 255;
    if (SteadyClock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

}  // namespace

Result<ProcessOutcome> run_process(const ProcessSpec& spec) {
  if (spec.argv.empty()) return io_error("no program to run");
  const std::string& program = spec.argv.front();
  // posix_spawn takes char* const[] for arguments it does not change.
  std::vector<char*> args;
  for (const auto& a : spec.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e; ++e) {
    const std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string_view::npos) vars[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  for (const auto& k : spec.unset_env) vars.erase(k);
  for (const auto& [k, v] : spec.env) vars[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : vars) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  // stdin is a socket, not a pipe: send() with MSG_NOSIGNAL cannot raise SIGPIPE in this
  // process when the program exits without reading all of it.
  int in_fds[2], out_fds[2], err_fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_fds) != 0) {
    return io_error(std::string("cannot make a socket pair: ") + std::strerror(errno));
  }
  Fd in_parent(in_fds[0]), in_child(in_fds[1]);
  if (::pipe2(out_fds, O_CLOEXEC) != 0) return io_error(std::string("cannot make a pipe: ") + std::strerror(errno));
  Fd out_read(out_fds[0]), out_write(out_fds[1]);
  if (::pipe2(err_fds, O_CLOEXEC) != 0) return io_error(std::string("cannot make a pipe: ") + std::strerror(errno));
  Fd err_read(err_fds[0]), err_write(err_fds[1]);

  // Its own process group, and the default signal mask and dispositions whatever this
  // process has set (a server ignores SIGPIPE).
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, in_child.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  // Nothing else of this process's: its listening sockets and connections (Asio opens them
  // without close-on-exec) must not live on in gpg, a gpg-agent it starts, or a transfer script.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  in_child.reset();
  out_write.reset();
  err_write.reset();
  if (spawned != 0) return io_error("cannot run " + program + ": " + std::strerror(spawned));

  set_nonblocking(in_parent.get());
  const auto deadline = SteadyClock::now() + spec.timeout;
  ProcessOutcome outcome;
  std::size_t written = 0;
  if (spec.input.empty()) in_parent.reset();
  bool timed_out = false;
  char buf[64 * 1024];
  auto drain = [&](Fd& fd, std::string& into, std::size_t limit, bool* cut) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
      fd.reset();  // end of output: every writer (the program and its children) is done
      return;
    }
    const std::size_t room = limit - std::min(limit, into.size());
    into.append(buf, std::min(room, static_cast<std::size_t>(n)));
    if (static_cast<std::size_t>(n) > room && cut) *cut = true;
  };
  while (out_read.get() >= 0 || err_read.get() >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p[3];
    nfds_t n = 0;
    const int in_at = in_parent.get() >= 0 ? static_cast<int>(n) : -1;
    if (in_at >= 0) p[n++] = {in_parent.get(), POLLOUT, 0};
    const int out_at = out_read.get() >= 0 ? static_cast<int>(n) : -1;
    if (out_at >= 0) p[n++] = {out_read.get(), POLLIN, 0};
    const int err_at = err_read.get() >= 0 ? static_cast<int>(n) : -1;
    if (err_at >= 0) p[n++] = {err_read.get(), POLLIN, 0};
    const int ready = ::poll(p, n, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    if (in_at >= 0 && p[in_at].revents != 0) {
      const ssize_t w = ::send(in_parent.get(), spec.input.data() + written, spec.input.size() - written, MSG_NOSIGNAL);
      if (w > 0) written += static_cast<std::size_t>(w);
      // Done, or the program stopped reading (it exited or closed stdin): its status tells.
      if (written == spec.input.size() || (w < 0 && errno != EAGAIN && errno != EINTR)) in_parent.reset();
    }
    if (out_at >= 0 && p[out_at].revents != 0) drain(out_read, outcome.out, spec.max_stdout, &outcome.stdout_cut);
    if (err_at >= 0 && p[err_at].revents != 0) drain(err_read, outcome.err, spec.max_stderr, nullptr);
  }
  in_parent.reset();
  std::optional<int> status;
  if (!timed_out) status = wait_until(pid, deadline);
  if (!status) {
    ::kill(-pid, SIGKILL);
    int ignored = 0;
    ::waitpid(pid, &ignored, 0);
    return io_error(program + " did not finish within " + std::to_string(spec.timeout.count()) + " ms" +
                    (outcome.err.empty() ? std::string() : ": " + outcome.err));
  }
  outcome.status = *status;
  return outcome;
}

}  // namespace roadside
