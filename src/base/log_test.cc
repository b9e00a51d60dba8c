#include "base/log.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <sstream>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

namespace roadside {
namespace {

std::vector<nlohmann::json> lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(Log, WritesOneJsonObjectPerLineAndFiltersByLevel) {
  std::ostringstream out;
  log::redirect_for_testing(out);
  log::set_level(log::Level::info);
  log::debug("hidden");
  log::info("listening", {{"port", 5588}, {"component", "health"}});
  log::warn("quote \" and newline \n and bad utf8 \xff");
  auto l = lines(out.str());
  ASSERT_EQ(l.size(), 2u) << out.str();
  EXPECT_EQ(l[0]["level"], "info");
  EXPECT_EQ(l[0]["msg"], "listening");
  EXPECT_EQ(l[0]["port"], 5588);
  EXPECT_EQ(l[0]["component"], "health");
  EXPECT_TRUE(l[0].contains("time"));
  EXPECT_EQ(l[1]["level"], "warn");
}

TEST(Log, AuditRecordsAreMarked) {
  std::ostringstream out;
  log::redirect_for_testing(out);
  log::set_level(log::Level::off);  // the audit log is not subject to the level
  log::audit("Log in user", "admin", {{"method", "api-key"}});
  auto l = lines(out.str());
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]["log"], "audit");
  EXPECT_EQ(l[0]["msg"], "Log in user");
  EXPECT_EQ(l[0]["user"], "admin");
  EXPECT_EQ(l[0]["data"]["method"], "api-key");
  log::set_level(log::Level::info);
}

TEST(Log, AnObserverIsToldOfEachAuditRecordAfterItIsWritten) {
  std::ostringstream out;
  log::redirect_for_testing(out);
  std::vector<nlohmann::json> seen;
  log::observe_audit([&](Clock::time_point time, const log::Fields& record) {
    EXPECT_GT(time.time_since_epoch().count(), 0);
    EXPECT_NE(out.str().find("Add client"), std::string::npos);  // written first
    seen.push_back(record);
  });
  log::info("not an audit record");
  log::audit("Add client", "admin", {{"clientIdentifier", "DEV:COM:1:SUB"}}, {{"auth", "Session"}});
  log::observe_audit({});
  log::audit("Delete client", "admin");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0]["event"], "Add client");
  EXPECT_EQ(seen[0]["user"], "admin");
  EXPECT_EQ(seen[0]["auth"], "Session");
  EXPECT_EQ(seen[0]["data"]["clientIdentifier"], "DEV:COM:1:SUB");
}

TEST(Log, ParsesXRoadLevelNames) {
  EXPECT_EQ(*log::parse_level("INFO"), log::Level::info);
  EXPECT_EQ(*log::parse_level("debug"), log::Level::debug);
  EXPECT_EQ(*log::parse_level("ALL"), log::Level::trace);
  EXPECT_EQ(*log::parse_level("OFF"), log::Level::off);
  auto bad = log::parse_level("LOUD");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail().find("LOUD"), std::string::npos);
}

json::Members with_id(std::string_view id) {
  json::Members m;
  m.add("id", id);
  return m;
}

// fd 1 on a pipe for the life of the object, and the loggers on stdout as serve has them, so
// what the real stdout sink writes can be read.
class StdoutPipe {
 public:
  StdoutPipe() {
    log::stdout_for_testing();
    std::fflush(stdout);
    EXPECT_EQ(::pipe(fds_), 0);
    saved_ = ::dup(STDOUT_FILENO);
    ::dup2(fds_[1], STDOUT_FILENO);
  }
  ~StdoutPipe() {
    log::flush();
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  StdoutPipe(const StdoutPipe&) = delete;
  StdoutPipe& operator=(const StdoutPipe&) = delete;

  // What reaches the pipe until it holds `count` lines or `wait` has passed.
  std::string read(std::size_t count, std::chrono::milliseconds wait) {
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (static_cast<std::size_t>(std::count(got.begin(), got.end(), '\n')) < count) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fds_[0], POLLIN, 0};  // polled once at least, even with no time left
      if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count()))) <= 0) break;
      char buf[4096];
      const auto n = ::read(fds_[0], buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  }

 private:
  int fds_[2] = {-1, -1};
  int saved_ = -1;
};

TEST(Log, AccessLinesReachStdoutWithinASecondUnasked) {
  StdoutPipe out;
  ASSERT_TRUE(log::init(log::Level::warn).ok());  // no other line to flush them
  log::access("message", with_id("a"));
  log::access("message", with_id("b"));
  auto l = lines(out.read(2, std::chrono::seconds(3)));
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0]["log"], "access");
  EXPECT_EQ(l[0]["id"], "a");
  EXPECT_EQ(l[1]["id"], "b");
}

TEST(Log, AnInfoLineTakesTheAccessLinesBeforeItAlongInOrder) {
  StdoutPipe out;
  ASSERT_TRUE(log::init(log::Level::info).ok());
  log::access("message", with_id("a"));
  EXPECT_EQ(out.read(1, std::chrono::milliseconds(0)), "");  // not written at once
  log::info("after");
  auto l = lines(out.read(2, std::chrono::milliseconds(0)));  // written with the info line
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0]["id"], "a");
  EXPECT_EQ(l[1]["msg"], "after");
}

TEST(Log, NoAccessLinesWhenTheLogIsOff) {
  StdoutPipe out;
  log::set_level(log::Level::off);
  log::access("message", with_id("a"));
  log::flush();
  EXPECT_EQ(out.read(1, std::chrono::milliseconds(1500)), "");
  log::set_level(log::Level::info);
}

}  // namespace
}  // namespace roadside
