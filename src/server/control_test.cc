// Issue 13, item 19: the control socket's request timer never touches a socket that is gone.
// Clients that connect and vanish, or answer just at the deadline, many times over; under
// ASan (the asan preset) a timer handler using the ended request's socket is a
// heap-use-after-free.
#include "server/control.h"

#include <atomic>
#include <cstring>
#include <thread>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "support/test_support.h"

namespace roadside::server {
namespace {

using namespace std::chrono_literals;

// Connects to `path` and sends `bytes` (possibly nothing), then closes at once.
void hit_and_run(const std::filesystem::path& path, const std::string& bytes) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 && !bytes.empty()) {
    (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  ::close(fd);
}

TEST(ControlSocketTimer, ClientsThatVanishOrMeetTheDeadlineLeaveTheServerServing) {
  roadside::testing::TempDir dir;
  boost::asio::io_context io;
  std::atomic<int> handled{0};
  // A deadline of 1 ms: the timer expires while requests are being read, answered and closed.
  ControlSocket control(
      io, dir.path() / "control.sock",
      [&](ControlRequest request) -> boost::asio::awaitable<std::string> {
        ++handled;
        co_return "ok: " + request.command;
      },
      1ms);
  ASSERT_TRUE(control.start().ok());
  std::thread loop([&io] { io.run(); });
  for (int i = 0; i < 300; ++i) {
    hit_and_run(control.path(), i % 3 == 0 ? "" : i % 3 == 1 ? "maintenance\n" : "maintenance\noff\n");
  }
  control.stop();
  io.stop();
  loop.join();
  EXPECT_GT(handled.load(), 0);
}

// A slow command (an admin request waiting on the network) does not hold up a quick one; a
// request without its argument line is not run; the answer names who asked.
TEST(ControlSocket, ServesSideBySideAndRunsOnlyWholeRequests) {
  roadside::testing::TempDir dir;
  boost::asio::io_context io;
  std::atomic<int> run{0};
  ControlSocket control(
      io, dir.path() / "control.sock", [&](ControlRequest request) -> boost::asio::awaitable<std::string> {
        ++run;
        if (request.command == "slow") {
          boost::asio::steady_timer wait(co_await boost::asio::this_coro::executor, 3s);
          co_await wait.async_wait(boost::asio::use_awaitable);
        }
        co_return "ok: " + request.command + " " + request.argument + " from " + std::to_string(request.uid);
      });
  ASSERT_TRUE(control.start().ok());
  std::thread loop([&io] { io.run(); });
  std::thread slow([&] { (void)control_request(control.path(), "slow", "", 10s); });
  std::this_thread::sleep_for(200ms);
  const auto started = std::chrono::steady_clock::now();
  auto quick = control_request(control.path(), "token-login", "1234", 2s);
  ASSERT_TRUE(quick.ok()) << quick.error().detail();
  EXPECT_EQ(*quick, "ok: token-login 1234 from " + std::to_string(::getuid()));
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  slow.join();
  const int before = run.load();
  hit_and_run(control.path(), "token-logout\n");  // no argument line: never run
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(run.load(), before);
  control.stop();
  io.stop();
  loop.join();
}

}  // namespace
}  // namespace roadside::server
