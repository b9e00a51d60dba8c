#include "opmon/op_store.h"

#include <algorithm>
#include <limits>
#include <string>

namespace roadside::opmon {

namespace {

using storage::Value;

// Rows read at a time: each holds up to a recorder's batch of records.
constexpr std::int64_t kRowsPerRead = 8;

Error store_failed(const Error& e) {
  return Error(make_error_code(errc::store_failed), e.to_string());
}

}  // namespace

OpStore::OpStore(std::unique_ptr<storage::Connection> connection) : conn_(std::move(connection)) {}

Status OpStore::append(const std::vector<OpRecord>& records) {
  if (records.empty()) return {};
  std::string lines;
  std::int64_t first = std::numeric_limits<std::int64_t>::max(), last = std::numeric_limits<std::int64_t>::min();
  for (const auto& r : records) {
    lines += to_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    lines += '\n';
    first = std::min(first, r.monitoring_data_ts);
    last = std::max(last, r.monitoring_data_ts);
  }
  if (last - first > kMaxRowSpan) {
    return Error(make_error_code(errc::store_failed),
                 "operational data records spanning " + std::to_string(last - first) + " s in one row");
  }
  const Value row[] = {first, last, static_cast<std::int64_t>(records.size()), storage::Blob{std::move(lines)}};
  auto done = conn_->query("INSERT INTO opmon_batches (first_ts, last_ts, records, data) VALUES (?,?,?,?)", row);
  if (!done.ok()) return store_failed(done.error());
  return {};
}

Result<OpQueryResult> OpStore::query(std::int64_t from_s, std::int64_t to_s, std::size_t max,
                                     const std::function<bool(const OpRecord&)>& match, std::size_t max_scanned) {
  OpQueryResult out;
  std::vector<OpRecord>& taken = out.records;
  // The second of the max-th oldest record taken so far: nothing later is answered.
  std::int64_t cut = std::numeric_limits<std::int64_t>::max();
  bool left_out = false;
  // Where reading stopped for the scan budget: every record before it has been seen.
  std::optional<std::int64_t> stopped_at;
  std::size_t scanned = 0;
  std::int64_t after_first = std::numeric_limits<std::int64_t>::min(), after_id = 0;
  for (bool more = true; more;) {
    const Value p[] = {
        std::max(from_s - kMaxRowSpan, after_first), to_s, from_s, after_first, after_first, after_id, kRowsPerRead};
    auto rows = conn_->query(
        "SELECT id, first_ts, data FROM opmon_batches WHERE first_ts >= ? AND first_ts <= ? AND last_ts >= ? AND "
        "(first_ts > ? OR (first_ts = ? AND id > ?)) ORDER BY first_ts, id LIMIT ?",
        p);
    if (!rows.ok()) return store_failed(rows.error());
    more = static_cast<std::int64_t>(rows->size()) == kRowsPerRead;
    for (const auto& row : *rows) {
      const std::int64_t previous_first = after_first;
      after_id = storage::as_int(row[0]).value_or(0);
      after_first = storage::as_int(row[1]).value_or(0);
      if (after_first > cut) {  // this row and every later one start after the cut
        left_out = true;
        more = false;
        break;
      }
      // Over budget, stop where a new second starts inside the window, so the answer ends on a
      // whole second and the next query goes on from it.
      if (scanned >= max_scanned && after_first > previous_first && after_first > from_s) {
        stopped_at = after_first;
        more = false;
        break;
      }
      const std::string data = storage::as_text(row[2]).value_or("");
      for (std::size_t at = 0; at < data.size();) {
        std::size_t end = data.find('\n', at);
        if (end == std::string::npos) end = data.size();
        auto json = nlohmann::json::parse(data.begin() + static_cast<std::ptrdiff_t>(at),
                                          data.begin() + static_cast<std::ptrdiff_t>(end), nullptr, false);
        at = end + 1;
        ++scanned;
        auto record = from_json(json);
        if (!record.ok()) return record.error();
        const std::int64_t ts = record->monitoring_data_ts;
        if (ts < from_s || ts > to_s || !match(*record)) continue;
        if (ts > cut) {
          left_out = true;
          continue;
        }
        taken.push_back(std::move(record).value());
      }
      if (taken.size() > max) {
        std::vector<std::int64_t> times;
        times.reserve(taken.size());
        for (const auto& r : taken) times.push_back(r.monitoring_data_ts);
        std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(max - 1), times.end());
        cut = times[max - 1];
        const auto before = taken.size();
        std::erase_if(taken, [&](const OpRecord& r) { return r.monitoring_data_ts > cut; });
        left_out = left_out || taken.size() != before;
      }
    }
  }
  if (stopped_at) std::erase_if(taken, [&](const OpRecord& r) { return r.monitoring_data_ts >= *stopped_at; });
  std::stable_sort(taken.begin(), taken.end(),
                   [](const OpRecord& a, const OpRecord& b) { return a.monitoring_data_ts < b.monitoring_data_ts; });
  if (left_out && cut < to_s) out.next_records_from = cut + 1;
  if (stopped_at && (!out.next_records_from || *stopped_at < *out.next_records_from))
    out.next_records_from = stopped_at;
  return out;
}

Result<std::int64_t> OpStore::delete_before(std::int64_t before_s) {
  const Value q[] = {before_s, before_s};
  auto rows = conn_->query("DELETE FROM opmon_batches WHERE first_ts < ? AND last_ts < ? RETURNING records", q);
  if (!rows.ok()) return store_failed(rows.error());
  std::int64_t n = 0;
  for (const auto& r : *rows) n += storage::as_int(r[0]).value_or(0);
  return n;
}

}  // namespace roadside::opmon
