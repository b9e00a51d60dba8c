#include "server/control.h"

#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"

namespace roadside::server {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxAnswer = 64u << 20;

struct ControlSocket::Impl {
  // On a strand: the accept loop, each request and its timer never run side by side.
  Impl(asio::io_context& io, Handler h, std::chrono::milliseconds timeout, std::size_t max)
      : acceptor(asio::make_strand(io)), handler(std::move(h)), request_timeout(timeout), max_request(max) {}
  local::acceptor acceptor;
  Handler handler;
  std::chrono::milliseconds request_timeout;
  std::size_t max_request;

  static unsigned peer_uid(local::socket& socket) {
    ucred cred{};
    socklen_t size = sizeof cred;
    if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0)
      return static_cast<unsigned>(-1);
    return cred.uid;
  }

  // Closes the socket unless cancelled first. The handler shares the socket: cancel() cannot
  // recall a handler already queued (the timer expired as the step ended), and that handler
  // may run after the coroutine has ended.
  static void deadline(asio::steady_timer& timer, const std::shared_ptr<local::socket>& socket_ptr) {
    timer.async_wait([socket_ptr](boost::system::error_code ec) {
      if (!ec) socket_ptr->close(ec);
    });
  }

  // Reads one request: a command line and an argument line; nullopt when the client did not
  // send both within the deadline and the size limit. Every byte read is wiped after (a PIN).
  asio::awaitable<std::optional<ControlRequest>> read_request(local::socket& socket) {
    std::string line, rest;
    std::optional<ControlRequest> parsed;
    auto [ec, n] = co_await asio::async_read_until(socket, asio::dynamic_buffer(line, max_request), "\n", kTuple);
    if (!ec) {
      // What came after the command line is the argument line, or its start.
      const std::size_t first = line.find('\n');
      rest = line.substr(first + 1);
      std::fill(line.begin() + static_cast<std::ptrdiff_t>(first), line.end(), '\0');
      line.resize(first);
      bool complete = rest.find('\n') != std::string::npos;
      if (!complete) {
        auto [ec2, n2] = co_await asio::async_read_until(socket, asio::dynamic_buffer(rest, max_request), "\n", kTuple);
        complete = !ec2;
      }
      if (complete) parsed = ControlRequest{line, rest.substr(0, rest.find('\n')), peer_uid(socket)};
    }
    std::fill(line.begin(), line.end(), '\0');
    std::fill(rest.begin(), rest.end(), '\0');
    co_return parsed;
  }

  // One connection: its request read within request_timeout, answered, and the answer written
  // within request_timeout (a client that does not read is cut off).
  static asio::awaitable<void> serve(std::shared_ptr<Impl> self, local::socket accepted) {
    auto socket_ptr = std::make_shared<local::socket>(std::move(accepted));
    local::socket& socket = *socket_ptr;
    asio::steady_timer reading(socket.get_executor(), self->request_timeout);
    deadline(reading, socket_ptr);
    auto request = co_await self->read_request(socket);
    reading.cancel();
    std::string answer = "error: incomplete request";
    if (request) {
      try {
        answer = co_await self->handler(std::move(*request));
      } catch (const std::exception& e) {
        log::error("control socket: a command failed", {{"error", e.what()}});
        answer = "error: the command failed";
      }
    }
    answer += "\n";
    asio::steady_timer writing(socket.get_executor(), self->request_timeout);
    deadline(writing, socket_ptr);
    (void)co_await asio::async_write(socket, asio::buffer(answer), kTuple);
    writing.cancel();
    boost::system::error_code ignored;
    socket.close(ignored);
  }

  // Connections are served side by side (a slow admin request does not hold up a token login),
  // at most kMaxConnections at once; past that a client is told the server is busy.
  static constexpr int kMaxConnections = 4;
  int serving = 0;  // on the strand

  // (`self` keeps this alive while the loop runs.)
  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self) {
    for (;;) {
      auto [ec, socket] = co_await self->acceptor.async_accept(kTuple);
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) co_return;
      if (ec) continue;
      if (self->serving >= kMaxConnections) {
        (void)co_await asio::async_write(socket, asio::buffer(std::string_view("error: busy, try again\n")), kTuple);
        boost::system::error_code ignored;
        socket.close(ignored);
        continue;
      }
      ++self->serving;
      asio::co_spawn(self->acceptor.get_executor(), serve(self, std::move(socket)),
                     [self](const std::exception_ptr&) { --self->serving; });
    }
  }
};

ControlSocket::ControlSocket(asio::io_context& io, std::filesystem::path path, Handler handler,
                             std::chrono::milliseconds request_timeout, std::size_t max_request)
    : path_(std::move(path)), impl_(std::make_shared<Impl>(io, std::move(handler), request_timeout, max_request)) {}

ControlSocket::~ControlSocket() {
  stop();
}

Status ControlSocket::start() {
  if (path_.string().size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Error(std::make_error_code(std::errc::filename_too_long),
                 "the control socket path " + path_.string() + " is too long");
  }
  std::error_code fec;
  std::filesystem::remove(path_, fec);  // a stale socket from a process that died
  boost::system::error_code ec;
  const mode_t old = ::umask(0077);  // owner-only from the start
  impl_->acceptor.open(local(), ec);
  if (!ec) impl_->acceptor.bind(local::endpoint(path_.string()), ec);
  ::umask(old);
  if (!ec) impl_->acceptor.listen(4, ec);
  if (ec)
    return Error(std::error_code(ec.value(), std::generic_category()),
                 "cannot open the control socket " + path_.string() + ": " + ec.message());
  ::chmod(path_.c_str(), 0600);
  asio::co_spawn(impl_->acceptor.get_executor(), Impl::accept_loop(impl_), asio::detached);
  started_ = true;
  return {};
}

void ControlSocket::stop() {
  if (!started_.exchange(false)) return;
  // The acceptor belongs to its strand: the accept loop may be on another thread this moment,
  // so the close is posted there rather than done here. No client can reach the socket once
  // its path is gone, whether or not the close has run yet.
  asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
    boost::system::error_code ec;
    impl->acceptor.close(ec);
  });
  std::error_code fec;
  std::filesystem::remove(path_, fec);
}

Result<std::string> control_request(const std::filesystem::path& path, const std::string& command,
                                    const std::string& argument, std::chrono::milliseconds timeout) {
  auto fail = [&](const std::string& what) {
    return Error(std::error_code(errno, std::generic_category()),
                 what + " " + path.string() + ": " + std::strerror(errno));
  };
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof addr.sun_path) {
    return Error(std::make_error_code(std::errc::filename_too_long),
                 "the control socket path " + path.string() + " is too long");
  }
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("cannot create a socket for");
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    auto e = fail("no server answers on the control socket");
    ::close(fd);
    return e;
  }
  std::string request = command + "\n" + argument + "\n";
  const bool sent = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  std::fill(request.begin(), request.end(), '\0');
  if (!sent) {
    auto e = fail("cannot send to the control socket");
    ::close(fd);
    return e;
  }
  std::string answer;
  std::string buf(64 * 1024, '\0');
  for (ssize_t n; answer.size() < kMaxAnswer && (n = ::recv(fd, buf.data(), buf.size(), 0)) > 0;) {
    const std::size_t before = answer.size();
    answer.append(buf.data(), static_cast<std::size_t>(n));
    if (answer.find('\n', before) != std::string::npos) break;
  }
  ::close(fd);
  if (answer.find('\n') == std::string::npos) {
    return Error(std::make_error_code(std::errc::timed_out), "the server did not answer on " + path.string());
  }
  return answer.substr(0, answer.find('\n'));
}

}  // namespace roadside::server
