// The operational data records in the database (migration 10, table opmon_batches): the
// recorder writes what it has gathered as one row, its records as JSON lines, with the span
// of their monitoringDataTs (at most kMaxRowSpan), so a query reads only the rows that
// overlap its window, in the order of an index, and a busy server pays for one insert a
// second, not one per message.
//
// A query answers as X-Road's op-monitor daemon does (OperationalDataRecordManager): records
// in the window, oldest first, at most `max` of them, except that a second is never split
// (the records of the last second taken all come along); when some were left out, the next
// query starts at next_records_from. X-Road sets it only when a left-out record passes the
// client filter; here, when any record of the window was left out (the next query may then
// be empty).
//
// An OpStore owns one connection and is not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "base/result.h"
#include "opmon/record.h"
#include "storage/store.h"

namespace roadside::opmon {

struct OpQueryResult {
  std::vector<OpRecord> records;  // oldest first
  std::optional<std::int64_t> next_records_from;
};

// The widest span of monitoringDataTs one row may hold (the recorder's rows hold one second).
inline constexpr std::int64_t kMaxRowSpan = 3600;

class OpStore {
 public:
  explicit OpStore(std::unique_ptr<storage::Connection> connection);

  // Writes `records` as one row in one transaction; errc::store_failed when their times span
  // more than kMaxRowSpan.
  Status append(const std::vector<OpRecord>& records);
  // The records with monitoringDataTs in [from_s, to_s] that `match` accepts (see above).
  // Reading stops once about `max_scanned` stored records have been read (a client's filter
  // may match few of many): the answer then ends before the second it stopped at, and
  // next_records_from names it. Rows are read a few at a time from the index on first_ts.
  // REQUIRES: max > 0.
  Result<OpQueryResult> query(std::int64_t from_s, std::int64_t to_s, std::size_t max,
                              const std::function<bool(const OpRecord&)>& match, std::size_t max_scanned = 200'000);
  // Deletes the rows whose records are all older than `before_s`; returns how many records
  // went with them.
  Result<std::int64_t> delete_before(std::int64_t before_s);

 private:
  std::unique_ptr<storage::Connection> conn_;
};

}  // namespace roadside::opmon
