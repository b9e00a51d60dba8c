// /clients as X-Road's admin API has them: the members and subsystems this server hosts (the
// server configuration's clients, serverconf/model.h), with X-Road's client statuses, their
// information systems' connection type and TLS certificates, and the management requests that
// register and unregister them, disable, enable or rename a subsystem or make a member the
// owner (clientReg, clientDeletion, clientDisable, clientEnable, clientRename, ownerChange, sent
// through the client proxy: management_requests.h). Every change is a new revision of the
// server configuration, which the proxies follow without a restart.
#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "admin/conf_json.h"
#include "admin/endpoints.h"
#include "admin/ids.h"
#include "admin/management_requests.h"
#include "admin/token_json.h"
#include "serverconf/revisions.h"

namespace roadside::admin {

namespace {

using serverconf::ClientStatus;
using serverconf::IsAuth;
using serverconf::ServerConf;

constexpr std::size_t kMaxFilter = 255;   // X-Road's maxLength of every /clients filter
constexpr std::size_t kMaxIsCerts = 100;  // information-system certificates a client may have

ApiError client_not_found(const std::string& id) {
  return ApiError{404, {"client_not_found", {id}}, {}, "no such client"};
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool contains_ignoring_case(std::string_view text, std::string_view part) {
  return lower(text).find(lower(part)) != std::string::npos;
}

// X-Road's ConnectionType for Roadside's (X-Road's serverconf) IS authentication mode.
std::string_view connection_type(IsAuth a) {
  switch (a) {
    case IsAuth::noauth:
      return "HTTP";
    case IsAuth::sslnoauth:
      return "HTTPS_NO_AUTH";
    case IsAuth::sslauth:
      return "HTTPS";
  }
  return "HTTP";
}

std::optional<IsAuth> is_auth_of(std::string_view type) {
  if (type == "HTTP") return IsAuth::noauth;
  if (type == "HTTPS_NO_AUTH") return IsAuth::sslnoauth;
  if (type == "HTTPS") return IsAuth::sslauth;
  return std::nullopt;
}

// The newest configuration; server_not_initialized before the first.
OrApiError<ServerConf> initialized_conf(ServerState& state) {
  auto latest = serverconf::load_latest(state.store);
  if (!latest.ok()) {
    if (latest.error().code() == serverconf::errc::no_conf) return bad_request("server_not_initialized");
    return internal_error(latest.error());
  }
  return *latest->conf;
}

std::optional<ApiError> save(ServerState& state, const ServerConf& conf, const std::string& why) {
  return store_conf(state, conf, why);
}

serverconf::Client* find_client(ServerConf& conf, const XRoadId& id) {
  auto it = std::find_if(conf.clients.begin(), conf.clients.end(), [&](const auto& c) { return c.id == id; });
  return it == conf.clients.end() ? nullptr : &*it;
}

// The client the path's {id} names in `conf`, or the error to answer with.
OrApiError<serverconf::Client*> path_client(ServerConf& conf, const Request& r) {
  const std::string& text = r.param("id");
  auto id = parse_client_id(text);
  if (!id) return bad_request("invalid_client_identifier", {text});
  serverconf::Client* client = find_client(conf, *id);
  if (!client) return client_not_found(text);
  return client;
}

// Whether the member of `client` has a signing certificate here that is registered, active
// and has a good OCSP response (X-Road's has_valid_local_sign_cert).
bool has_valid_sign_cert(const ServerState& state, const std::vector<signer::TokenKey>& keys, const XRoadId& client) {
  const XRoadId member = client.owner_member();
  for (const auto& key : keys) {
    if (key.usage != signer::KeyUsage::signing) continue;
    for (const auto& cert : key.certs) {
      if (cert.member == member && cert.active && cert.status == signer::CertStatus::registered &&
          state.ocsp_status(cert.cert) == "OCSP_RESPONSE_GOOD") {
        return true;
      }
    }
  }
  return false;
}

struct Facts {
  std::shared_ptr<const globalconf::SharedParameters> shared;
  std::shared_ptr<const globalconf::PrivateParameters> priv;
  std::vector<signer::TokenKey> keys;  // empty when the token cannot be read
};

Facts facts(ServerState& state) {
  Facts f{state.shared(), state.private_params(), {}};
  if (auto keys = state.token.contents(); keys.ok()) f.keys = std::move(*keys);
  return f;
}

// X-Road's Client: `local` when this server hosts it (then with its status and connection type).
nlohmann::json client_json(const ServerState& state, const Facts& f, const XRoadId& id, const XRoadId* owner,
                           const serverconf::Client* local) {
  nlohmann::json j = {{"id", api_id(id)},
                      {"instance_id", std::string(id.instance())},
                      {"member_class", std::string(id.member_class())},
                      {"member_code", std::string(id.member_code())},
                      {"owner", owner && *owner == id},
                      {"has_valid_local_sign_cert", has_valid_sign_cert(state, f.keys, id)},
                      {"is_management_services_provider",
                       f.priv && f.priv->management_service_provider && *f.priv->management_service_provider == id}};
  if (id.type() == ObjectType::subsystem) j["subsystem_code"] = std::string(id.subsystem_code());
  if (f.shared) {
    if (const auto* member = f.shared->member(id.owner_member()); member && !member->name.empty())
      j["member_name"] = member->name;
  }
  if (local) {
    j["connection_type"] = connection_type(local->is_auth);
    j["status"] = serverconf::to_string(local->status_or_registered());
  }
  return j;
}

// GET /clients: X-Road's search. Local clients (internal_search, the default), or those of
// global configuration too; string filters match ignoring case, as parts of the field
// (instance and member class whole).
HandlerResult find_clients(ServerState& state, Request& r) {
  for (const char* name : {"name", "instance", "member_class", "member_code", "subsystem_code"}) {
    if (r.query[name].size() > kMaxFilter) return bad_request("invalid_parameters", {name});  // ("" when absent)
  }
  auto flag = [&r](const char* name, bool fallback) -> std::optional<bool> {
    const auto it = r.query.find(name);
    if (it == r.query.end() || it->second.empty()) return fallback;
    if (it->second == "true") return true;
    if (it->second == "false") return false;
    return std::nullopt;
  };
  const auto show_members = flag("show_members", true), internal = flag("internal_search", true),
             exclude_local = flag("exclude_local", false);
  std::optional<bool> valid_cert;
  if (r.query.contains("local_valid_sign_cert")) {
    valid_cert = flag("local_valid_sign_cert", false);
    if (!valid_cert) return bad_request("invalid_parameters", {"local_valid_sign_cert"});
  }
  if (!show_members || !internal || !exclude_local) return bad_request("invalid_parameters");

  auto conf = initialized_conf(state);
  if (auto* e = std::get_if<ApiError>(&conf)) return std::move(*e);
  const ServerConf& c = std::get<ServerConf>(conf);
  const Facts f = facts(state);

  // Every candidate once: the local clients first, then global configuration's members and
  // subsystems (unless internal_search).
  std::vector<XRoadId> candidates;
  if (!*exclude_local) {
    for (const auto& client : c.clients) candidates.push_back(client.id);
  }
  if (!*internal && f.shared) {
    for (const auto& member : f.shared->members) {
      candidates.push_back(member.id);
      for (const auto& sub : member.subsystems) candidates.push_back(sub);
    }
  }
  nlohmann::json out = nlohmann::json::array();
  std::set<XRoadId> seen;
  for (const auto& id : candidates) {
    if (!seen.insert(id).second) continue;
    const serverconf::Client* local = c.client(id);
    if (*exclude_local && local) continue;
    if (!*show_members && id.type() == ObjectType::member) continue;
    auto& q = r.query;  // every filter is in it (checked above)
    if (!q["instance"].empty() && lower(id.instance()) != lower(q["instance"])) continue;
    if (!q["member_class"].empty() && lower(id.member_class()) != lower(q["member_class"])) continue;
    if (!q["member_code"].empty() && !contains_ignoring_case(id.member_code(), q["member_code"])) continue;
    if (!q["subsystem_code"].empty() &&
        (id.type() != ObjectType::subsystem || !contains_ignoring_case(id.subsystem_code(), q["subsystem_code"])))
      continue;
    nlohmann::json j = client_json(state, f, id, &c.owner, local);
    if (!q["name"].empty() && !contains_ignoring_case(j.value("member_name", std::string()), q["name"])) continue;
    if (valid_cert && j["has_valid_local_sign_cert"].get<bool>() != *valid_cert) continue;
    out.push_back(std::move(j));
  }
  return json_response(200, out);
}

// POST /clients: a member or a subsystem, SAVED until it is registered.
HandlerResult add_client(ServerState& state, Request& r) {
  const nlohmann::json body = r.json_body().value_or(nlohmann::json::object());
  const nlohmann::json& cj = json_member(body, "client");
  if (!cj.is_object()) return bad_request("invalid_parameters", {"client"});
  const std::string member_class = json_string(cj, "member_class"), member_code = json_string(cj, "member_code"),
                    subsystem_code = json_string(cj, "subsystem_code");
  const nlohmann::json& ignore = json_member(body, "ignore_warnings");
  const bool ignore_warnings = ignore.is_boolean() && ignore.get<bool>();
  IsAuth is_auth = IsAuth::sslauth;  // X-Road's default connection type, HTTPS
  if (const nlohmann::json& type = json_member(cj, "connection_type"); !type.is_null()) {
    const auto mode = type.is_string() ? is_auth_of(type.get<std::string>()) : std::nullopt;
    if (!mode) return bad_request("invalid_connection_type", {type.is_string() ? type.get<std::string>() : ""});
    is_auth = *mode;
  }

  auto conf = initialized_conf(state);
  if (auto* e = std::get_if<ApiError>(&conf)) return std::move(*e);
  ServerConf& c = std::get<ServerConf>(conf);
  const std::string instance(c.owner.instance());
  auto id = subsystem_code.empty() ? XRoadId::member(instance, member_class, member_code)
                                   : XRoadId::subsystem(instance, member_class, member_code, subsystem_code);
  if (!id.ok()) return bad_request("invalid_client_identifier", {}, id.error().detail());
  const auto shared = state.shared();
  if (shared && std::find(shared->member_classes.begin(), shared->member_classes.end(), member_class) ==
                    shared->member_classes.end()) {
    return bad_request("invalid_member_class", {member_class});
  }
  if (c.client(*id)) return conflict("client_already_exists", {api_id(*id)});
  if (id->type() == ObjectType::member) {
    // X-Road: besides the owner, one more member at most.
    for (const auto& other : c.clients) {
      if (other.id.type() == ObjectType::member && other.id != c.owner)
        return conflict("additional_member_already_exists", {api_id(other.id)});
    }
  }
  if (shared && !shared->has_client(id->owner_member()) && !ignore_warnings) {
    return ApiError{400, {"warnings_detected", {}}, {{"unregistered_member", {api_id(id->owner_member())}}}, {}};
  }
  // SAVED, as X-Road adds it, until `register` (or global configuration listing it already).
  c.clients.push_back(serverconf::Client{*id, is_auth, {}, ClientStatus::saved});
  if (auto e = save(state, c, "add client " + api_id(*id))) return std::move(*e);
  r.audit = {{"clientIdentifier", api_id(*id)},
             {"isAuthentication", std::string(serverconf::to_string(is_auth))},
             {"clientStatus", "SAVED"}};
  return json_response(201, client_json(state, facts(state), *id, &c.owner, &c.clients.back()));
}

HandlerResult get_client(ServerState& state, Request& r) {
  auto conf = initialized_conf(state);
  if (auto* e = std::get_if<ApiError>(&conf)) return std::move(*e);
  ServerConf& c = std::get<ServerConf>(conf);
  auto client = path_client(c, r);
  if (auto* e = std::get_if<ApiError>(&client)) return std::move(*e);
  const serverconf::Client* local = std::get<serverconf::Client*>(client);
  return json_response(200, client_json(state, facts(state), local->id, &c.owner, local));
}

// PATCH /clients/{id}: the information systems' connection type.
HandlerResult update_client(ServerState& state, Request& r) {
  const nlohmann::json body = r.json_body().value_or(nlohmann::json::object());
  const std::string type = json_string(body, "connection_type");
  const auto mode = is_auth_of(type);
  if (!mode) return bad_request("invalid_connection_type", {type});
  auto conf = initialized_conf(state);
  if (auto* e = std::get_if<ApiError>(&conf)) return std::move(*e);
  ServerConf& c = std::get<ServerConf>(conf);
  auto client = path_client(c, r);
  if (auto* e = std::get_if<ApiError>(&client)) return std::move(*e);
  serverconf::Client* local = std::get<serverconf::Client*>(client);
  local->is_auth = *mode;
  if (auto e = save(state, c, "connection type of " + api_id(local->id))) return std::move(*e);
  r.audit = {{"clientIdentifier", api_id(local->id)}, {"isAuthentication", std::string(serverconf::to_string(*mode))}};
  return json_response(200, client_json(state, facts(state), local->id, &c.owner, local));
}

// DELETE /clients/{id}: as X-Road allows it, a client not registered (SAVED, GLOBAL_ERROR) or
// unregistered (DELETION_IN_PROGRESS), never the owner; with its services, groups and rights.
HandlerResult delete_client(ServerState& state, Request& r) {
  auto conf = initialized_conf(state);
  if (auto* e = std::get_if<ApiError>(&conf)) return std::move(*e);
  ServerConf& c = std::get<ServerConf>(conf);
  auto client = path_client(c, r);
  if (auto* e = std::get_if<ApiError>(&client)) return std::move(*e);
  const XRoadId id = std::get<serverconf::Client*>(client)->id;
  const ClientStatus status = std::get<serverconf::Client*>(client)->status_or_registered();
  if (id == c.owner) return bad_request("cannot_delete_owner", {api_id(id)});
  if (status != ClientStatus::saved && status != ClientStatus::global_error &&
      status != ClientStatus::deletion_in_progress) {
    return bad_request("action_not_possible", {std::string(serverconf::to_string(status))});
  }
  std::erase_if(c.clients, [&](const auto& cl) { return cl.id == id; });
  auto provided_by = [&](const XRoadId& service) {
    return service.instance() == id.instance() && service.member_class() == id.member_class() &&
           service.member_code() == id.member_code() && service.subsystem_code() == id.subsystem_code();
  };
  std::erase_if(c.services, [&](const auto& s) { return provided_by(s.id); });
  std::erase_if(c.access, [&](const auto& a) { return provided_by(a.service); });
  std::erase_if(c.local_groups, [&](const auto& g) { return g.owner == id; });
  if (auto e = save(state, c, "delete client " + api_id(id))) return std::move(*e);
  r.audit = {{"clientIdentifier", api_id(id)}};
  return empty_response(204);
}

// Sets the status of `id` in the newest configuration (after a management request was sent:
// the configuration may have changed meanwhile).
std::optional<ApiError> set_status(ServerState& state, const XRoadId& id, ClientStatus status) {
  auto conf = initialized_conf(state);
  if (auto* e = std::get_if<ApiError>(&conf)) return std::move(*e);
  ServerConf& c = std::get<ServerConf>(conf);
  serverconf::Client* client = find_client(c, id);
  if (!client) return client_not_found(api_id(id));  // deleted while the request was on its way
  client->status = status;
  return save(state, c, api_id(id) + " " + std::string(serverconf::to_string(status)));
}

// A management request about a client, built and with its signer, ready to send.
struct Outgoing {
  XRoadId client;
  std::string soap;
  std::optional<MemberSignature> signer;  // none: a plain request (clientDeletion)
};

enum class ClientRequest { reg, deletion, owner_change, disable, enable, rename };

// X-Road's ClientName: 1 to 255 characters, none of : ; / \ % or a control character.
std::optional<std::string> client_name(const Request& r) {
  const nlohmann::json body = r.json_body().value_or(nlohmann::json::object());
  std::string name = json_string(body, "client_name");
  if (name.empty() || name.size() > kMaxFilter) return std::nullopt;
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f || ch == ':' || ch == ';' || ch == '/' || ch == '\\' || ch == '%') return std::nullopt;
  }
  return name;
}

// Checks the client's status as X-Road does before each request and builds it.
OrApiError<Outgoing> prepare(ServerState& state, const Request& r, ClientRequest type) {
  auto conf = initialized_conf(state);
  if (auto* e = std::get_if<ApiError>(&conf)) return std::move(*e);
  ServerConf& c = std::get<ServerConf>(conf);
  auto found = path_client(c, r);
  if (auto* e = std::get_if<ApiError>(&found)) return std::move(*e);
  const serverconf::Client& client = *std::get<serverconf::Client*>(found);
  const ClientStatus status = client.status_or_registered();
  const std::string id = api_id(client.id);
  const std::string status_name(serverconf::to_string(status));
  switch (type) {
    case ClientRequest::reg:
      if (client.id == c.owner) return bad_request("cannot_register_owner", {id});
      if (status != ClientStatus::saved) return bad_request("action_not_possible", {status_name});
      if (auto shared = state.shared();
          shared && std::find(shared->member_classes.begin(), shared->member_classes.end(), client.id.member_class()) ==
                        shared->member_classes.end())
        return bad_request("invalid_member_class", {std::string(client.id.member_class())});
      break;
    case ClientRequest::deletion:
      if (client.id == c.owner) return bad_request("cannot_unregister_owner", {id});
      if (status != ClientStatus::registered && status != ClientStatus::registration_in_progress)
        return bad_request("action_not_possible", {status_name});
      break;
    case ClientRequest::rename:
      if (client.id.type() != ObjectType::subsystem) return bad_request("action_not_possible", {id});
      if (status != ClientStatus::registered) return bad_request("action_not_possible", {status_name});
      break;
    case ClientRequest::disable:
    case ClientRequest::enable:
      // PR-MSERV: a subsystem's, temporarily.
      if (client.id.type() != ObjectType::subsystem) return bad_request("action_not_possible", {id});
      if (status != (type == ClientRequest::disable ? ClientStatus::registered : ClientStatus::disabled))
        return bad_request("action_not_possible", {status_name});
      break;
    case ClientRequest::owner_change:
      if (client.id.type() != ObjectType::member) return bad_request("invalid_member_id", {id});
      if (client.id == c.owner) return bad_request("member_already_owner", {id});
      if (status != ClientStatus::registered) return bad_request("action_not_possible", {status_name});
      break;
  }
  std::optional<std::string> name;
  if (type == ClientRequest::rename) {
    name = client_name(r);
    if (!name) return bad_request("invalid_client_name");
  }
  auto target = management_target(state);
  if (auto* e = std::get_if<ApiError>(&target)) return std::move(*e);
  const ManagementTarget& to = std::get<ManagementTarget>(target);
  auto soap = type == ClientRequest::reg        ? to.builder.client_reg(to.server, client.id)
              : type == ClientRequest::deletion ? to.builder.client_deletion(to.server, client.id)
              : type == ClientRequest::disable  ? to.builder.client_disable(to.server, client.id)
              : type == ClientRequest::enable   ? to.builder.client_enable(to.server, client.id)
              : type == ClientRequest::rename   ? to.builder.client_rename(to.server, client.id, name.value_or(""))
                                                : to.builder.owner_change(to.server, client.id);
  if (!soap.ok()) return internal_error(soap.error());
  Outgoing out{client.id, std::move(*soap), std::nullopt};
  if (type != ClientRequest::deletion) {
    // The client's member signs (X-Road: the signing key of the member the request is about).
    auto signer = MemberSignature::of(state, client.id);
    if (auto* e = std::get_if<ApiError>(&signer)) return std::move(*e);
    out.signer.emplace(std::move(std::get<MemberSignature>(signer)));
  }
  return out;
}

// The route of one client management request: prepare, send, then the status it leads to
// (none for ownerChange, which changes nothing here until global configuration names the new
// owner).
Route client_request_route(ServerState& state, std::string path, std::string permission, ClientRequest type,
                           std::optional<ClientStatus> then, std::string event, std::string summary) {
  return {Verb::put,
          std::move(path),
          std::move(permission),
          [&state, type, then](Request& r) -> asio::awaitable<HandlerResult> {
            auto prepared = prepare(state, r, type);
            if (auto* e = std::get_if<ApiError>(&prepared)) co_return std::move(*e);
            Outgoing& out = std::get<Outgoing>(prepared);
            const MemberSignature* signer = nullptr;
            if (out.signer) signer = &*out.signer;
            auto sent = co_await send_management_request(state, out.soap, signer);
            if (auto* e = std::get_if<ApiError>(&sent)) co_return std::move(*e);
            r.audit = {{"clientIdentifier", api_id(out.client)}, {"managementRequestId", std::get<std::int64_t>(sent)}};
            if (then) {
              if (auto e = set_status(state, out.client, *then)) co_return std::move(*e);
              r.audit["clientStatus"] = serverconf::to_string(*then);
            }
            co_return empty_response(204);
          },
          true,
          std::move(event),
          false,
          std::move(summary)};
}

// The client's information-system certificate of X-Road hash `hash` (any case), or nullptr.
const crypto::Certificate* find_is_cert(const serverconf::Client& client, const std::string& hash) {
  const std::string wanted = lower(hash);
  for (const auto& cert : client.is_certs)
    if (lower(cert.sha256_hex()) == wanted) return &cert;
  return nullptr;
}

bool hash_ok(const std::string& hash) {
  return !hash.empty() && hash.size() <= 64 &&
         std::all_of(hash.begin(), hash.end(), [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); });
}

