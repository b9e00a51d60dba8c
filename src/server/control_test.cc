// Issue 13, item 19: the control socket's request timer never touches a socket that is gone.
// Clients that connect and vanish, or answer just at the deadline, many times over; under
// ASan (the asan preset) a timer handler using the ended request's socket is a
// heap-use-after-free.
#include "server/control.h"

#include <atomic>
#include <cstring>
#include <thread>

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

}  // namespace
}  // namespace roadside::server
