#include "admin/endpoints.h"
#include "serverconf/revisions.h"

namespace roadside::admin {

void add_all_routes(Api& api, ServerState& state, ApiKeys& keys, SystemFacts facts) {
  add_api_key_routes(api, keys);
  add_token_routes(api, state);
  add_initialization_routes(api, state);
  add_csr_routes(api, state);
  add_registration_routes(api, state);
  add_client_routes(api, state);
  add_service_description_routes(api, state);
  add_service_routes(api, state);
  add_access_routes(api, state);
  add_anchor_routes(api, state);
  add_backup_routes(api, state);
  add_internal_tls_routes(api, state);
  add_timestamping_routes(api, state);
  add_server_status_routes(api, state);
  add_diagnostics_routes(api, state);
  add_message_log_routes(api, state);
  add_audit_routes(api, state);
  add_system_routes(api, std::move(facts));
}

SystemFacts SystemFacts::of_role(std::string_view role) {
  std::string type(role);
  for (char& ch : type) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
  return {type};
}

std::optional<XRoadId> stored_server_id(storage::Store& store) {
  auto latest = serverconf::load_latest(store);
  if (!latest.ok() || latest->conf->server_code.empty()) return std::nullopt;
  return latest->conf->server_id();
}

}  // namespace roadside::admin
