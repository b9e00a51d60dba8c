// /message-log: Roadside's own routes (X-Road's admin API has none; its operators read the
// message log through the client proxy's /asic or the archive files). The records of a query
// id, without their content, and one record's ASiC-E container: the same container /asic
// gives, so the console can find a message and hand its signed documents to whoever asks.
#include "admin/endpoints.h"
#include "base/clock.h"
#include "base/errors.h"
#include "base/log.h"
#include "base/utf8.h"

namespace roadside::admin {

namespace {

// Records one search lists: a query id names a request and its response, a few retries at most.
constexpr std::size_t kMaxListed = 100;
// X-Road's longest query id (its messagelog's queryid column).
constexpr std::size_t kMaxQueryIdBytes = 255;

nlohmann::json message_json(const LoggedMessage& m) {
  return {{"id", std::to_string(m.id)},
          {"time", format_rfc3339(m.time)},
          {"query_id", m.query_id},
          {"x_request_id", m.x_request_id},
          {"direction", m.response ? "RESPONSE" : "REQUEST"},
          {"client_id", m.client},
          {"timestamped", m.timestamped},
          {"archived", m.archived},
          {"body_logged", m.body_logged}};
}

ApiError unavailable(const Error& e) {
  if (e.code() == std::errc::operation_not_supported)
    return ApiError{409, {"message_log_disabled", {}}, {}, e.detail()};
  return internal_error(e);
}

HandlerResult list(ServerState& state, const Request& r) {
  const auto q = r.query.find("query_id");
  if (q == r.query.end() || q->second.empty()) return bad_request("missing_parameter", {"query_id"});
  if (q->second.size() > kMaxQueryIdBytes || !is_utf8(q->second)) return bad_request("invalid_parameter", {"query_id"});
  auto found = state.logged_messages(q->second, kMaxListed);
  if (!found.ok()) return unavailable(found.error());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : *found) out.push_back(message_json(m));
  return json_response(200, out);
}

HandlerResult container(ServerState& state, const Request& r) {
  const auto number = positive_number(r.param("id"));
  if (!number) return not_found("message");
  const std::int64_t id = *number;
  auto file = state.message_container(id);
  if (!file.ok()) {
    if (file.error().code() == std::errc::resource_unavailable_try_again)
      return ApiError{409, {"message_not_timestamped", {}}, {}, file.error().detail()};
    if (file.error().code() == base::errc::too_large)
      return ApiError{413, {"container_too_large", {}}, {}, file.error().detail()};
    return unavailable(file.error());
  }
  if (!*file) return not_found("message");
  // Reading a message's content changes nothing, yet who did is for the audit trail.
  log::Fields context = {{"auth", auth_name(r.caller.auth)}, {"url", "/api/v1" + r.path}};
  if (!r.caller.address.empty()) context["ipaddress"] = r.caller.address;
  log::audit("Download message container", r.caller.user, {{"recordId", std::to_string(id)}, {"file", (*file)->name}},
             context);
  Response answer{200, "application/vnd.etsi.asic-e+zip", std::move((*file)->bytes), {}};
  // (X-Road's container names keep to A-Z a-z 0-9 . - * _ %: nothing to quote.)
  answer.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + (*file)->name + "\"");
  return answer;
}

}  // namespace

void add_message_log_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/message-log/messages", "view_message_log",
           [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return list(state, r); }, false, "", false,
           "the message log's records of a query id (query_id), without their content", true});
  api.add({Verb::get, "/message-log/messages/{id}/container", "download_message_container",
           [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return container(state, r); }, false, "", false,
           "a time-stamped record's ASiC-E container, as the client proxy's /asic gives it", true});
}

}  // namespace roadside::admin