HandlerResult list_tls_certs(ServerState& state, Request& r) {
  auto conf = initialized_conf(state);
  if (auto* e = std::get_if<ApiError>(&conf)) return std::move(*e);
  auto client = path_client(std::get<ServerConf>(conf), r);
  if (auto* e = std::get_if<ApiError>(&client)) return std::move(*e);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& cert : std::get<serverconf::Client*>(client)->is_certs)
    out.push_back(certificate_details_json(cert));
  return json_response(200, out);
}

HandlerResult add_tls_cert(ServerState& state, Request& r) {
  auto cert = crypto::Certificate::from_der(r.body);
  if (!cert.ok()) cert = crypto::Certificate::from_pem(r.body);
  if (!cert.ok()) return bad_request("invalid_cert", {}, cert.error().detail());
  auto conf = initialized_conf(state);
  if (auto* e = std::get_if<ApiError>(&conf)) return std::move(*e);
  ServerConf& c = std::get<ServerConf>(conf);
  auto client = path_client(c, r);
  if (auto* e = std::get_if<ApiError>(&client)) return std::move(*e);
  serverconf::Client* local = std::get<serverconf::Client*>(client);
  const std::string hash = cert->sha256_hex();
  if (find_is_cert(*local, hash)) return conflict("certificate_already_exists", {hash});
  if (local->is_certs.size() >= kMaxIsCerts) return bad_request("too_many_certificates", {std::to_string(kMaxIsCerts)});
  local->is_certs.push_back(*cert);
  if (auto e = save(state, c, "TLS certificate of " + api_id(local->id))) return std::move(*e);
  r.audit = {{"clientIdentifier", api_id(local->id)}, {"certHash", hash}, {"certHashAlgorithm", "SHA-256"}};
  return json_response(201, certificate_details_json(*cert));
}

