// GET /audit-log: Roadside's own route (X-Road's admin API has none; its audit log is a file):
// the audit trail newest first, a page at a time, by event and by user.
#include "admin/audit_log.h"
#include "admin/endpoints.h"
#include "base/utf8.h"

namespace roadside::admin {

namespace {

constexpr std::size_t kDefaultPage = 50;
constexpr std::size_t kMaxPage = 500;

HandlerResult audit_log(ServerState& state, const Request& r) {
  AuditQuery query;
  query.limit = kDefaultPage;
  if (auto it = r.query.find("limit"); it != r.query.end()) {
    auto n = positive_number(it->second);
    if (!n || *n > static_cast<std::int64_t>(kMaxPage)) return bad_request("invalid_parameter", {"limit"});
    query.limit = static_cast<std::size_t>(*n);
  }
  if (auto it = r.query.find("before_id"); it != r.query.end()) {
    query.before_id = positive_number(it->second);
    if (!query.before_id) return bad_request("invalid_parameter", {"before_id"});
  }
  for (auto [name, target] : {std::pair{"event", &query.event}, std::pair{"user", &query.user}}) {
    if (auto it = r.query.find(name); it != r.query.end()) {
      // (Not UTF-8: PostgreSQL would refuse to compare it, and no stored name is such.)
      if (it->second.size() > 255 || !is_utf8(it->second)) return bad_request("invalid_parameter", {name});
      *target = it->second;
    }
  }
  auto entries = read_audit_log(state.store, query);
  if (!entries.ok()) return internal_error(entries.error());
  nlohmann::json out = nlohmann::json::array();
  for (auto& e : *entries) {
    nlohmann::json one = std::move(e.record);
    one["id"] = std::to_string(e.id);
    one["time"] = format_rfc3339(e.time);
    out.push_back(std::move(one));
  }
  return json_response(200, out);
}

}  // namespace

void add_audit_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/audit-log", "view_audit_log",
           [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return audit_log(state, r); }, false, "", false,
           "the audit trail, newest first: limit (at most 500), before_id, event, user", true});
}

}  // namespace roadside::admin
