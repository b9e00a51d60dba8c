#include "admin/management_requests.h"

#include "admin/ids.h"

namespace roadside::admin {

OrApiError<ManagementTarget> management_target(ServerState& state, bool auth_cert_reg) {
  const auto server = state.server_id();
  if (!server) return bad_request("server_not_initialized");
  auto priv = state.private_params();
  if (!priv || !priv->management_service_provider)
    return bad_request("global_conf_outdated", {}, "no management service in the private parameters");
  if (auth_cert_reg && (priv->auth_cert_reg_service_address.empty() || !priv->auth_cert_reg_service_cert))
    return bad_request("global_conf_outdated", {}, "no authCertReg service in the private parameters");
  management::RequestBuilder builder(server->owner_member(), *priv->management_service_provider, Random::system());
  return ManagementTarget{*server, std::move(priv), std::move(builder)};
}

OrApiError<MemberSignature> MemberSignature::of(ServerState& state, const XRoadId& member) {
  auto key = state.token.signing_key(member.owner_member());
  if (!key.ok())
    return bad_request("no_owner_signing_certificate", {api_id(member.owner_member())}, key.error().detail());
  auto ocsp = state.ocsp_response((*key)->info.cert);
  if (!ocsp) return bad_request("ocsp_response_unavailable", {(*key)->info.cert.sha256_hex()});
  return MemberSignature(std::move(*key), std::move(*ocsp));
}

OrApiError<std::int64_t> read_management_answer(const Result<std::pair<std::string, std::string>>& answer,
                                                const std::string& soap) {
  if (!answer.ok()) return ApiError{500, {"management_request_failed", {}}, {}, answer.error().to_string()};
  auto response = management::parse_response(answer->first, answer->second, soap);
  if (!response.ok()) {
    // X-Road's metadata: the SOAP fault's code (the Central Server's, or the proxies'), else why
    // the answer could not be read.
    const std::string code = management::response_fault_code(answer->second).value_or(response.error().fault_code());
    return ApiError{500, {"management_request_failed", {code}}, {}, response.error().to_string()};
  }
  return response->request_id.value_or(0);
}

asio::awaitable<OrApiError<std::int64_t>> send_management_request(ServerState& state, std::string soap,
                                                                  const MemberSignature* member) {
  if (!state.post_management_request) {
    co_return ApiError{500, {"management_request_failed", {}}, {}, "no client proxy to send management requests"};
  }
  management::HttpBody message;
  if (member) {
    auto signed_body = management::member_signed_request(soap, member->signing());
    if (!signed_body.ok()) co_return internal_error(signed_body.error());
    message = std::move(*signed_body);
  } else {
    message = management::plain_request(soap);
  }
  auto answer = co_await state.post_management_request(std::move(message.content_type), std::move(message.body));
  co_return read_management_answer(answer, soap);
}

}  // namespace roadside::admin