HandlerResult tls_cert(ServerState& state, Request& r, bool remove) {
  const std::string& hash = r.param("hash");
  if (!hash_ok(hash)) return bad_request("invalid_hash", {hash});
  auto conf = initialized_conf(state);
  if (auto* e = std::get_if<ApiError>(&conf)) return std::move(*e);
  ServerConf& c = std::get<ServerConf>(conf);
  auto client = path_client(c, r);
  if (auto* e = std::get_if<ApiError>(&client)) return std::move(*e);
  serverconf::Client* local = std::get<serverconf::Client*>(client);
  const crypto::Certificate* cert = find_is_cert(*local, hash);
  if (!cert) return ApiError{404, {"certificate_not_found", {hash}}, {}, "no such certificate"};
  if (!remove) return json_response(200, certificate_details_json(*cert));
  const std::string found = cert->sha256_hex();
  std::erase_if(local->is_certs, [&](const auto& c2) { return c2.sha256_hex() == found; });
  if (auto e = save(state, c, "TLS certificate of " + api_id(local->id))) return std::move(*e);
  r.audit = {{"clientIdentifier", api_id(local->id)}, {"certHash", found}, {"certHashAlgorithm", "SHA-256"}};
  return empty_response(204);
}

// GET /clients/{id}/sign-certificates: the signing certificates of the client's member.
HandlerResult sign_certs(ServerState& state, Request& r) {
  auto conf = initialized_conf(state);
  if (auto* e = std::get_if<ApiError>(&conf)) return std::move(*e);
  auto client = path_client(std::get<ServerConf>(conf), r);
  if (auto* e = std::get_if<ApiError>(&client)) return std::move(*e);
  const XRoadId member = std::get<serverconf::Client*>(client)->id.owner_member();
  auto keys = state.token.contents();
  if (!keys.ok()) return internal_error(keys.error());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& key : *keys) {
    if (key.usage != signer::KeyUsage::signing) continue;
    for (const auto& cert : key.certs)
      if (cert.member == member) out.push_back(token_certificate_json(state, key, cert));
  }
  return json_response(200, out);
}

