#include "admin/roles.h"

#include <algorithm>
#include <array>
#include <initializer_list>

namespace roadside::admin {

namespace {

using enum Role;

constexpr std::array<std::string_view, 5> kNames = {
    "XROAD_SECURITY_OFFICER",     "XROAD_REGISTRATION_OFFICER",    "XROAD_SERVICE_ADMINISTRATOR",
    "XROAD_SYSTEM_ADMINISTRATOR", "XROAD_SECURITYSERVER_OBSERVER",
};

struct Grant {
  std::string_view permission;
  Roles roles;
};

Roles of(std::initializer_list<Role> list) {
  Roles r;
  for (Role role : list) r.add(role);
  return r;
}

// X-Road's permissions.yml, one line per permission, and Roadside's own where it says so.
const std::vector<Grant>& grants() {
  static const std::vector<Grant> table = [] {
    constexpr Role so = security_officer, ro = registration_officer, sa = service_administrator,
                   sys = system_administrator, obs = securityserver_observer;
    const Roles everyone = Roles::all();
    return std::vector<Grant>{
        {"init_config", of({sys})},
        {"view_clients", of({so, ro, sa, obs})},
        {"add_client", of({ro})},
        {"send_client_reg_req", of({ro})},
        {"send_owner_change_req", of({ro})},
        {"view_client_details", of({ro, sa, obs})},
        {"send_client_del_req", of({ro})},
        {"delete_client", of({ro})},
        {"disable_client", of({ro})},
        {"enable_client", of({ro})},
        {"rename_subsystem", of({ro})},
        {"view_client_local_groups", of({sa, obs})},
        {"add_local_group", of({sa})},
        {"edit_local_group_desc", of({sa})},
        {"edit_local_group_members", of({sa})},
        {"delete_local_group", of({sa})},
        {"view_client_services", of({sa, obs})},
        {"add_wsdl", of({sa})},
        {"add_openapi3", of({sa})},
        {"add_openapi3_endpoint", of({sa})},
        {"enable_disable_wsdl", of({sa})},
        {"edit_wsdl", of({sa})},
        {"edit_openapi3", of({sa})},
        {"edit_rest", of({sa})},
        {"edit_openapi3_endpoint", of({sa})},
        {"refresh_wsdl", of({sa})},
        {"refresh_openapi3", of({sa})},
        {"refresh_rest", of({sa})},
        {"delete_wsdl", of({sa})},
        {"delete_endpoint", of({sa})},
        {"edit_service_params", of({sa})},
        {"view_endpoint", of({sa, obs})},
        {"view_service_acl", of({sa, obs})},
        {"edit_service_acl", of({sa})},
        {"view_endpoint_acl", of({sa, obs})},
        {"edit_endpoint_acl", of({sa})},
        {"view_client_acl_subjects", of({sa, obs})},
        {"view_acl_subject_open_services", of({sa, obs})},
        {"edit_acl_subject_open_services", of({sa})},
        {"view_client_internal_certs", of({sa, ro, obs})},
        {"view_client_internal_cert_details", of({sa, ro, obs})},
        {"add_client_internal_cert", of({sa, ro})},
        {"delete_client_internal_cert", of({sa, ro})},
        {"view_client_internal_connection_type", of({sa, ro, obs})},
        {"edit_client_internal_connection_type", of({sa, ro})},
        {"view_keys", of({so, ro, sys, obs})},
        {"activate_deactivate_token", of({so, sys})},
        {"update_token_pin", of({sys})},
        {"view_auth_cert", of({so, ro, sys, obs})},
        {"view_sign_cert", of({so, ro, sys, obs, sa})},
        {"view_unknown_cert", of({so, ro, sys, obs, sa})},
        {"generate_key", of({so, ro})},
        {"delete_key", of({so, ro})},
        {"generate_auth_cert_req", of({so})},
        {"generate_sign_cert_req", of({so, ro})},
        {"import_auth_cert", of({so})},
        {"import_sign_cert", of({so, ro})},
        {"import_unknown_cert", of({so})},
        {"activate_disable_auth_cert", of({so})},
        {"activate_disable_sign_cert", of({so, ro})},
        {"send_auth_cert_reg_req", of({so})},
        {"send_auth_cert_del_req", of({so})},
        {"delete_auth_cert", of({so})},
        {"delete_sign_cert", of({so, ro})},
        {"delete_unknown_cert", of({so, ro})},
        {"delete_auth_key", of({so})},
        {"delete_sign_key", of({so, ro})},
        {"edit_key_friendly_name", of({so, ro, sys})},
        {"edit_token_friendly_name", of({so, ro, sys})},
        {"delete_token", of({sys})},
        {"create_api_key", of({sys})},
        {"view_api_keys", of({sys, obs})},
        {"update_api_key", of({sys})},
        {"revoke_api_key", of({sys})},
        {"add_admin_user", of({sys})},
        {"view_admin_users", of({sys, obs})},
        {"update_admin_user", of({sys})},
        {"delete_admin_user", of({sys})},
        {"view_sys_params", of({so, sys, obs})},
        {"view_anchor", of({so, sys, obs})},
        {"download_anchor", of({so, sys})},
        {"upload_anchor", of({so, sys})},
        {"view_tsps", of({so, sys, obs})},
        {"add_tsp", of({so})},
        {"delete_tsp", of({so})},
        {"view_internal_tls_cert", everyone},
        {"export_internal_tls_cert", of({so, sys, sa, ro})},
        {"import_internal_tls_cert", of({so, sys})},
        {"generate_internal_tls_key_cert", of({so, sys})},
        {"generate_internal_tls_csr", of({so, sys})},
        {"view_approved_certificate_authorities", of({ro, so, obs, sys})},
        {"view_member_classes", everyone},
        {"view_xroad_instances", everyone},
        {"view_security_servers", everyone},
        {"backup_configuration", of({sys})},
        {"diagnostics", of({sys, obs})},
        // Roadside's own: the message log's records (no content), and their containers (content).
        {"view_message_log", of({sys, sa, obs})},
        {"download_message_container", of({sys, sa})},
        // Roadside's own: the audit trail (admin/audit_log.h). Not observers: a failed login's
        // user name is what was typed, a password in the wrong field at times.
        {"view_audit_log", of({so, sys})},
        {"download_diagnostics_report", of({sys})},
        {"toggle_maintenance_mode", of({sys})},
        {"send_test_mail", of({sys})},
        {"restore_configuration", of({sys})},
        {"view_version", everyone},
        {"view_authentication_provider_type", everyone},
        {"view_node_type", everyone},
        {"change_ss_address", of({sys})},
        {"change_configuration_property", of({sys})},
    };
  }();
  return table;
}

const Grant* find(std::string_view permission) noexcept {
  const auto& table = grants();
  auto it = std::find_if(table.begin(), table.end(), [&](const Grant& g) { return g.permission == permission; });
  return it == table.end() ? nullptr : &*it;
}

}  // namespace

std::string_view role_name(Role role) noexcept {
  return kNames[static_cast<std::size_t>(role)];
}

std::optional<Role> parse_role(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Role>(i);
  }
  return std::nullopt;
}

