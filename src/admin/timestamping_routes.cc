// /timestamping-services (the approved TSAs of global configuration) and
// /system/timestamping-services (those this server is to use, X-Road's configured TSPs,
// timestamping.h): only an approved TSA can be added, and each once.
#include <nlohmann/json.hpp>

#include "admin/endpoints.h"
#include "admin/timestamping.h"

namespace roadside::admin {

Result<std::vector<ConfiguredTsp>> configured_tsps(storage::Store& store) {
  auto latest = serverconf::load_latest(store);
  if (!latest.ok()) {
    if (latest.error().code() == serverconf::make_error_code(serverconf::errc::no_conf))
      return std::vector<ConfiguredTsp>{};
    return latest.error();
  }
  return latest->conf->timestamping_services;
}

Status store_configured_tsps(storage::Store& store, const std::vector<ConfiguredTsp>& tsps) {
  ROADSIDE_TRY(auto latest, serverconf::load_latest(store));
  serverconf::ServerConf conf = *latest.conf;
  conf.timestamping_services = tsps;
  ROADSIDE_TRY_STATUS(serverconf::apply(store, conf, "admin api: timestamping services"));
  return {};
}

namespace {

constexpr std::size_t kMaxField = 255;
constexpr std::size_t kMaxConfigured = 100;

using Tsp = ConfiguredTsp;

std::string cost_type(const std::string& stored) {
  return stored.empty() ? std::string("UNDEFINED") : stored;
}

std::vector<globalconf::ApprovedTsa> approved(const ServerState& state) {
  auto shared = state.shared();
  return shared ? shared->approved_tsas : std::vector<globalconf::ApprovedTsa>{};
}

// The approved TSA of that name and URL; nullptr when none.
const globalconf::ApprovedTsa* find_approved(const std::vector<globalconf::ApprovedTsa>& tsas, const Tsp& tsp) {
  for (const auto& t : tsas) {
    if (t.name == tsp.name && t.url == tsp.url) return &t;
  }
  return nullptr;
}

nlohmann::json tsp_json(const std::string& name, const std::string& url, const std::string& cost) {
  return {{"name", name}, {"url", url}, {"cost_type", cost_type(cost)}};
}

// The TimestampingService of the request body; an ApiError for a missing or oversized field.
std::variant<Tsp, ApiError> tsp_of(const Request& r) {
  const nlohmann::json body = r.json_body().value_or(nlohmann::json());
  Tsp t{json_string(body, "name"), json_string(body, "url")};
  if (t.name.empty() || t.url.empty() || t.name.size() > kMaxField || t.url.size() > kMaxField)
    return bad_request("invalid_timestamping_service", {}, "a timestamping service needs a name and a url");
  return t;
}

bool same(const Tsp& a, const Tsp& b) {
  return a.name == b.name && a.url == b.url;
}

nlohmann::json approved_json(const ServerState& state) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : approved(state)) out.push_back(tsp_json(t.name, t.url, t.cost_type));
  return out;
}

Result<nlohmann::json> configured_json(const ServerState& state) {
  ROADSIDE_TRY(auto tsps, configured_tsps(state.store));
  const auto tsas = approved(state);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : tsps) {
    const auto* match = find_approved(tsas, t);
    out.push_back(tsp_json(t.name, t.url, match ? match->cost_type : std::string()));
  }
  return out;
}

// Adds `tsp` to the configured ones; an ApiError for a duplicate or one too many.
std::optional<ApiError> add_configured(storage::Store& store, const Tsp& tsp) {
  auto tsps = configured_tsps(store);
  if (!tsps.ok()) return internal_error(tsps.error());
  for (const auto& t : *tsps) {
    if (same(t, tsp)) return conflict("timestamping_service_already_configured", {tsp.name, tsp.url});
  }
  if (tsps->size() >= kMaxConfigured)
    return bad_request("timestamping_service_limit", {std::to_string(kMaxConfigured)});
  tsps->push_back(tsp);
  if (auto st = store_configured_tsps(store, *tsps); !st.ok()) return internal_error(st.error());
  return std::nullopt;
}

// Removes `tsp` from the configured ones; an ApiError when it is not there.
std::optional<ApiError> remove_configured(storage::Store& store, const Tsp& tsp) {
  auto tsps = configured_tsps(store);
  if (!tsps.ok()) return internal_error(tsps.error());
  const auto before = tsps->size();
  std::erase_if(*tsps, [&tsp](const Tsp& t) { return same(t, tsp); });
  if (tsps->size() == before) return bad_request("timestamping_service_not_found", {tsp.name, tsp.url});
  if (auto st = store_configured_tsps(store, *tsps); !st.ok()) return internal_error(st.error());
  return std::nullopt;
}

void audit_tsp(Request& r, const Tsp& t, const std::string& cost) {
  r.audit = {{"tspName", t.name}, {"tspUrl", t.url}};
  if (!cost.empty()) r.audit["tspCostType"] = cost_type(cost);
}

}  // namespace

void add_timestamping_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/timestamping-services", "view_tsps",
           [&state](Request&) -> asio::awaitable<HandlerResult> { co_return json_response(200, approved_json(state)); },
           false, "", false, "the approved timestamping services of global configuration"});
  api.add({Verb::get, "/system/timestamping-services", "view_tsps",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             auto out = configured_json(state);
             if (!out.ok()) co_return internal_error(out.error());
             co_return json_response(200, *out);
           },
           false, "", false, "the timestamping services this server uses"});
  api.add({Verb::post, "/system/timestamping-services", "add_tsp",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto parsed = tsp_of(r);
             if (auto* e = std::get_if<ApiError>(&parsed)) co_return *e;
             const Tsp tsp = std::get<Tsp>(parsed);
             audit_tsp(r, tsp, {});
             const auto tsas = approved(state);
             const auto* match = find_approved(tsas, tsp);
             if (!match) co_return bad_request("timestamping_service_not_found", {tsp.name, tsp.url});
             audit_tsp(r, tsp, match->cost_type);
             if (auto refused = add_configured(state.store, tsp)) co_return *refused;
             co_return json_response(201, tsp_json(tsp.name, tsp.url, match->cost_type));
           },
           true, "Add timestamping service", false, "use an approved timestamping service"});
  api.add({Verb::post, "/system/timestamping-services/delete", "delete_tsp",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto parsed = tsp_of(r);
             if (auto* e = std::get_if<ApiError>(&parsed)) co_return *e;
             const Tsp tsp = std::get<Tsp>(parsed);
             audit_tsp(r, tsp, {});
             if (auto refused = remove_configured(state.store, tsp)) co_return *refused;
             co_return empty_response(204);
           },
           true, "Delete timestamping service", false, "stop using a timestamping service"});
  api.add({Verb::get, "/system/timestamping-services/prioritization-strategy", "view_tsps",
           [](Request&) -> asio::awaitable<HandlerResult> {
             // Roadside asks the configured services in their order (X-Road's NONE).
             co_return json_response(200, "NONE");
           },
           false, "", false, "how the configured timestamping services are chosen: in their order (NONE)"});
}

}  // namespace roadside::admin
