// /initialization as X-Road's admin API has it: a new server gets its owner, its server code and
// its software token's PIN, once. The owner and code become the first revision of the server
// configuration (with the owner as a client), as `roadside apply` would store it.
#include "admin/endpoints.h"
#include "admin/ids.h"
#include "base/log.h"
#include "serverconf/revisions.h"

namespace roadside::admin {

namespace {

struct Progress {
  bool anchor = false, owner = false, server_code = false, token = false;
  std::shared_ptr<const serverconf::ServerConf> conf;
};

Result<Progress> progress(ServerState& state) {
  Progress p;
  p.anchor = !state.instance().empty();
  auto latest = serverconf::load_latest(state.store);
  if (latest.ok()) {
    p.conf = latest->conf;
    p.owner = true;
    p.server_code = !latest->conf->server_code.empty();
  } else if (latest.error().code() != serverconf::errc::no_conf) {
    return latest.error();
  }
  ROADSIDE_TRY(p.token, state.token.initialized());
  return p;
}

}  // namespace

void add_initialization_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/initialization/status", "view_version",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             auto p = progress(state);
             if (!p.ok()) co_return internal_error(p.error());
             co_return json_response(200, {{"is_anchor_imported", p->anchor},
                                           {"is_server_code_initialized", p->server_code},
                                           {"is_server_owner_initialized", p->owner},
                                           {"software_token_init_status", p->token ? "INITIALIZED" : "NOT_INITIALIZED"},
                                           {"enforce_token_pin_policy", false}});
           },
           false, "", false, "how far the server's initialization has come"});
  api.add({Verb::post, "/initialization", "init_config",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto p = progress(state);
             if (!p.ok()) co_return internal_error(p.error());
             if (!p->anchor)
               co_return ApiError{409, {"anchor_not_found", {}}, {}, "no configuration anchor (globalconf.anchor)"};
             if (p->owner && p->server_code && p->token)
               co_return ApiError{409, {"server_already_fully_initialized", {}}, {}, {}};
             const nlohmann::json body = r.json_body().value_or(nlohmann::json::object());
             const std::string member_class = json_string(body, "owner_member_class"),
                               member_code = json_string(body, "owner_member_code"),
                               server_code = json_string(body, "security_server_code"),
                               pin = json_string(body, "software_token_pin");
             std::vector<std::string> missing;
             if (!p->owner && member_class.empty()) missing.push_back("owner_member_class");
             if (!p->owner && member_code.empty()) missing.push_back("owner_member_code");
             if (!p->server_code && server_code.empty()) missing.push_back("security_server_code");
             if (!p->token && pin.empty()) missing.push_back("software_token_pin");
             if (!missing.empty()) co_return bad_request("invalid_init_params", missing);
             std::optional<serverconf::ServerConf> conf;
             if (!p->owner) {
               auto owner = XRoadId::member(state.instance(), member_class, member_code);
               auto server = owner.ok() ? XRoadId::server(state.instance(), member_class, member_code, server_code)
                                        : Result<XRoadId>(owner.error());
               if (!server.ok()) co_return bad_request("invalid_init_params", {}, server.error().detail());
               // X-Road's warnings: an owner the instance does not know, a server id it has.
               std::vector<CodeWithDetails> warnings;
               if (auto shared = state.shared()) {
                 if (!shared->member(*owner)) warnings.push_back({"init_unregistered_member", {api_id(*owner)}});
                 if (shared->security_server(*server)) warnings.push_back({"init_server_id_exists", {api_id(*server)}});
               }
               const bool ignore = body.is_object() && body.contains("ignore_warnings") &&
                                   body["ignore_warnings"].is_boolean() && body["ignore_warnings"].get<bool>();
               if (!warnings.empty() && !ignore)
                 co_return ApiError{400, {"warnings_detected", {}}, std::move(warnings), {}};
               conf.emplace();
               conf->owner = *owner;
               conf->server_code = server_code;
               // SAVED as X-Road's: REGISTERED once global configuration lists the server
               // (authCertReg), admin/client_states.h.
               conf->clients.push_back(
                   serverconf::Client{*owner, serverconf::IsAuth::noauth, {}, serverconf::ClientStatus::saved});
               r.audit = {{"ownerIdentifier", api_id(*owner)}, {"serverCode", server_code}};
             }
             if (!p->token) {
               if (auto st = state.token.initialize(pin); !st.ok())
                 co_return bad_request("token_init_failed", {}, st.error().detail());
             }
             if (conf) {
               auto applied = serverconf::apply(state.store, *conf, "admin API: initialization");
               if (!applied.ok()) co_return internal_error(applied.error());
             }
             co_return empty_response(201);
           },
           true, "Initialize server configuration", false,
           "the owner, the server code and the token's PIN of a new server"});
}

}  // namespace roadside::admin
