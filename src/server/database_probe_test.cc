// The database probe behind /readyz: a server whose database has not answered yet is not
// ready, and the probe never blocks the caller on the database.
#include "server/database_probe.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

namespace roadside::server {
namespace {

using namespace std::chrono_literals;

TEST(DatabaseProbe, NotReadyUntilTheDatabaseFirstAnswers) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  DatabaseProbe probe(
      [&]() -> std::optional<std::string> {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return release; });
        return std::nullopt;
      },
      10ms, 60s);
  const auto before = probe.status();
  ASSERT_TRUE(before.has_value()) << "ready before the database ever answered";
  EXPECT_NE(before->find("not answered yet"), std::string::npos) << *before;
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  std::optional<std::string> after = before;
  for (int i = 0; i < 500 && after; ++i) {
    std::this_thread::sleep_for(2ms);
    after = probe.status();
  }
  EXPECT_FALSE(after.has_value()) << *after;
}

}  // namespace
}  // namespace roadside::server
