#include "admin/audit_log.h"

#include <array>
#include <chrono>

#include "base/utf8.h"

namespace roadside::admin {

namespace {

constexpr std::size_t kMaxColumnBytes = 255;

std::int64_t to_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The record's text within kMaxAuditRecordBytes: a larger one keeps all but its data.
std::string bounded_text(const nlohmann::json& record) {
  std::string text = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() <= kMaxAuditRecordBytes) return text;
  nlohmann::json cut = record;
  cut["data"] = {{"truncated", true}, {"bytes", text.size()}};
  text = cut.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return text.size() <= kMaxAuditRecordBytes ? text : std::string(R"({"truncated":true})");
}

// A string member as a column takes it: valid UTF-8 (a byte that is not becomes U+FFFD, as in
// the record's text: PostgreSQL refuses invalid UTF-8, and one bad name must not fail the
// batch) and at most 255 bytes, cut between characters.
std::string field(const nlohmann::json& record, const char* name) {
  auto it = record.find(name);
  if (it == record.end() || !it->is_string()) return {};
  std::string text = it->get<std::string>();
  if (!is_utf8(text)) {
    text = nlohmann::json::parse(nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
               .get<std::string>();
  }
  if (text.size() <= kMaxColumnBytes) return text;
  std::size_t end = kMaxColumnBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace

Status append_audit_lines(storage::Store& store, const std::vector<AuditLine>& lines) {
  if (lines.empty()) return {};
  return store.transaction([&](storage::Connection& c) -> Status {
    for (const auto& line : lines) {
      const std::array<storage::Value, 4> params = {to_ms(line.time), field(line.record, "event"),
                                                    field(line.record, "user"), bounded_text(line.record)};
      ROADSIDE_TRY_STATUS(
          c.query("INSERT INTO audit_log (time_ms, event, user_name, record) VALUES (?, ?, ?, ?)", params));
    }
    return {};
  });
}

Result<std::size_t> delete_audit_lines_before(storage::Store& store, Clock::time_point before, std::size_t limit) {
  const std::array<storage::Value, 2> params = {to_ms(before), static_cast<std::int64_t>(limit)};
  auto rows = store.with_connection([&](storage::Connection& c) {
    return c.query(
        "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE time_ms < ? ORDER BY id LIMIT ?) "
        "RETURNING id",
        params);
  });
  if (!rows.ok()) return rows.error();
  return rows->size();
}

Result<std::size_t> delete_audit_lines_beyond(storage::Store& store, std::size_t keep, std::size_t limit) {
  const std::array<storage::Value, 2> params = {static_cast<std::int64_t>(keep), static_cast<std::int64_t>(limit)};
  // (The newest `keep` rows by id; ids only grow.)
  auto rows = store.with_connection([&](storage::Connection& c) {
    return c.query(
        "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE id <= "
        "(SELECT COALESCE(MAX(id), 0) FROM audit_log) - ? ORDER BY id LIMIT ?) RETURNING id",
        params);
  });
  if (!rows.ok()) return rows.error();
  return rows->size();
}

Result<std::vector<AuditEntry>> read_audit_log(storage::Store& store, const AuditQuery& query) {
  std::string sql = "SELECT id, time_ms, record FROM audit_log WHERE 1 = 1";
  std::vector<storage::Value> params;
  if (query.before_id) {
    sql += " AND id < ?";
    params.emplace_back(*query.before_id);
  }
  if (!query.event.empty()) {
    sql += " AND event = ?";
    params.emplace_back(query.event);
  }
  if (!query.user.empty()) {
    sql += " AND user_name = ?";
    params.emplace_back(query.user);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(static_cast<std::int64_t>(query.limit));
  auto rows = store.with_connection([&](storage::Connection& c) { return c.query(sql, params); });
  if (!rows.ok()) return rows.error();
  std::vector<AuditEntry> out;
  out.reserve(rows->size());
  for (const auto& row : *rows) {
    auto id = storage::as_int(row.at(0));
    auto ms = storage::as_int(row.at(1));
    auto text = storage::as_text(row.at(2));
    if (!id || !ms || !text)
      return make_error(storage::errc::query_failed, "audit_log holds a row Roadside cannot read");
    auto record = nlohmann::json::parse(*text, nullptr, false);
    if (!record.is_object()) record = nlohmann::json::object();
    out.push_back({*id, Clock::time_point(std::chrono::milliseconds(*ms)), std::move(record)});
  }
  return out;
}

}  // namespace roadside::admin
