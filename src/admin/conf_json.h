// The server configuration (serverconf) as the admin API's service-description and access routes
// read and change it: the newest revision as a copy to change and a change stored as a new
// revision; X-Road's identifiers of services, endpoints, descriptions and service clients;
// the objects as X-Road's schemas show them (ServiceDescription, Service, Endpoint,
// ServiceClient, AccessRight, LocalGroup).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/api.h"
#include "admin/context.h"
#include "serverconf/model.h"

namespace roadside::admin {

using serverconf::ServerConf;

// The newest revision as a copy to change; an empty configuration (no client, so every look-up
// is a 404) before the first one.
std::variant<ServerConf, ApiError> load_conf(ServerState& state);
// Stores `conf` as a new revision (`source` names the change); the error to answer, if any.
std::optional<ApiError> store_conf(ServerState& state, const ServerConf& conf, const std::string& source);
// Now, as X-Road's date-time fields write it ("2026-12-05T04:00:00.123Z").
std::string now_text();

// A numeric id of a path ("12"); nullopt for anything else (a sign, a space, too long).
std::optional<std::int64_t> numeric_id(std::string_view text);
// The client `text` names (X-Road's "DEV:COM:1234:SUB") when `conf` hosts it, else the 404
// (client_not_found) or 400 to answer.
std::variant<XRoadId, ApiError> hosted_client(const ServerConf& conf, std::string_view text);

// X-Road's full service code ("getRandom.v1") and service id ("DEV:COM:1234:SUB:getRandom.v1").
std::string full_service_code(const XRoadId& service);
std::string service_api_id(const XRoadId& service);
// The service an API id names (the full code compared exactly), or nullptr.
serverconf::Service* find_service(ServerConf& conf, std::string_view api_id);
// The service of `provider` with this full code, or nullptr.
serverconf::Service* find_service_by_code(ServerConf& conf, const XRoadId& provider, std::string_view full_code);
serverconf::ServiceDescription* find_description(ServerConf& conf, std::string_view id);
// The endpoint with this id and its service; {nullptr, nullptr} when none.
struct FoundEndpoint {
  serverconf::Service* service = nullptr;
  serverconf::Endpoint* endpoint = nullptr;
};
FoundEndpoint find_endpoint(ServerConf& conf, std::string_view id);
serverconf::LocalGroup* find_local_group(ServerConf& conf, std::string_view id);

// An endpoint path as X-Road writes it ("**" for the base endpoint's "/**") and back.
std::string api_path(const std::string& path);
std::string model_path(const std::string& path);

// Removes the access rights to `service` (all, or those of one endpoint pattern).
void remove_rights(ServerConf& conf, const XRoadId& service, const serverconf::Endpoint* endpoint = nullptr);

nlohmann::json endpoint_json(const serverconf::Service& service, const serverconf::Endpoint& e);
nlohmann::json service_json(const ServerConf& conf, const serverconf::Service& service);
nlohmann::json description_json(const ServerConf& conf, const serverconf::ServiceDescription& d);
nlohmann::json local_group_json(const ServerState& state, const serverconf::LocalGroup& g);

// A subject of access rights as X-Road's ServiceClient names it: a subsystem or member
// ("DEV:COM:1234:SUB"), a global group ("DEV:security-server-owners") or a local group of
// `provider` (its numeric id). Checked against global configuration when there is one
// (identifier_not_found), and against the provider's local groups (local_group_not_found).
std::variant<XRoadId, ApiError> parse_subject(const ServerState& state, ServerConf& conf, const XRoadId& provider,
                                              std::string_view text);
// The ServiceClient of `subject` (its name from global configuration or the local group),
// with the earliest time one of `rights` was given, when known.
nlohmann::json service_client_json(const ServerState& state, const ServerConf& conf, const XRoadId& provider,
                                   const XRoadId& subject, const std::vector<const serverconf::AccessRight*>& rights);

}  // namespace roadside::admin
