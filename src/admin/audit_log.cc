#include "admin/audit_log.h"

#include <array>
#include <chrono>

namespace roadside::admin {

namespace {

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

std::string field(const nlohmann::json& record, const char* name) {
  auto it = record.find(name);
  return it != record.end() && it->is_string() ? it->get<std::string>().substr(0, 255) : std::string();
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
