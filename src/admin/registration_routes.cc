// PUT /token-certificates/{hash}/register: X-Road's authCertReg. The request is built and signed
// as X-Road's Security Server does it (the authentication key's signature and the owner's
// signing key's, with the owner's signing certificate and its OCSP response; the management
// module) and posted over HTTPS to the Central Server's address in the private parameters, its
// TLS certificate pinned to the one they give. The certificate then waits in
// REGISTRATION_IN_PROGRESS until global configuration lists it (cert_states.h).
#include "admin/endpoints.h"
#include "admin/ids.h"
#include "admin/management_requests.h"
#include "admin/token_json.h"
#include "base/log.h"

namespace roadside::admin {

namespace {

constexpr std::size_t kMaxAddress = 255;

}  // namespace

void add_registration_routes(Api& api, ServerState& state) {
  api.add({Verb::put, "/token-certificates/{hash}/register", "send_auth_cert_reg_req",
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
             auto target = management_target(state, true);
             if (auto* e = std::get_if<ApiError>(&target)) co_return std::move(*e);
             auto& to = std::get<ManagementTarget>(target);
             // The owner's signing key, certificate and a fresh OCSP response for it.
             auto owner = MemberSignature::of(state, to.server.owner_member());
             if (auto* e = std::get_if<ApiError>(&owner)) co_return std::move(*e);
             auto auth_key = state.token.opened_key(key->key_id);
             if (!auth_key.ok()) co_return bad_request("token_not_active", {}, auth_key.error().detail());

             auto soap = to.builder.auth_cert_reg(to.server, address, cert->cert.to_der());
             if (!soap.ok()) co_return internal_error(soap.error());
             const management::KeySigner auth_signer(*auth_key);
             auto message = management::auth_cert_reg_request(*soap, cert->cert.to_der(), auth_signer,
                                                              std::get<MemberSignature>(owner).signing());
             if (!message.ok()) co_return internal_error(message.error());
             auto answer = co_await state.post_auth_cert_reg(to.priv->auth_cert_reg_service_address,
                                                             *to.priv->auth_cert_reg_service_cert,
                                                             message->content_type, message->body);
             auto request_id = read_management_answer(answer, *soap);
             if (auto* e = std::get_if<ApiError>(&request_id)) co_return std::move(*e);
             if (auto st = state.token.set_status(hash, signer::CertStatus::registration_in_progress); !st.ok()) {
               co_return internal_error(st.error());
             }
             r.audit = {{"certHash", hash},
                        {"certHashAlgorithm", "SHA-256"},
                        {"address", address},
                        {"managementRequestId", std::get<std::int64_t>(request_id)}};
             co_return empty_response(200);
           },
           true, "Register authentication certificate", false,
           "send X-Road's authCertReg for the certificate to the Central Server"});

  // X-Road's authCertDeletion, through the client proxy (unsigned); the certificate waits in
  // DELETION_IN_PROGRESS until global configuration no longer lists it, then is SAVED again.
  api.add({Verb::put, "/token-certificates/{hash}/unregister", "send_auth_cert_del_req",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto keys = state.token.contents();
             if (!keys.ok()) co_return internal_error(keys.error());
             const auto found = find_cert(*keys, r.param("hash"));
             if (!found) co_return not_found("no such certificate");
             const std::string hash = found->cert->hash();
             const std::string key_id = found->key->key_id;
             const signer::CertStatus status = found->cert->status;
             if (found->key->usage != signer::KeyUsage::authentication) {
               co_return bad_request("cert_not_auth_cert", {hash});
             }
             if (status != signer::CertStatus::registered && status != signer::CertStatus::registration_in_progress) {
               co_return bad_request("action_not_possible", {std::string(signer::cert_status_name(status))});
             }
             auto target = management_target(state);
             if (auto* e = std::get_if<ApiError>(&target)) co_return std::move(*e);
             auto& to = std::get<ManagementTarget>(target);
             auto soap = to.builder.auth_cert_deletion(to.server, found->cert->cert.to_der());
             if (!soap.ok()) co_return internal_error(soap.error());
             auto request_id = co_await send_management_request(state, *soap, nullptr);
             if (auto* e = std::get_if<ApiError>(&request_id)) co_return std::move(*e);
             if (auto st = state.token.set_status(hash, signer::CertStatus::deletion_in_progress); !st.ok()) {
               co_return internal_error(st.error());
             }
             r.audit = {{"tokenId", "0"},
                        {"keyId", key_id},
                        {"certHash", hash},
                        {"certHashAlgorithm", "SHA-256"},
                        {"managementRequestId", std::get<std::int64_t>(request_id)},
                        {"certStatus", "DELETION_IN_PROGRESS"}};
             co_return empty_response(204);
           },
           true, "Unregister authentication certificate", false,
           "send X-Road's authCertDeletion for the certificate to the Central Server"});
}

}  // namespace roadside::admin
