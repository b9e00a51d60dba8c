// X-Road's health check contract (issue 15, item 3): statuses and exact bodies for each
// state, X-Road's order, maintenance mode, and X-Road's caching (2 s for a pass, 30 s for a
// failure) on an injected clock.
#include "server/xroad_health.h"

#include <atomic>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "server/database_probe.h"
#include "server/health.h"
#include "storage/store.h"

namespace roadside::server {
namespace {

using namespace std::chrono_literals;
namespace http = boost::beast::http;

// Readiness checks whose answers the test sets, counting how often each runs.
class States {
 public:
  explicit States(Readiness& readiness) {
    for (const char* c : {"globalconf", "token", "ocsp", "storage", "serverconf", "proxy", "maintenance"}) {
      readiness.add(c, [this, c]() -> std::optional<std::string> {
        MutexLock lock(mu_);
        ++runs_[c];
        auto it = failing_.find(c);
        if (it == failing_.end()) return std::nullopt;
        return it->second;
      });
    }
  }
  void fail(const std::string& component, std::string why = "Roadside's reason") {
    MutexLock lock(mu_);
    failing_[component] = std::move(why);
  }
  void pass(const std::string& component) {
    MutexLock lock(mu_);
    failing_.erase(component);
  }
  int runs(const std::string& component) {
    MutexLock lock(mu_);
    return runs_[component];
  }

