// What the routes that send X-Road's management requests share (authCertReg in
// registration_routes.cc, clientReg, clientDeletion, ownerChange ... in client_routes.cc): this
// server's identity and the management service from the private parameters, a member's
// signature (its signing key, certificate and a fresh OCSP response, as X-Road's signer's
// MemberSigningInfo), and the reading of the Central Server's answer. Errors are X-Road's
// admin API errors, ready to answer with.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include <boost/asio/awaitable.hpp>

#include "admin/api.h"
#include "admin/context.h"
#include "management/messages.h"
#include "management/signed_request.h"

namespace roadside::admin {

// A value, or the admin API's error to answer with.
template <typename T>
using OrApiError = std::variant<T, ApiError>;

// This server and where its management requests go.
struct ManagementTarget {
  XRoadId server;  // SERVER
  std::shared_ptr<const globalconf::PrivateParameters> priv;
  management::RequestBuilder builder;  // header client: the server's owner
};
// Errors: server_not_initialized; global_conf_outdated (no management service in the private
// parameters, or, for `auth_cert_reg`, no authCertReg address and certificate).
OrApiError<ManagementTarget> management_target(ServerState& state, bool auth_cert_reg = false);

// A member's signature for a management request.
class MemberSignature {
 public:
  // `member` signs (a subsystem's member for a subsystem). Errors: no_owner_signing_certificate
  // (no open, active, registered signing key of the member), ocsp_response_unavailable.
  static OrApiError<MemberSignature> of(ServerState& state, const XRoadId& member);
  // REQUIRES: this object outlives the value's use.
  management::MemberSigning signing() const { return {&signer_, key_->info.cert, ocsp_}; }

 private:
  MemberSignature(std::shared_ptr<const signer::OpenKey> key, std::string ocsp)
      : key_(std::move(key)), signer_(key_->key), ocsp_(std::move(ocsp)) {}
  std::shared_ptr<const signer::OpenKey> key_;
  management::KeySigner signer_;
  std::string ocsp_;
};

// The Central Server's answer read against the request's SOAP part: its request id (0 when it
// gives none). Errors: management_request_failed with the SOAP fault's code as metadata (the
// Central Server's or the proxies'; the reading error's fault code for an answer that is no
// fault; none when the request could not be posted).
OrApiError<std::int64_t> read_management_answer(const Result<std::pair<std::string, std::string>>& answer,
                                                const std::string& soap);

// Sends a built request through the client proxy (state.post_management_request): signed by
// `member` (the types management::signatures_of says Signatures::owner), or plain when it is
// nullptr (clientDeletion, authCertDeletion). Returns the Central Server's request id.
asio::awaitable<OrApiError<std::int64_t>> send_management_request(ServerState& state, std::string soap,
                                                                  const MemberSignature* member);

}  // namespace roadside::admin
