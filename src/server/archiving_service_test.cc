#include "server/archiving_service.h"

#include <algorithm>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <gtest/gtest.h>

#include "messagelog/archive.h"
#include "support/messagelog_batch.h"
#include "support/test_support.h"

namespace roadside::server {
namespace {

using namespace std::chrono_literals;
using roadside::testing::TempDir;

config::Config config_in(const TempDir& dir) {
  config::Config c = config::Config::defaults();
  EXPECT_TRUE(c.set("data_dir", dir.path().string()).ok());
  return c;
}

TEST(ArchivingOptions, AreXRoadsDefaultsAndRefuseABadScheduleNamingTheOption) {
  TempDir dir;
  config::Config c = config_in(dir);
  auto o = ArchivingOptions::from(c);
  ASSERT_TRUE(o.ok()) << o.error().to_string();
  EXPECT_EQ(o->archive_interval.text(), "0 0 0/6 1/1 * ? *");
  EXPECT_EQ(o->clean_interval.text(), "0 0 0/12 1/1 * ? *");
  EXPECT_EQ(o->archiver.directory, dir.path() / "messagelog" / "archive");
  EXPECT_EQ(o->archiver.max_file_size, 33'554'432u);
  EXPECT_EQ(o->archiver.batch, 10'000u);
  EXPECT_EQ(o->archiver.grouping, messagelog::ArchiveGrouping::none);
  EXPECT_FALSE(o->archiver.encryption.has_value());
  EXPECT_EQ(o->clean_batch, 10'000u);
  EXPECT_EQ(o->keep_records_for_days, 30);
  EXPECT_NE(std::find(o->archiver.secret_env.begin(), o->archiver.secret_env.end(), "XROAD_TOKEN_PIN"),
            o->archiver.secret_env.end());

  ASSERT_TRUE(c.set("messagelog.archive_encryption_enabled", "true").ok());
  ASSERT_TRUE(c.set("messagelog.archive_grouping", "Member").ok());
  o = ArchivingOptions::from(c);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->archiver.grouping, messagelog::ArchiveGrouping::member);
  ASSERT_TRUE(o->archiver.encryption.has_value());
  EXPECT_EQ(o->archiver.encryption->gpg_home, dir.path() / "messagelog" / "gpghome");

  for (const auto& [option, text, says] :
       {std::tuple{"messagelog.archive_interval", "0 0 0 L * ?", "day-of-month"},
        std::tuple{"messagelog.clean_interval", "0 0 0/12 1/1 *", "fields"},
        std::tuple{"messagelog.clean_interval", "0 0 0 1 1 ? 2020", "no time to come"}}) {
    config::Config bad = config_in(dir);
    ASSERT_TRUE(bad.set(option, text).ok());
    auto refused = ArchivingOptions::from(bad);
    ASSERT_FALSE(refused.ok()) << option;
    EXPECT_EQ(refused.error().code(), config::errc::invalid_value);
    EXPECT_TRUE(refused.error().detail().starts_with(std::string(option) + ": ")) << refused.error().detail();
    EXPECT_NE(refused.error().detail().find(says), std::string::npos) << refused.error().detail();
  }
}

class ArchivingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::Store store(open().value());
    ASSERT_TRUE(store.migrate().ok());
    log_ = std::make_unique<messagelog::LogStore>(open().value());
  }

  // Stops the service as the application does: stop() on another io_context.
  static void stop(ArchivingService& s) {
    boost::asio::io_context main;
    boost::asio::co_spawn(main, s.stop(), boost::asio::detached);
    main.run();
  }

  Result<std::unique_ptr<storage::Connection>> open() { return storage::open_sqlite({dir_ / "roadside.db"}); }

  // Logs and time-stamps a request at `time`.
  void log(std::chrono::system_clock::time_point time) {
    messagelog::MessageRecordInput r;
    r.query_id = "q" + std::to_string(++serial_);
    r.client = *XRoadId::subsystem("DEV", "COM", "1234", "SUB");
    r.message = "<m/>";
    r.signature = "<s/>";
    auto id = log_->insert({&r}, time);
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(testing::stamp_as_batch(*log_, {id->front()}, "tst", time).ok());
  }

  std::unique_ptr<ArchivingService> service(const config::Config& c) {
    auto options = ArchivingOptions::from(c);
    EXPECT_TRUE(options.ok());
    return std::make_unique<ArchivingService>(
        std::move(options).value(), [this] { return open(); }, nullptr, metrics_, clock_);
  }