Roles Roles::all() noexcept {
  Roles r;
  for (std::size_t i = 0; i < kNames.size(); ++i) r.add(static_cast<Role>(i));
  return r;
}

std::optional<Roles> Roles::parse(std::span<const std::string> names, std::string* unknown) {
  Roles r;
  for (const auto& name : names) {
    auto role = parse_role(name);
    if (!role) {
      if (unknown) *unknown = name;
      return std::nullopt;
    }
    r.add(*role);
  }
  return r;
}

std::optional<Roles> Roles::from_string(std::string_view joined) {
  std::vector<std::string> names;
  while (!joined.empty()) {
    const auto comma = joined.find(',');
    names.emplace_back(joined.substr(0, comma));
    joined = comma == std::string_view::npos ? std::string_view() : joined.substr(comma + 1);
  }
  return parse(names);
}

std::vector<std::string> Roles::names() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (has(static_cast<Role>(i))) out.emplace_back(kNames[i]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Roles::to_string() const {
  std::string out;
  for (const auto& name : names()) {
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

bool permits(Roles roles, std::string_view permission) noexcept {
  const Grant* g = find(permission);
  return g && g->roles.overlaps(roles);
}

bool permits_any(Roles roles, std::string_view permissions) noexcept {
  for (std::string_view rest = permissions; !rest.empty();) {
    const auto bar = rest.find('|');
    if (permits(roles, rest.substr(0, bar))) return true;
    rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
  }
  return false;
}

std::vector<std::string> permissions_of(Roles roles) {
  std::vector<std::string> out;
  for (const Grant& g : grants()) {
    if (g.roles.overlaps(roles)) out.emplace_back(g.permission);
  }
  std::sort(out.begin(), out.end());  // (each permission has one grant)
  return out;
}

bool known_permission(std::string_view permission) noexcept {
  return find(permission) != nullptr;
}

}  // namespace roadside::admin
