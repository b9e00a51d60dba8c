// PUT /token-certificates/{hash}/register: X-Road's authCertReg. The request is built and signed
// as X-Road's Security Server does it (the authentication key's signature and the owner's
// signing key's, with the owner's signing certificate and its OCSP response; the management
// module) and posted over HTTPS to the Central Server's address in the private parameters, its
// TLS certificate pinned to the one they give. The certificate then waits in
// REGISTRATION_IN_PROGRESS until global configuration lists it (cert_states.h).
#include "admin/endpoints.h"
#include "admin/ids.h"
#include "admin/token_json.h"
#include "base/log.h"
#include "management/messages.h"
#include "management/signed_request.h"

namespace roadside::admin {

namespace {

constexpr std::size_t kMaxAddress = 255;

}  // namespace

void add_registration_routes(Api& api, ServerState& state) {
  api.add(
      {Verb::put, "/token-certificates/{hash}/register", "send_auth_cert_reg_req",
       [&state](Request& r) -> asio::awaitable<HandlerResult> {
         const nlohmann::json body = r.json_body().value_or(nlohmann::json());
         const std::string address = json_string(body, "address");
         if (address.empty() || address.size() > kMaxAddress) co_return bad_request("invalid_address", {address});
         auto keys = state.token.contents();
         if (!keys.ok()) co_return internal_error(keys.error());
         const auto found = find_cert(*keys, r.param("hash"));
         if (!found) co_return not_found("no such certificate");
         const signer::TokenKey* key = found->key;
         const signer::TokenCert* cert = found->cert;
         const std::string hash = cert->hash();
         if (key->usage != signer::KeyUsage::authentication) co_return bad_request("cert_not_auth_cert", {hash});
         if (cert->status != signer::CertStatus::saved && cert->status != signer::CertStatus::global_error) {
           co_return bad_request("action_not_possible", {std::string(signer::cert_status_name(cert->status))});
         }
         const auto server = state.server_id();
         const auto priv = state.private_params();
         if (!server) co_return bad_request("server_not_initialized");
         if (!priv || priv->auth_cert_reg_service_address.empty() || !priv->auth_cert_reg_service_cert ||
             !priv->management_service_provider) {
           co_return bad_request("global_conf_outdated", {}, "no management service in the private parameters");
         }
         // The owner's signing key, certificate and a fresh OCSP response for it.
         auto owner = state.token.signing_key(server->owner_member());
         if (!owner.ok())
           co_return bad_request("no_owner_signing_certificate", {api_id(server->owner_member())},
                                 owner.error().detail());
         auto ocsp = state.ocsp_response((*owner)->info.cert);
         if (!ocsp) co_return bad_request("ocsp_response_unavailable", {(*owner)->info.cert.sha256_hex()});
         auto auth_key = state.token.opened_key(key->key_id);
         if (!auth_key.ok()) co_return bad_request("token_not_active", {}, auth_key.error().detail());

         management::RequestBuilder builder(server->owner_member(), *priv->management_service_provider,
                                            Random::system());
         auto soap = builder.auth_cert_reg(*server, address, cert->cert.to_der());
         if (!soap.ok()) co_return internal_error(soap.error());
         const management::KeySigner auth_signer(*auth_key), owner_signer((*owner)->key);
         auto message =
             management::auth_cert_reg_request(*soap, cert->cert.to_der(), auth_signer,
                                               management::MemberSigning{&owner_signer, (*owner)->info.cert, *ocsp});
         if (!message.ok()) co_return internal_error(message.error());
         auto answer =
             co_await state.post_auth_cert_reg(priv->auth_cert_reg_service_address, *priv->auth_cert_reg_service_cert,
                                               message->content_type, message->body);
         if (!answer.ok()) co_return ApiError{500, {"management_request_failed", {}}, {}, answer.error().to_string()};
         auto response = management::parse_response(answer->first, answer->second, *soap);
         if (!response.ok()) {
           co_return ApiError{
               500, {"management_request_failed", {response.error().fault_code()}}, {}, response.error().to_string()};
         }
         if (auto st = state.token.set_status(hash, signer::CertStatus::registration_in_progress); !st.ok()) {
           co_return internal_error(st.error());
         }
         r.audit = {{"certHash", hash},
                    {"certHashAlgorithm", "SHA-256"},
                    {"address", address},
                    {"managementRequestId", response->request_id.value_or(0)}};
         co_return empty_response(200);
       },
       true, "Register authentication certificate", false,
       "send X-Road's authCertReg for the certificate to the Central Server"});
}

}  // namespace roadside::admin