  TempDir dir_;
  metrics::Registry metrics_;
  ManualClock clock_{*parse_rfc3339("2026-12-05T07:00:00Z")};
  std::unique_ptr<messagelog::LogStore> log_;
  int serial_ = 0;
};

TEST_F(ArchivingServiceTest, ArchivesAndCleansOnDemandAndCountsIt) {
  const auto now = clock_.now();
  log(now - 24h * 40);
  log(now - 24h * 31);
  log(now - 1h);
  auto s = service(config_in(dir_));
  ASSERT_TRUE(s->start().ok());
  // The lag: the oldest record waiting, once the first refresh has run on the thread.
  ASSERT_TRUE(roadside::testing::eventually(
      [&] { return metrics_.value("roadside_messagelog_archive_lag_seconds") > 24 * 3600 * 39.0; }, 5s));

  auto round = s->archive_now().get();
  ASSERT_TRUE(round.ok()) << round.error().to_string();
  ASSERT_EQ(round->files.size(), 1u);
  EXPECT_EQ(round->files[0].parent_path(), dir_.path() / "messagelog" / "archive");
  auto zip = messagelog::ZipFile::read(roadside::testing::read_file(round->files[0]));
  ASSERT_TRUE(zip.ok());
  EXPECT_TRUE(messagelog::verify_archive_linking(*zip, std::string()).ok());
  EXPECT_EQ(metrics_.value("roadside_messagelog_archives_written_total"), 1);
  EXPECT_EQ(metrics_.value("roadside_messagelog_records_archived_total"), 3);
  EXPECT_EQ(metrics_.value("roadside_messagelog_archive_failures_total"), 0);
  EXPECT_EQ(metrics_.value("roadside_messagelog_archive_lag_seconds"), 0);

  auto cleaned = s->clean_now().get();
  ASSERT_TRUE(cleaned.ok()) << cleaned.error().to_string();
  EXPECT_EQ(*cleaned, 2u);  // the two past 30 days
  EXPECT_EQ(metrics_.value("roadside_messagelog_records_cleaned_total"), 2);
  EXPECT_TRUE(log_->record(3).value().has_value());

  stop(*s);
  auto late = s->archive_now().get();
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().detail().find("not running"), std::string::npos);
}

TEST_F(ArchivingServiceTest, RunsBothJobsOnTheirSchedules) {
  log(std::chrono::system_clock::now() - 24h * 31);
  config::Config c = config_in(dir_);
  ASSERT_TRUE(c.set("messagelog.archive_interval", "* * * * * ?").ok());  // every second
  ASSERT_TRUE(c.set("messagelog.clean_interval", "0/2 * * * * ?").ok());
  auto options = ArchivingOptions::from(c);
  ASSERT_TRUE(options.ok());
  ArchivingService s(
      std::move(options).value(), [this] { return open(); }, nullptr, metrics_);
  ASSERT_TRUE(s.start().ok());
  EXPECT_TRUE(roadside::testing::eventually(
      [&] { return metrics_.value("roadside_messagelog_records_cleaned_total") == 1; }, 10s));
  EXPECT_EQ(metrics_.value("roadside_messagelog_records_archived_total"), 1);
  stop(s);
}

TEST_F(ArchivingServiceTest, AFailedRoundIsCounted) {
  log(clock_.now() - 1h);
  config::Config c = config_in(dir_);
  roadside::testing::write_file(dir_ / "not-a-dir", "");
  ASSERT_TRUE(c.set("messagelog.archive_path", (dir_ / "not-a-dir").string()).ok());
  auto s = service(c);
  ASSERT_TRUE(s->start().ok());
  auto round = s->archive_now().get();
  ASSERT_FALSE(round.ok());
  EXPECT_NE(round.error().detail().find("not a directory"), std::string::npos);
  EXPECT_EQ(metrics_.value("roadside_messagelog_archive_failures_total"), 1);
  stop(*s);
}

TEST_F(ArchivingServiceTest, EncryptionWithoutAGpgHomeRefusesToStartNamingTheOption) {
  config::Config c = config_in(dir_);
  ASSERT_TRUE(c.set("messagelog.archive_encryption_enabled", "true").ok());
  ASSERT_TRUE(c.set("messagelog.archive_gpg_home", (dir_ / "no-such-home").string()).ok());
  auto s = service(c);
  auto st = s->start();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.error().detail().starts_with("messagelog.archive_gpg_home: ")) << st.error().detail();
}

}  // namespace
}  // namespace roadside::server
