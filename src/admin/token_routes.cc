// /tokens, /keys and /token-certificates: the tokens' keys, CSRs and certificates (the
// software token's and the hardware tokens'), as X-Road's admin API has them.
#include "admin/endpoints.h"
#include "admin/ids.h"
#include "admin/token_json.h"
#include "base/log.h"
#include "trust/certificate_profile.h"
#include "trust/verifier.h"

namespace roadside::admin {

using signer::KeyUsage;

namespace {

constexpr std::size_t kMaxLabel = 255;

// The token's contents, or the error to answer.
std::variant<std::vector<signer::TokenKey>, ApiError> read_token(const ServerState& state) {
  auto keys = state.token.contents();
  if (!keys.ok()) return internal_error(keys.error());
  return std::move(keys).value();
}

const signer::TokenKey* find_key(const std::vector<signer::TokenKey>& keys, const std::string& id) {
  for (const auto& k : keys) {
    if (k.key_id == id) return &k;
  }
  return nullptr;
}

// The hardware token a path names, or nullptr (the software token's id, or none).
std::shared_ptr<signer::HardwareToken> hardware_token(const ServerState& state, const Request& r) {
  return state.hardware ? state.hardware->token(r.param("id")) : nullptr;
}

bool token_id_ok(const ServerState& state, const Request& r) {
  return known_token(state, r.param("id"));
}

// The token a path names, with its keys, as X-Road's Token.
nlohmann::json named_token_json(const ServerState& state, const Request& r, const std::vector<signer::TokenKey>& keys) {
  if (auto hardware = hardware_token(state, r)) return hardware_token_json(state, *hardware, keys);
  return token_json(state, keys);
}

// A signer error as X-Road's API answers it, with the statuses X-Road's document declares for
// these operations (409 only where a certificate is imported twice).
ApiError token_error(const Error& e) {
  using signer::errc;
  if (e.code() == errc::key_not_found) return ApiError{404, {"key_not_found", {}}, {}, e.detail()};
  if (e.code() == errc::cert_not_found) return ApiError{404, {"certificate_not_found", {}}, {}, e.detail()};
  if (e.code() == errc::csr_not_found) return ApiError{404, {"csr_not_found", {}}, {}, e.detail()};
  if (e.code() == errc::cert_exists) return ApiError{409, {"certificate_already_exists", {}}, {}, e.detail()};
  if (e.code() == errc::token_not_available) return ApiError{409, {"token_not_available", {}}, {}, e.detail()};
  for (errc refused : {errc::pin_incorrect, errc::token_not_active, errc::key_usage_mismatch, errc::member_required}) {
    if (e.code() == refused) return bad_request(e.fault_code(), {}, e.detail());
  }
  return internal_error(e);
}

// What X-Road's signer checks before it imports a certificate: it chains to an approved CA of
// global configuration and is valid now; it is an authentication or a signing certificate, of
// the usage its key has; the caller may import that kind; a signing certificate's member is the
// one the CA's certificate profile reads from it, and one the key made a CSR for (or the
// server's owner). Returns that member (signing), or the error.
std::variant<std::optional<XRoadId>, ApiError> check_import(const ServerState& state, const Request& r,
                                                            const crypto::Certificate& cert) {
  auto shared = state.shared();
  if (!shared)
    return bad_request("global_conf_outdated", {}, "no valid global configuration to check the certificate with");
  auto issuer = trust::find_issuer(cert, *shared);
  if (!issuer.ok()) return bad_request("certificate_not_approved", {}, issuer.error().detail());
  std::vector<crypto::Certificate> intermediates;
  for (const auto& i : issuer->ca->intermediates) intermediates.push_back(i.cert);
  if (auto st = crypto::verify_chain(cert, intermediates, {issuer->ca->top.cert}, std::chrono::system_clock::now());
      !st.ok()) {
    return bad_request("certificate_not_approved", {}, st.error().detail());
  }
  if (!cert.is_auth_cert() && !cert.is_signing_cert())
    return bad_request("wrong_cert_usage", {}, "neither authentication nor signing");
  const bool auth = cert.is_auth_cert();
  const char* permission = auth ? "import_auth_cert" : "import_sign_cert";
  if (!permits(r.caller.roles, permission)) return ApiError{403, {"permission_denied", {permission}}, {}, {}};
  auto keys = state.token.contents();
  if (!keys.ok()) return internal_error(keys.error());
  const std::string public_key = cert.public_key_der();
  const signer::TokenKey* key = nullptr;
  for (const auto& k : *keys) {
    if (!k.public_key.empty() && k.public_key == public_key) key = &k;
  }
  if (!key) return ApiError{404, {"key_not_found", {}}, {}, "no key of the token has the certificate's public key"};
  if (key->usage && (*key->usage == KeyUsage::authentication) != auth) {
    return bad_request("wrong_cert_usage", {key->key_id}, "the key is of the other usage");
  }
  if (auth) return std::optional<XRoadId>();
  // The member: the profile reads it, checked against the members the key's CSRs are for.
  std::vector<XRoadId> expected;
  for (const auto& csr : key->csrs) {
    if (csr.member) expected.push_back(*csr.member);
  }
  if (expected.empty()) {
    if (auto server = state.server_id()) expected.push_back(server->owner_member());
  }
  std::string why = "the key has no CSR naming a member";
  for (const auto& member : expected) {
    auto named = trust::signing_cert_member(cert, issuer->ca->certificate_profile_info, member);
    if (named.ok() && named->owner_member() == member.owner_member())
      return std::optional<XRoadId>(member.owner_member());
    why = named.ok() ? "the certificate is for " + named->to_string() + ", not " + member.to_string()
                     : named.error().detail();
  }
  return bad_request("member_mismatch", {}, why);
}

}  // namespace

void add_token_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/tokens", "view_keys",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             auto keys = read_token(state);
             if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
             co_return json_response(200, tokens_json(state, std::get<0>(keys)));
           },
           false, "", false, "the tokens: the software token (id 0), then the hardware tokens devices.ini names"});
  api.add({Verb::get, "/tokens/{id}", "view_keys",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             if (!token_id_ok(state, r)) co_return not_found("no such token");
             auto keys = read_token(state);
             if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
             co_return json_response(200, named_token_json(state, r, std::get<0>(keys)));
           },
           false, "", false, "one token with its keys"});
  api.add({Verb::put, "/tokens/{id}/login", "activate_deactivate_token",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             if (!token_id_ok(state, r)) co_return not_found("no such token");
             auto hardware = hardware_token(state, r);
             r.audit = {{"tokenId", r.param("id")}, {"tokenFriendlyName", hardware ? hardware->id() : "softToken-0"}};
             auto body = r.json_body();
             const std::string pin = json_string(body.value_or(nlohmann::json()), "password");
             if (pin.empty()) co_return bad_request("missing_parameter", {"password"});
             if (auto st = hardware ? hardware->login(pin) : state.token.login(pin); !st.ok())
               co_return token_error(st.error());
             state.certificates_changed();
             auto keys = read_token(state);
             if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
             co_return json_response(200, named_token_json(state, r, std::get<0>(keys)));
           },
           true, "Log in to token", false, "log in to the token with its PIN"});
  api.add({Verb::put, "/tokens/{id}/logout", "activate_deactivate_token",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             if (!token_id_ok(state, r)) co_return not_found("no such token");
             auto hardware = hardware_token(state, r);
             r.audit = {{"tokenId", r.param("id")}, {"tokenFriendlyName", hardware ? hardware->id() : "softToken-0"}};
             if (hardware) {
               hardware->logout();
             } else {
               state.token.logout();
             }
             auto keys = read_token(state);
             if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
             co_return json_response(200, named_token_json(state, r, std::get<0>(keys)));
           },
           true, "Log out from token", false, "log out of the token: nothing is signed until the next login"});
  api.add({Verb::post, "/tokens/{id}/keys", "generate_key",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             if (!token_id_ok(state, r)) co_return not_found("no such token");
             auto body = r.json_body();
             const std::string label = json_string(body.value_or(nlohmann::json()), "label");
             if (label.size() > kMaxLabel) co_return bad_request("invalid_key_label", {}, "over 255 characters");
             auto made = state.token.generate_key(label, crypto::KeyType::rsa2048, r.param("id"));
             if (!made.ok()) co_return token_error(made.error());
             r.audit = {{"tokenId", r.param("id")}, {"keyId", made->key_id}, {"keyLabel", label}};
             co_return json_response(201, key_json(state, *made));
           },
           true, "Generate key", false,
           "a new RSA 2048 key in the token, on its device for a hardware token (log in first)"});
  api.add({Verb::get, "/keys/{id}", "view_keys",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto keys = read_token(state);
             if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
             const auto* key = find_key(std::get<0>(keys), r.param("id"));
             if (!key) co_return not_found("no such key");
             co_return json_response(200, key_json(state, *key));
           },
           false, "", false, "one key with its certificates and CSRs"});
  api.add({Verb::get, "/keys/{id}/possible-actions", "view_keys",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto keys = read_token(state);
             if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
             const auto* key = find_key(std::get<0>(keys), r.param("id"));
             if (!key) co_return not_found("no such key");
             co_return json_response(200, key_actions(state, *key));
           },
           false, "", false, "what can be done with a key"});
  api.add({Verb::patch, "/keys/{id}", "edit_key_friendly_name",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto body = r.json_body();
             const std::string name = json_string(body.value_or(nlohmann::json()), "name");
             if (name.empty() || name.size() > kMaxLabel) co_return bad_request("invalid_key_name", {"name"});
             if (auto st = state.token.rename_key(r.param("id"), name); !st.ok()) co_return token_error(st.error());
             r.audit = {{"keyId", r.param("id")}, {"keyFriendlyName", name}};
             auto keys = read_token(state);
             if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
             const auto* key = find_key(std::get<0>(keys), r.param("id"));
             if (!key) co_return not_found("no such key");
             co_return json_response(200, key_json(state, *key));
           },
           true, "Set friendly name to key", false, "rename a key"});
  api.add({Verb::delete_, "/keys/{id}", "delete_key",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto keys = read_token(state);
             if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
             const auto* key = find_key(std::get<0>(keys), r.param("id"));
             if (!key) co_return not_found("no such key");
             const bool auth = key->usage == KeyUsage::authentication;
             if (!permits(r.caller.roles, auth ? "delete_auth_key" : "delete_sign_key")) {
               co_return ApiError{403, {"permission_denied", {auth ? "delete_auth_key" : "delete_sign_key"}}, {}, {}};
             }
             for (const auto& c : key->certs) {
               if (auth && c.status == signer::CertStatus::registered && r.query["ignore_warnings"] != "true") {
                 co_return ApiError{
                     400, {"warnings_detected", {}}, {{"auth_key_with_registered_cert_warning", {key->key_id}}}, {}};
               }
             }
             r.audit = {{"keyId", key->key_id},
                        {"keyFriendlyName", key->friendly_name},
                        {"keyUsage", key->usage ? std::string(signer::key_usage_name(*key->usage)) : ""}};
             if (auto st = state.token.delete_key(key->key_id); !st.ok()) co_return token_error(st.error());
             co_return empty_response(204);
           },
           true, "Delete key from token and configuration", false, "delete a key with its certificates and CSRs"});
  api.add({Verb::delete_, "/keys/{id}/csrs/{csr_id}", "delete_auth_cert|delete_sign_cert",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto keys = read_token(state);
             if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
             const auto* key = find_key(std::get<0>(keys), r.param("id"));
             if (!key) co_return not_found("no such key");
             const signer::TokenCsr* csr = nullptr;
             for (const auto& c : key->csrs) {
               if (c.csr_id == r.param("csr_id")) csr = &c;
             }
             if (!csr) co_return ApiError{404, {"csr_not_found", {}}, {}, {}};
             const char* permission = csr->usage == KeyUsage::authentication ? "delete_auth_cert" : "delete_sign_cert";
             if (!permits(r.caller.roles, permission))
               co_return ApiError{403, {"permission_denied", {permission}}, {}, {}};
             r.audit = {{"keyId", key->key_id}, {"csrId", csr->csr_id}};
             if (auto st = state.token.delete_csr(key->key_id, csr->csr_id); !st.ok())
               co_return token_error(st.error());
             co_return empty_response(204);
           },
           true, "Delete CSR", false, "delete a CSR"});
  api.add({Verb::get, "/keys/{id}/csrs/{csr_id}/possible-actions", "view_keys",
           [](Request&) -> asio::awaitable<HandlerResult> {
             co_return json_response(200, nlohmann::json::array({"DELETE"}));
           },
           false, "", false, "what can be done with a CSR"});

  api.add({Verb::post, "/token-certificates", "import_sign_cert",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto cert = crypto::Certificate::from_der(r.body);
             if (!cert.ok()) cert = crypto::Certificate::from_pem(r.body);
             if (!cert.ok()) co_return bad_request("invalid_cert", {}, cert.error().detail());
             auto checked = check_import(state, r, *cert);
             if (auto* e = std::get_if<ApiError>(&checked)) co_return *e;
             auto made = state.token.import_certificate(*cert, std::get<std::optional<XRoadId>>(checked));
             if (!made.ok()) co_return token_error(made.error());
             r.audit = {{"certHash", made->hash()},
                        {"certHashAlgorithm", "SHA-256"},
                        {"keyId", made->key_id},
                        {"clientIdentifier", made->member ? api_id(*made->member) : ""}};
             state.certificates_changed();
             auto keys = read_token(state);
             if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
             auto found = find_cert(std::get<0>(keys), made->hash());
             if (!found)
               co_return internal_error(
                   Error(std::make_error_code(std::errc::io_error), "imported certificate not found"));
             co_return json_response(201, token_certificate_json(state, *found->key, *found->cert));
           },
           true, "Import certificate from file", true, "import a certificate (DER or PEM) for the key it belongs to"});
  api.add({Verb::get, "/token-certificates/{hash}", "view_keys",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto keys = read_token(state);
             if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
             auto found = find_cert(std::get<0>(keys), r.param("hash"));
             if (!found) co_return not_found("no such certificate");
             co_return json_response(200, token_certificate_json(state, *found->key, *found->cert));
           },
           false, "", false, "one certificate of the token"});
  api.add({Verb::get, "/token-certificates/{hash}/possible-actions", "view_keys",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto keys = read_token(state);
             if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
             auto found = find_cert(std::get<0>(keys), r.param("hash"));
             if (!found) co_return not_found("no such certificate");
             co_return json_response(200, certificate_actions(*found->key, *found->cert));
           },
           false, "", false, "what can be done with a certificate"});
  for (const bool activate : {true, false}) {
    api.add({Verb::put, activate ? "/token-certificates/{hash}/activate" : "/token-certificates/{hash}/disable",
             "activate_disable_sign_cert",
             [&state, activate](Request& r) -> asio::awaitable<HandlerResult> {
               auto keys = read_token(state);
               if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
               auto found = find_cert(std::get<0>(keys), r.param("hash"));
               if (!found) co_return not_found("no such certificate");
               if (found->key->usage == KeyUsage::authentication &&
                   !permits(r.caller.roles, "activate_disable_auth_cert")) {
                 co_return ApiError{403, {"permission_denied", {"activate_disable_auth_cert"}}, {}, {}};
               }
               r.audit = {
                   {"certHash", found->cert->hash()}, {"certHashAlgorithm", "SHA-256"}, {"keyId", found->key->key_id}};
               if (auto st = state.token.set_active(found->cert->hash(), activate); !st.ok())
                 co_return token_error(st.error());
               state.certificates_changed();
               co_return empty_response(204);
             },
             true, activate ? "Enable certificate" : "Disable certificate", false,
             activate ? "use a certificate (the newest active one is used)" : "stop using a certificate"});
  }
  api.add(
      {Verb::delete_, "/token-certificates/{hash}", "delete_sign_cert",
       [&state](Request& r) -> asio::awaitable<HandlerResult> {
         auto keys = read_token(state);
         if (auto* e = std::get_if<ApiError>(&keys)) co_return *e;
         auto found = find_cert(std::get<0>(keys), r.param("hash"));
         if (!found) co_return not_found("no such certificate");
         if (found->key->usage == KeyUsage::authentication && !permits(r.caller.roles, "delete_auth_cert")) {
           co_return ApiError{403, {"permission_denied", {"delete_auth_cert"}}, {}, {}};
         }
         if (found->key->usage == KeyUsage::authentication &&
             (found->cert->status == signer::CertStatus::registered ||
              found->cert->status == signer::CertStatus::registration_in_progress)) {
           co_return bad_request("action_not_possible", {std::string(signer::cert_status_name(found->cert->status))},
                                 "unregister the certificate first");
         }
         r.audit = {{"certHash", found->cert->hash()}, {"certHashAlgorithm", "SHA-256"}, {"keyId", found->key->key_id}};
         if (auto st = state.token.delete_certificate(found->cert->hash()); !st.ok()) co_return token_error(st.error());
         co_return empty_response(204);
       },
       true, "Delete certificate from configuration", false, "delete a certificate from the token"});
}

}  // namespace roadside::admin
