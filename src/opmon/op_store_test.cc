// The operational data store on both databases: batches in, X-Road's window queries out (the
// order, the cut that never splits a second, nextRecordsFrom, the filter), and retention.
#include "opmon/op_store.h"

#include <gtest/gtest.h>

#include "support/test_databases.h"

namespace roadside::opmon {
namespace {

using storage::Dialect;

OpRecord at(std::int64_t ts, std::string client = "1001") {
  OpRecord r;
  r.monitoring_data_ts = ts;
  r.client_member_code = std::move(client);
  r.service_code = "s" + std::to_string(ts);
  return r;
}

std::vector<std::int64_t> times(const OpQueryResult& q) {
  std::vector<std::int64_t> out;
  for (const auto& r : q.records) out.push_back(r.monitoring_data_ts);
  return out;
}

const auto kAll = [](const OpRecord&) { return true; };

class OpStoreTest : public testing::BothDatabases {};

TEST_P(OpStoreTest, AnswersTheWindowOldestFirstAcrossBatches) {
  OpStore store(open_migrated());
  ASSERT_TRUE(store.append({at(105), at(101), at(103)}).ok());
  ASSERT_TRUE(store.append({at(102), at(110), at(99)}).ok());
  auto q = store.query(100, 105, 100, kAll);
  ASSERT_TRUE(q.ok()) << q.error().to_string();
  EXPECT_EQ(times(*q), (std::vector<std::int64_t>{101, 102, 103, 105}));
  EXPECT_FALSE(q->next_records_from);
  EXPECT_EQ(q->records[0].service_code, "s101");  // the records themselves, not only their times
}

TEST_P(OpStoreTest, ACutKeepsItsLastSecondWholeAndSaysWhereToGoOn) {
  OpStore store(open_migrated());
  ASSERT_TRUE(store.append({at(100), at(101), at(101), at(101), at(102), at(104)}).ok());
  auto q = store.query(100, 200, 2, kAll);
  ASSERT_TRUE(q.ok()) << q.error().to_string();
  // Two asked for: 100 and the first 101; the other records of second 101 come along.
  EXPECT_EQ(times(*q), (std::vector<std::int64_t>{100, 101, 101, 101}));
  EXPECT_EQ(q->next_records_from, 102);
  auto next = store.query(*q->next_records_from, 200, 2, kAll);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(times(*next), (std::vector<std::int64_t>{102, 104}));
  EXPECT_FALSE(next->next_records_from);  // exactly max, nothing left
}

TEST_P(OpStoreTest, ACutOverManyBatchesReadsOnlyWhatItNeeds) {
  OpStore store(open_migrated());
  for (std::int64_t b = 0; b < 30; ++b) ASSERT_TRUE(store.append({at(1000 + 2 * b), at(1001 + 2 * b)}).ok());
  auto q = store.query(1000, 2000, 5, kAll);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(times(*q), (std::vector<std::int64_t>{1000, 1001, 1002, 1003, 1004}));
  EXPECT_EQ(q->next_records_from, 1005);
}

TEST_P(OpStoreTest, AScanBudgetEndsTheAnswerOnAWholeSecondAndTheNextQueriesGoOn) {
  OpStore store(open_migrated());
  for (std::int64_t b = 0; b < 10; ++b) ASSERT_TRUE(store.append({at(1000 + b, "A"), at(1000 + b, "A")}).ok());
  ASSERT_TRUE(store.append({at(1009, "B")}).ok());
  const auto only_b = [](const OpRecord& r) { return r.client_member_code == "B"; };
  auto first = store.query(1000, 2000, 100, only_b, 6);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_TRUE(first->records.empty());
  EXPECT_EQ(first->next_records_from, 1003);  // three seconds read whole
  std::vector<std::int64_t> found;
  int queries = 1;
  for (auto next = first->next_records_from; next; ++queries) {
    auto q = store.query(*next, 2000, 100, only_b, 6);
    ASSERT_TRUE(q.ok());
    for (auto t : times(*q)) found.push_back(t);
    next = q->next_records_from;
    ASSERT_LT(queries, 10) << "no progress";
  }
  EXPECT_EQ(found, (std::vector<std::int64_t>{1009}));
}

TEST_P(OpStoreTest, TheFilterDecidesBeforeTheCut) {
  OpStore store(open_migrated());
  ASSERT_TRUE(store.append({at(100, "A"), at(101, "B"), at(102, "A"), at(103, "B")}).ok());
  auto q = store.query(0, 200, 10, [](const OpRecord& r) { return r.client_member_code == "B"; });
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(times(*q), (std::vector<std::int64_t>{101, 103}));
}

TEST_P(OpStoreTest, RetentionDeletesOnlyBatchesWhollyPastIt) {
  OpStore store(open_migrated());
  ASSERT_TRUE(store.append({at(10), at(20)}).ok());
  ASSERT_TRUE(store.append({at(30), at(60)}).ok());
  auto n = store.delete_before(50);
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(*n, 2);
  auto q = store.query(0, 100, 10, kAll);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(times(*q), (std::vector<std::int64_t>{30, 60}));
}

TEST_P(OpStoreTest, ARowSpanningMoreThanAnHourIsRefused) {
  OpStore store(open_migrated());
  auto st = store.append({at(0), at(kMaxRowSpan + 1)});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), make_error_code(errc::store_failed));
  EXPECT_TRUE(store.append({at(0), at(kMaxRowSpan)}).ok());
}

TEST_P(OpStoreTest, AStoreWithoutItsTableFailsWithStoreFailed) {
  OpStore store(open());  // not migrated
  auto st = store.append({at(1)});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), make_error_code(errc::store_failed));
  auto q = store.query(0, 1, 1, kAll);
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().code(), make_error_code(errc::store_failed));
}

INSTANTIATE_TEST_SUITE_P(Databases, OpStoreTest, ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         testing::dialect_name);

}  // namespace
}  // namespace roadside::opmon
