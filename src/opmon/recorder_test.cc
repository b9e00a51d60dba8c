// The recorder: records reach the database in batches off the caller's thread, a full buffer
// drops (and counts) rather than waits, a failed write keeps its records, and retention runs.
#include "opmon/recorder.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace roadside::opmon {
namespace {

class RecorderTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::Connection> open(bool migrate = true) {
    auto c = storage::open_sqlite({dir_ / "roadside.db"});
    EXPECT_TRUE(c.ok()) << c.error().to_string();
    if (migrate && !migrated_) {
      storage::Store s(std::move(c).value());
      EXPECT_TRUE(s.migrate().ok());
      migrated_ = true;
      return open(false);
    }
    return std::move(c).value();
  }
  std::vector<OpRecord> stored(std::int64_t from = 0, std::int64_t to = 4'000'000'000) {
    OpStore reader(open());
    auto q = reader.query(from, to, 100'000, [](const OpRecord&) { return true; });
    EXPECT_TRUE(q.ok()) << q.error().to_string();
    return q.ok() ? q->records : std::vector<OpRecord>{};
  }
  double metric(std::string_view name) {
    const std::string text = metrics_.render();
    const auto at = text.find("\n" + std::string(name) + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
  }

  testing::TempDir dir_;
  bool migrated_ = false;
  metrics::Registry metrics_;
  ManualClock clock_;
};

OpRecord named(std::string code) {
  OpRecord r;
  r.service_code = std::move(code);
  return r;
}

TEST_F(RecorderTest, WritesWhatItIsGivenStampedWithTheTime) {
  Recorder recorder(std::make_unique<OpStore>(open()), metrics_, {}, clock_);
  recorder.record(named("a"));
  recorder.record(named("b"));
  recorder.flush();
  const auto rows = stored();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].service_code, "a");
  EXPECT_EQ(rows[0].monitoring_data_ts, 1'700'000'000);
  EXPECT_EQ(metric("roadside_opmon_records_written_total"), 2);
}

TEST_F(RecorderTest, AFullBufferDropsAndCountsInsteadOfWaiting) {
  RecorderOptions o;
  o.buffer = 3;
  o.interval = std::chrono::hours(1);  // nothing written until asked
  o.batch = 100;
  Recorder recorder(std::make_unique<OpStore>(open()), metrics_, o, clock_);
  for (int i = 0; i < 5; ++i) recorder.record(named(std::to_string(i)));
  EXPECT_EQ(metric("roadside_opmon_records_dropped_total"), 2);
  recorder.flush();
  EXPECT_EQ(stored().size(), 3u);
}

TEST_F(RecorderTest, AFailedWriteKeepsItsRecordsForTheNextTry) {
  RecorderOptions o;
  o.interval = std::chrono::hours(1);
  auto conn = open();
  ASSERT_TRUE(conn->execute_script("ALTER TABLE opmon_batches RENAME TO opmon_away").ok());
  Recorder recorder(std::make_unique<OpStore>(std::move(conn)), metrics_, o, clock_);
  recorder.record(named("kept"));
  recorder.flush();
  EXPECT_EQ(metric("roadside_opmon_write_failures_total"), 1);
  EXPECT_EQ(metric("roadside_opmon_buffered_records"), 1);
  ASSERT_TRUE(open()->execute_script("ALTER TABLE opmon_away RENAME TO opmon_batches").ok());
  clock_.advance(std::chrono::minutes(5));
  recorder.flush();
  const auto rows = stored();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].service_code, "kept");
  // Stamped when written: a collector that read up to the failure misses nothing.
  EXPECT_EQ(rows[0].monitoring_data_ts, 1'700'000'000 + 300);
  EXPECT_EQ(metric("roadside_opmon_buffered_records"), 0);
}

TEST_F(RecorderTest, RecordsPastTheKeepPeriodAreDeletedAtStart) {
  {
    OpStore store(open());
    OpRecord old = named("old");
    old.monitoring_data_ts = 1'700'000'000 - 8 * 86'400;
    OpRecord recent = named("recent");
    recent.monitoring_data_ts = 1'700'000'000 - 6 * 86'400;
    ASSERT_TRUE(store.append({old}).ok());
    ASSERT_TRUE(store.append({recent}).ok());
  }
  Recorder recorder(std::make_unique<OpStore>(open()), metrics_, {}, clock_);
  recorder.flush();
  const auto rows = stored();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].service_code, "recent");
}

TEST_F(RecorderTest, AfterStopARecordIsDroppedAndCounted) {
  Recorder recorder(std::make_unique<OpStore>(open()), metrics_, {}, clock_);
  recorder.stop();
  recorder.record(named("late"));
  EXPECT_EQ(metric("roadside_opmon_records_dropped_total"), 1);
  EXPECT_TRUE(stored().empty());
}

TEST_F(RecorderTest, StoppingWritesWhatIsBuffered) {
  {
    RecorderOptions o;
    o.interval = std::chrono::hours(1);
    Recorder recorder(std::make_unique<OpStore>(open()), metrics_, o, clock_);
    recorder.record(named("last"));
  }
  ASSERT_EQ(stored().size(), 1u);
}

}  // namespace
}  // namespace roadside::opmon
