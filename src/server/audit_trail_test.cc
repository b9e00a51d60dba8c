// The audit trail: audit records reach the database table in order and are read newest first,
// by event and by user, a page at a time; a full queue drops (and counts) rather than blocks;
// old records go after the retention; what is queued at a stop is stored.
#include "server/audit_trail.h"

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "base/log.h"
#include "support/test_support.h"

namespace roadside::server {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  roadside::testing::TempDir dir;
  std::unique_ptr<storage::Store> store;
  metrics::Registry metrics;
  boost::asio::io_context db_io;
  std::ostringstream stream;

  Fixture() {
    store = std::make_unique<storage::Store>(*storage::open_sqlite({dir / "roadside.db"}));
    EXPECT_TRUE(store->migrate().ok());
    log::redirect_for_testing(stream);
  }
  ~Fixture() { log::stdout_for_testing(); }
  void stop(AuditTrail& trail) {
    auto done = boost::asio::co_spawn(db_io, trail.stop(), boost::asio::use_future);
    db_io.run();
    done.get();
  }
  std::vector<admin::AuditEntry> read(admin::AuditQuery query = {}) {
    auto entries = admin::read_audit_log(*store, query);
    EXPECT_TRUE(entries.ok()) << entries.error().to_string();
    return entries.ok() ? *entries : std::vector<admin::AuditEntry>{};
  }
  std::string metric(const std::string& name) {
    const std::string text = metrics.render();
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? "" : text.substr(at + name.size() + 2, text.find('\n', at + 1) - at - name.size() - 2);
  }
};

TEST(AuditTrail, StoresEachRecordInOrderAndReadsThemNewestFirst) {
  Fixture f;
  AuditTrail trail({}, *f.store, f.db_io, f.metrics);
  ASSERT_TRUE(trail.start().ok());
  log::audit("Log in user", "admin", {}, {{"auth", "Session"}, {"ipaddress", "127.0.0.1"}});
  log::audit("Add client", "admin", {{"clientIdentifier", "DEV:COM:1:SUB"}});
  log::audit("Add client", "officer", {{"clientIdentifier", "DEV:COM:1:OTHER"}});
  f.db_io.run_for(200ms);  // the first round stores them
  auto all = f.read();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].record["user"], "officer");
  EXPECT_EQ(all[2].record["event"], "Log in user");
  EXPECT_EQ(all[2].record["auth"], "Session");
  EXPECT_LT(all[2].id, all[0].id);
  EXPECT_EQ(f.read({.event = "Add client"}).size(), 2u);
  EXPECT_EQ(f.read({.event = "Add client", .user = "admin"}).size(), 1u);
  auto page = f.read({.before_id = all[0].id, .limit = 1});
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].id, all[1].id);
  // What comes after the last round is stored at the stop.
  log::audit("Delete client", "admin");
  f.stop(trail);
  log::audit("Not observed", "admin");
  EXPECT_EQ(f.read().size(), 4u);
  EXPECT_EQ(f.metric("roadside_audit_trail_stored_total"), "4");
}

TEST(AuditTrail, AFullQueueDropsAndCountsRatherThanWaits) {
  Fixture f;
  AuditTrailOptions options;
  options.max_queued = 2;
  AuditTrail trail(options, *f.store, f.db_io, f.metrics);
  ASSERT_TRUE(trail.start().ok());
  for (int i = 0; i < 5; ++i) log::audit("Add client", "admin");  // the database thread has not run
  f.stop(trail);
  EXPECT_EQ(f.read().size(), 2u);
  EXPECT_EQ(f.metric("roadside_audit_trail_dropped_total"), "3");
  // (Every record is in the audit stream all the same.)
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = f.stream.str().find("\"Add client\"", at)) != std::string::npos; ++at) ++lines;
  EXPECT_EQ(lines, 10u);  // msg and event of each of the 5
}

TEST(AuditTrail, OldRecordsGoAfterTheRetentionAndLargeOnesAreCut) {
  Fixture f;
  const auto now = Clock::system().now();
  nlohmann::json big = {{"event", "Upload anchor"}, {"user", "admin"}, {"data", {{"x", std::string(40'000, 'x')}}}};
  ASSERT_TRUE(admin::append_audit_lines(*f.store, {{now - 200 * 24h, {{"event", "Old"}, {"user", "a"}}},
                                                   {now - 10 * 24h, {{"event", "Recent"}, {"user", "a"}}},
                                                   {now, big}})
                  .ok());
  AuditTrailOptions options;
  options.retention_days = 180;
  AuditTrail trail(options, *f.store, f.db_io, f.metrics);
  ASSERT_TRUE(trail.start().ok());
  f.db_io.run_for(200ms);
  f.stop(trail);
  auto all = f.read();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].record["event"], "Recent");
  EXPECT_EQ(all[0].record["event"], "Upload anchor");
  EXPECT_EQ(all[0].record["data"]["truncated"], true);
}

}  // namespace
}  // namespace roadside::server