 private:
  Mutex mu_;
  std::map<std::string, std::string> failing_ GUARDED_BY(mu_);
  std::map<std::string, int> runs_ GUARDED_BY(mu_);
};

struct Fixture {
  explicit Fixture(XRoadHealthCheckOptions options = {}) : states(readiness), check(readiness, options, clock) {}
  Readiness readiness;
  States states;
  ManualClock clock;
  XRoadHealthCheck check;
};

XRoadHealthCheckOptions no_cache() {
  return {0ms, 0ms};
}

TEST(XRoadHealthCheck, HealthyIs200WithAnEmptyBody) {
  Fixture f;
  auto a = f.check.answer();
  EXPECT_EQ(a.status, http::status::ok);
  EXPECT_EQ(a.body, "");
}

TEST(XRoadHealthCheck, EachFailureIs500WithXRoadsMessageAndANewline) {
  const std::pair<const char*, const char*> cases[] = {
      {"globalconf", "Global configuration is expired\n"},
      {"token", "No certificate chain available in authentication key.\n"},
      {"ocsp", "Getting OCSP response for authentication key failed.\n"},
      {"storage", "Server Conf database did not respond as expected\n"},
      {"serverconf", "ServerConf is not available\n"},
  };
  for (const auto& [component, body] : cases) {
    Fixture f;
    f.states.fail(component);
    auto a = f.check.answer();
    EXPECT_EQ(a.status, http::status::internal_server_error) << component;
    EXPECT_EQ(a.body, body) << component;
  }
}

TEST(XRoadHealthCheck, OnlyTheFirstFailureInXRoadsOrderIsSentAndLaterChecksDoNotRun) {
  Fixture f(no_cache());
  f.states.fail("storage");
  f.states.fail("token");
  f.states.fail("globalconf");
  EXPECT_EQ(f.check.answer().body, "Global configuration is expired\n");
  EXPECT_EQ(f.states.runs("token"), 0);
  EXPECT_EQ(f.states.runs("storage"), 0);
  f.states.pass("globalconf");
  EXPECT_EQ(f.check.answer().body, "No certificate chain available in authentication key.\n");
  EXPECT_EQ(f.states.runs("storage"), 0);
  f.states.pass("token");
  EXPECT_EQ(f.check.answer().body, "Server Conf database did not respond as expected\n");
  // What X-Road does not check does not fail it.
  f.states.pass("storage");
  f.states.fail("proxy");
  EXPECT_EQ(f.check.answer().status, http::status::ok);
}

TEST(XRoadHealthCheck, MaintenanceModeIs503WithXRoadsTextAndRunsNoCheck) {
  Fixture f;
  f.states.fail("globalconf");
  f.states.fail("maintenance", "maintenance mode (roadside maintenance off)");
  auto a = f.check.answer();
  EXPECT_EQ(a.status, http::status::service_unavailable);
  EXPECT_EQ(a.body, "Health check interface is in maintenance mode.");  // no newline, as in X-Road
  EXPECT_EQ(f.states.runs("globalconf"), 0);
  // Maintenance mode is not cached: off, and the checks answer again at once.
  f.states.pass("maintenance");
  EXPECT_EQ(f.check.answer().body, "Global configuration is expired\n");
}

TEST(XRoadHealthCheck, APassIsKeptForTwoSecondsAndAFailureForThirty) {
  Fixture f;  // X-Road's periods are the defaults
  EXPECT_EQ(f.check.answer().status, http::status::ok);
  f.states.fail("token");  // e.g. the token is logged out
  f.clock.advance(1999ms);
  EXPECT_EQ(f.check.answer().status, http::status::ok) << "a pass is kept for 2 s";
  f.clock.advance(1ms);
  auto a = f.check.answer();
  EXPECT_EQ(a.status, http::status::internal_server_error) << "and checked again after 2 s";
  EXPECT_EQ(a.body, "No certificate chain available in authentication key.\n");

  f.states.pass("token");
  f.clock.advance(29999ms);
  EXPECT_EQ(f.check.answer().status, http::status::internal_server_error) << "a failure is kept for 30 s";
  f.clock.advance(1ms);
  EXPECT_EQ(f.check.answer().status, http::status::ok) << "and checked again after 30 s";
  // Back to the 2 s period.
  f.states.fail("globalconf");
  f.clock.advance(1s);
  EXPECT_EQ(f.check.answer().status, http::status::ok);
  f.clock.advance(1s);
  EXPECT_EQ(f.check.answer().body, "Global configuration is expired\n");
}

TEST(XRoadHealthCheck, EachCheckKeepsItsOwnResult) {
  Fixture f;
  EXPECT_EQ(f.check.answer().status, http::status::ok);  // all three checks pass at t=0
  f.clock.advance(1s);
  f.states.fail("storage");
  f.states.fail("globalconf");
  f.clock.advance(1s);  // t=2: every pass has expired
  EXPECT_EQ(f.check.answer().body, "Global configuration is expired\n");
  EXPECT_EQ(f.states.runs("storage"), 1) << "the database check did not run again behind the failure";
  f.states.pass("globalconf");
  f.clock.advance(30s);  // t=32: the globalconf failure and the old storage pass have expired
  EXPECT_EQ(f.check.answer().body, "Server Conf database did not respond as expected\n");
}

TEST(XRoadHealthCheck, CachePeriodsComeFromTheConfiguration) {
  const auto defaults = XRoadHealthCheckOptions::from(config::Config::defaults());
  EXPECT_EQ(defaults.ok_cache, 2s);
  EXPECT_EQ(defaults.failure_cache, 30s);
  config::Inputs in;
  in.env = {{"ROADSIDE_HEALTH_OK_CACHE_S", "0"}, {"ROADSIDE_HEALTH_FAILURE_CACHE_S", "5"}};
  auto loaded = config::Config::load(in);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const auto set = XRoadHealthCheckOptions::from(*loaded);
  EXPECT_EQ(set.ok_cache, 0s);
  EXPECT_EQ(set.failure_cache, 5s);

  Fixture f(set);
  f.states.fail("serverconf");
  EXPECT_EQ(f.check.answer().status, http::status::internal_server_error) << "0: a pass is not kept";
  f.states.pass("serverconf");
  f.clock.advance(4999ms);
  EXPECT_EQ(f.check.answer().status, http::status::internal_server_error);
  f.clock.advance(1ms);
  EXPECT_EQ(f.check.answer().status, http::status::ok);
}

// The database's state comes from its probe (database_probe.h), which never blocks the caller:
// a database that stops answering turns the health check to 500 with X-Road's message.
TEST(XRoadHealthCheck, ADatabaseThatIsDownFailsThroughItsProbe) {
  std::atomic<bool> up{true};
  DatabaseProbe probe(database_check([&up]() -> Status {
                        if (up) return {};
                        return Error(storage::make_error_code(storage::errc::connection_failed), "refused");
                      }),
                      10ms);
  Readiness readiness;
  readiness.add("storage", [&probe] { return probe.status(); });
  ManualClock clock;
  XRoadHealthCheck check(readiness, no_cache(), clock);
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (check.answer().status != http::status::ok && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(check.answer().status, http::status::ok);
  up = false;
  while (check.answer().status == http::status::ok && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  auto a = check.answer();
  EXPECT_EQ(a.status, http::status::internal_server_error);
  EXPECT_EQ(a.body, "Server Conf database did not respond as expected\n");
}

TEST(Readiness, ReasonNamesOneComponentsFirstFailureOnly) {
  Readiness readiness;
  readiness.add("token", [] { return std::optional<std::string>(); });
  readiness.add("token", [] { return std::optional<std::string>("not logged in"); });
  readiness.add("ocsp", [] { return std::optional<std::string>("stale"); });
  EXPECT_EQ(readiness.reason("token"), "not logged in");
  EXPECT_EQ(readiness.reason("ocsp"), "stale");
  EXPECT_EQ(readiness.reason("nothing"), std::nullopt);
}

}  // namespace
}  // namespace roadside::server
