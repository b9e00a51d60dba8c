// GET /system/server-address and GET /system/maintenance-mode: this server as global
// configuration lists it (its address; whether the Central Server has it in maintenance mode,
// shared parameters v5+). Before the server is initialized or while no configuration is
// loaded, it is not listed: no current address, maintenance mode disabled.
#include "admin/endpoints.h"

namespace roadside::admin {

namespace {

// This server's entry in the shared parameters; nullptr when it is not there.
const globalconf::SecurityServer* this_server(const globalconf::SharedParameters* shared,
                                              const std::optional<XRoadId>& id) {
  if (!shared || !id) return nullptr;
  for (const auto& s : shared->security_servers) {
    if (s.id == *id) return &s;
  }
  return nullptr;
}

nlohmann::json address_json(const ServerState& state) {
  const auto shared = state.shared();
  const auto* server = this_server(shared.get(), state.server_id());
  nlohmann::json out = nlohmann::json::object();
  if (server && !server->address.empty()) out["current_address"] = {{"address", server->address}};
  return out;
}

nlohmann::json maintenance_json(const ServerState& state) {
  const auto shared = state.shared();
  const auto priv = state.private_params();
  const auto* server = this_server(shared.get(), state.server_id());
  const bool provider =
      server && priv && priv->management_service_provider && server->hosts(*priv->management_service_provider);
  nlohmann::json out = {
      {"status", server && server->in_maintenance ? "ENABLED_MAINTENANCE_MODE" : "DISABLED_MAINTENANCE_MODE"},
      {"is_management_services_provider", provider}};
  if (server && server->in_maintenance && !server->maintenance_message.empty())
    out["message"] = server->maintenance_message;
  return out;
}

}  // namespace

void add_server_status_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/system/server-address", "view_sys_params|change_ss_address",
           [&state](Request&) -> asio::awaitable<HandlerResult> { co_return json_response(200, address_json(state)); },
           false, "", false, "this server's address as global configuration lists it"});
  api.add(
      {Verb::get, "/system/maintenance-mode", "view_sys_params|toggle_maintenance_mode",
       [&state](Request&) -> asio::awaitable<HandlerResult> { co_return json_response(200, maintenance_json(state)); },
       false, "", false, "whether global configuration has this server in maintenance mode"});
}

}  // namespace roadside::admin
