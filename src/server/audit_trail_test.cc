// The audit trail: audit records reach the database table in order (those written before the
// trail started too) and are read newest first, by event and by user, a page at a time; a full
// queue drops (and counts and logs) rather than blocks; old records go after the retention and
// the oldest past the most kept; a bad user name does not fail its batch; what is queued at a
// stop is stored.
#include "server/audit_trail.h"

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "base/log.h"
#include "support/test_databases.h"
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
  // A trail with `options` started, a round of its loop, and its stop.
  void one_round(AuditTrailOptions options) {
    AuditQueue queue;
    AuditTrail trail(options, queue, *store, db_io, metrics);
    ASSERT_TRUE(trail.start().ok());
    db_io.run_for(200ms);
    stop(trail);
  }
  std::vector<admin::AuditEntry> read(admin::AuditQuery query = {}) {
    auto entries = admin::read_audit_log(*store, query);
    EXPECT_TRUE(entries.ok()) << entries.error().to_string();
    return entries.ok() ? *entries : std::vector<admin::AuditEntry>{};
  }
  std::string metric(const std::string& name) {
    const std::string text = metrics.render();
    const auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? ""
                                   : text.substr(at + name.size() + 2, text.find('\n', at + 1) - at - name.size() - 2);
  }
};

TEST(AuditTrail, StoresEachRecordInOrderAndReadsThemNewestFirst) {
  Fixture f;
  AuditQueue queue;
  log::audit("Log in user", "admin", {}, {{"auth", "Session"}, {"ipaddress", "127.0.0.1"}});  // before the start
  AuditTrail trail({}, queue, *f.store, f.db_io, f.metrics);
  ASSERT_TRUE(trail.start().ok());
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
  // What comes after the last round is stored at the stop; a user name that is not UTF-8 does
  // not fail its batch (PostgreSQL would refuse it as it is).
  log::audit("Delete client", "admin");
  log::audit("Log in user failed", "\xff\xfe" + std::string(300, 'a'));
  f.stop(trail);
  all = f.read();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].record["user"], "\xef\xbf\xbd\xef\xbf\xbd" + std::string(300, 'a'));
  EXPECT_EQ(f.read({.user = "\xef\xbf\xbd\xef\xbf\xbd" + std::string(249, 'a')}).size(), 1u);  // 255 bytes
  EXPECT_EQ(f.read({.event = "Delete client"}).size(), 1u);
  EXPECT_EQ(f.metric("roadside_audit_trail_stored_total"), "5");
}

TEST(AuditTrail, AFullQueueDropsAndCountsRatherThanWaits) {
  Fixture f;
  AuditQueue queue(2);
  AuditTrail trail({}, queue, *f.store, f.db_io, f.metrics);
  ASSERT_TRUE(trail.start().ok());
  for (int i = 0; i < 5; ++i) log::audit("Add client", "admin");  // the database thread has not run
  f.stop(trail);
  EXPECT_EQ(f.read().size(), 2u);
  EXPECT_EQ(f.metric("roadside_audit_trail_dropped_total"), "3");
  EXPECT_NE(f.stream.str().find("its queue was full"), std::string::npos);
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
  f.one_round(options);
  auto all = f.read();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].record["event"], "Recent");
  EXPECT_EQ(all[0].record["event"], "Upload anchor");
  EXPECT_EQ(all[0].record["data"]["truncated"], true);
}

TEST(AuditTrail, KeepsTheNewestPastTheMostRecords) {
  Fixture f;
  std::vector<admin::AuditLine> lines;
  for (int i = 0; i < 30; ++i)
    lines.push_back({Clock::system().now(), {{"event", "E" + std::to_string(i)}, {"user", "u"}}});
  ASSERT_TRUE(admin::append_audit_lines(*f.store, lines).ok());
  EXPECT_EQ(admin::delete_audit_lines_beyond(*f.store, 40, 100).value_or(99), 0u);
  EXPECT_EQ(admin::delete_audit_lines_beyond(*f.store, 25, 3).value_or(99), 3u);  // at most the limit
  AuditTrailOptions options;
  options.max_records = 10;
  f.one_round(options);
  auto kept = f.read();
  ASSERT_EQ(kept.size(), 10u);
  EXPECT_EQ(kept.front().record["event"], "E29");
  EXPECT_EQ(kept.back().record["event"], "E20");
}

class AuditLogTable : public roadside::testing::BothDatabases {};

// PostgreSQL refuses text that is not UTF-8: a user name of raw bytes (a form login's, percent
// decoded) must not fail the batch it is in, on either database.
TEST_P(AuditLogTable, TakesAnyNameAndReadsBackNewestFirst) {
  storage::Store store(open_migrated());
  const auto now = Clock::system().now();
  std::vector<admin::AuditLine> lines = {
      {now, {{"event", "Log in user failed"}, {"user", "\xff" + std::string(400, '\xc3')}, {"reason", "x"}}},
      {now, {{"event", "Log in user"}, {"user", "admin"}, {"data", {{"name", "caf\xc3\xa9"}}}}}};
  auto st = admin::append_audit_lines(store, lines);
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  auto read = admin::read_audit_log(store, {});
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[0].record["data"]["name"], "caf\xc3\xa9");
  EXPECT_EQ((*read)[1].record["event"], "Log in user failed");
  EXPECT_EQ(admin::read_audit_log(store, {.user = "admin"})->size(), 1u);
  EXPECT_EQ(admin::delete_audit_lines_beyond(store, 1, 10).value_or(0), 1u);
  EXPECT_EQ(admin::read_audit_log(store, {})->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Databases, AuditLogTable,
                         ::testing::Values(storage::Dialect::sqlite, storage::Dialect::postgresql),
                         roadside::testing::dialect_name);

}  // namespace
}  // namespace roadside::server