// A route whose handler is a plain function of the state and the request.
Handler plain(ServerState& state, HandlerResult (*fn)(ServerState&, Request&)) {
  return [&state, fn](Request& r) -> asio::awaitable<HandlerResult> { co_return fn(state, r); };
}

}  // namespace

void add_client_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/clients", "view_clients", plain(state, find_clients), false, "", false,
           "the clients this server hosts, or global configuration's, filtered"});
  api.add({Verb::post, "/clients", "add_client", plain(state, add_client), true, "Add client", false,
           "add a member or subsystem (SAVED until registered)"});
  api.add({Verb::get, "/clients/{id}", "view_client_details", plain(state, get_client), false, "", false,
           "one client with its status and connection type"});
  api.add({Verb::patch, "/clients/{id}", "edit_client_internal_connection_type", plain(state, update_client), true,
           "Set connection type for servers in service consumer role", false,
           "the client's information systems' connection type"});
  api.add({Verb::delete_, "/clients/{id}", "delete_client", plain(state, delete_client), true, "Delete client", false,
           "delete a client that is not registered"});
  api.add(client_request_route(state, "/clients/{id}/register", "send_client_reg_req", ClientRequest::reg,
                               ClientStatus::registration_in_progress, "Register client",
                               "send X-Road's clientReg through the client proxy"));
  api.add(client_request_route(state, "/clients/{id}/unregister", "send_client_del_req", ClientRequest::deletion,
                               ClientStatus::deletion_in_progress, "Unregister client",
                               "send X-Road's clientDeletion through the client proxy"));
  api.add(client_request_route(state, "/clients/{id}/make-owner", "send_owner_change_req", ClientRequest::owner_change,
                               std::nullopt, "Change owner", "send X-Road's ownerChange through the client proxy"));
  api.add(client_request_route(state, "/clients/{id}/disable", "disable_client", ClientRequest::disable,
                               ClientStatus::disabling_in_progress, "Disable client",
                               "send X-Road's clientDisable through the client proxy"));
  api.add(client_request_route(state, "/clients/{id}/enable", "enable_client", ClientRequest::enable,
                               ClientStatus::enabling_in_progress, "Enable client",
                               "send X-Road's clientEnable through the client proxy"));
  api.add(client_request_route(state, "/clients/{id}/rename", "rename_subsystem", ClientRequest::rename, std::nullopt,
                               "Rename client", "send X-Road's clientRename through the client proxy"));
  api.add({Verb::get, "/clients/{id}/tls-certificates", "view_client_internal_certs", plain(state, list_tls_certs),
           false, "", false, "the client's information systems' TLS certificates"});
  api.add({Verb::post, "/clients/{id}/tls-certificates", "add_client_internal_cert", plain(state, add_tls_cert), true,
           "Add internal TLS certificate", true, "add a TLS certificate of the client's information systems"});
  api.add({Verb::get, "/clients/{id}/tls-certificates/{hash}", "view_client_internal_cert_details",
           [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return tls_cert(state, r, false); }, false, "",
           false, "one of the client's information systems' TLS certificates"});
  api.add({Verb::delete_, "/clients/{id}/tls-certificates/{hash}", "delete_client_internal_cert",
           [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return tls_cert(state, r, true); }, true,
           "Delete internal TLS certificate", false, "delete a TLS certificate of the client's information systems"});
  api.add({Verb::get, "/clients/{id}/sign-certificates", "view_client_details", plain(state, sign_certs), false, "",
           false, "the signing certificates of the client's member in the token"});
}

}  // namespace roadside::admin
