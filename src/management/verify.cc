#include "management/verify.h"

#include <cctype>
#include <string>
#include <utility>

#include <arpa/inet.h>

#include "crypto/signature.h"
#include "management/errors.h"
#include "trust/certificate_profile.h"
#include "trust/verifier.h"

namespace roadside::management {
namespace {

Error invalid_request(std::string detail) {
  return make_error(errc::invalid_request, std::move(detail));
}
Error cert_validation(std::string detail) {
  return make_error(errc::cert_validation, std::move(detail));
}

Result<crypto::Certificate> read_cert(const std::optional<std::string>& der, std::string_view what) {
  if (!der || der->empty()) return make_error(errc::incorrect_certificate, std::string(what) + " is empty");
  auto cert = crypto::Certificate::from_der(*der);
  if (!cert.ok())
    return make_error(errc::incorrect_certificate,
                      std::string(what) + " is not a certificate: " + cert.error().detail());
  return cert;
}

Status verify_part_signature(const crypto::Certificate& cert, const SignaturePart& sig, std::string_view soap,
                             std::string_view what) {
  const auto uri = signature_algorithm_uri(sig.algorithm_id);
  if (!uri) return invalid_request("unknown signature algorithm " + sig.algorithm_id.substr(0, 60));
  auto ok = crypto::verify_signature(cert, *uri, soap, sig.bytes);
  if (!ok.ok())
    return make_error(errc::invalid_signature_value,
                      std::string(what) + " verification failed: " + ok.error().detail());
  return {};
}

// ManagementRequestCertVerifier: a signing certificate of an approved CA, good by its OCSP.
Result<trust::CertificateStatus> verify_member_cert(const crypto::Certificate& cert, const std::string& ocsp,
                                                    const VerifyContext& ctx) {
  auto status = trust::verify_certificate(cert, {}, {ocsp}, *ctx.trust, ctx.at);
  if (!status.ok())
    return cert_validation("member (owner/client) sign certificate is invalid: " + status.error().detail());
  if (!cert.is_signing_cert())
    return cert_validation("member (owner/client) sign certificate is not a signing certificate");
  return status;
}

// The member the signing certificate names, by its CA's certificate profile.
Result<XRoadId> cert_member(const crypto::Certificate& cert, const trust::CertificateStatus& status,
                            const XRoadId& expected) {
  auto member = trust::signing_cert_member(cert, status.ca->certificate_profile_info, expected);
  if (!member.ok())
    return invalid_request("cannot read the member of the signing certificate: " + member.error().detail());
  return member;
}

Status check_service(const SoapRequest& r, const VerifyContext& ctx) {
  const XRoadId& s = r.header.service;
  const XRoadId& m = ctx.management_service;
  const bool same = s.instance() == m.instance() && s.member_class() == m.member_class() &&
                    s.member_code() == m.member_code() && s.subsystem_code() == m.subsystem_code() &&
                    s.service_version().empty();
  if (!same || r.header.client.instance() != ctx.trust->instance) {
    return invalid_request("Invalid management service address. Contact central server administrator.");
  }
  return {};
}

Status check_sender(const SoapRequest& r) {
  if (r.header.client != r.body.server.owner_member()) return invalid_request("Sender does not match server owner.");
  return {};
}

bool is_blank(std::string_view s) {
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Result<VerifiedRequest> verify_auth_cert_reg(ReceivedRequest r, const VerifyContext& ctx) {
  const SoapRequest& req = r.request;
  ROADSIDE_TRY(crypto::Certificate auth_cert, read_cert(r.auth_cert, "the authentication certificate part"));
  auto issuer = trust::find_issuer(auth_cert, *ctx.trust);
  if (!issuer.ok()) return cert_validation("Authentication certificate is not valid: " + issuer.error().detail());
  std::vector<crypto::Certificate> intermediates;
  for (const auto& i : issuer->ca->intermediates) intermediates.push_back(i.cert);
  auto chain = crypto::verify_chain(auth_cert, intermediates, {issuer->ca->top.cert}, ctx.at);
  if (!chain.ok()) return cert_validation("Authentication certificate is not valid: " + chain.error().detail());
  if (!auth_cert.is_auth_cert())
    return cert_validation("Authentication certificate is not valid: not an authentication certificate");
  ROADSIDE_TRY_STATUS(verify_part_signature(auth_cert, *r.auth_signature, r.soap, "Auth signature"));

  ROADSIDE_TRY(crypto::Certificate owner_cert, read_cert(r.signer_cert, "the owner certificate part"));
  ROADSIDE_TRY(trust::CertificateStatus status, verify_member_cert(owner_cert, *r.signer_ocsp, ctx));
  ROADSIDE_TRY_STATUS(verify_part_signature(owner_cert, *r.owner_signature, r.soap, "Owner signature"));

  ROADSIDE_TRY_STATUS(check_service(req, ctx));
  ROADSIDE_TRY_STATUS(check_sender(req));
  if (*r.auth_cert != req.body.auth_cert.value_or(""))
    return cert_validation("Authentication certificates do not match.");
  const XRoadId owner = req.body.server.owner_member();
  ROADSIDE_TRY(XRoadId member, cert_member(owner_cert, status, owner));
  if (member != owner) {
    return invalid_request("Subject identifier (" + member.to_string() +
                           ") in certificate does not match security server owner identifier (" + owner.to_string() +
                           ") in request");
  }
  if (!req.body.address || !is_valid_server_address(*req.body.address))
    return invalid_request("Invalid server address");
  return VerifiedRequest{std::move(r), std::move(member)};
}

Result<VerifiedRequest> verify_member_signed(ReceivedRequest r, const VerifyContext& ctx) {
  const SoapRequest& req = r.request;
  ROADSIDE_TRY(crypto::Certificate cert, read_cert(r.signer_cert, "the client certificate part"));
  ROADSIDE_TRY_STATUS(verify_part_signature(cert, *r.owner_signature, r.soap, "Client signature"));
  ROADSIDE_TRY(trust::CertificateStatus status, verify_member_cert(cert, *r.signer_ocsp, ctx));
  ROADSIDE_TRY_STATUS(check_service(req, ctx));
  ROADSIDE_TRY_STATUS(check_sender(req));
  const RequestType type = req.body.type;
  const XRoadId expected = is_client_request(type) ? req.body.client->owner_member() : req.body.server.owner_member();
  ROADSIDE_TRY(XRoadId member, cert_member(cert, status, expected));
  if (member != expected) {
    return invalid_request("Subject identifier (" + member.to_string() + ") in certificate does not match " +
                           (is_client_request(type) ? "client's member" : "security server owner") + " identifier (" +
                           expected.to_string() + ") in request");
  }
  const bool subsystem = req.body.client && req.body.client->type() == ObjectType::subsystem;
  if (type == RequestType::client_reg && req.body.subsystem_name && !req.body.subsystem_name->empty() && !subsystem) {
    return invalid_request("Only name of subsystem can be changed");
  }
  if (type == RequestType::client_rename) {
    if (!subsystem) return invalid_request("Only name of subsystem can be changed");
    if (is_blank(req.body.subsystem_name.value_or(""))) return invalid_request("Invalid subsystem name");
  }
  if (type == RequestType::address_change && !is_valid_server_address(req.body.address.value_or(""))) {
    return invalid_request("Invalid server address");
  }
  return VerifiedRequest{std::move(r), std::move(member)};
}

bool is_ldh(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

}  // namespace

bool is_valid_server_address(std::string_view address) {
  if (address.empty() || address.size() > 255) return false;
  const std::string text(address);
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1) return true;
  std::string_view name = address;
  if (name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  std::size_t labels = 0;
  std::string_view last;
  while (true) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63 || ++labels > 127) return false;
    for (char c : label) {
      if (!is_ldh(c)) return false;
    }
    if (!std::isalnum(static_cast<unsigned char>(label.front())) ||
        !std::isalnum(static_cast<unsigned char>(label.back()))) {
      return false;
    }
    last = label;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return !std::isdigit(static_cast<unsigned char>(last.front()));
}

Result<VerifiedRequest> verify_request(ReceivedRequest request, const VerifyContext& context) {
  switch (signatures_of(request.request.body.type)) {
    case Signatures::auth_and_owner:
      return verify_auth_cert_reg(std::move(request), context);
    case Signatures::owner:
      return verify_member_signed(std::move(request), context);
    case Signatures::none:
      break;
  }
  ROADSIDE_TRY_STATUS(check_service(request.request, context));
  ROADSIDE_TRY_STATUS(check_sender(request.request));
  return VerifiedRequest{std::move(request), std::nullopt};
}

Result<VerifiedRequest> read_request(std::string_view content_type, std::string_view body,
                                     const VerifyContext& context) {
  ROADSIDE_TRY(ReceivedRequest request, parse_request(content_type, body));
  return verify_request(std::move(request), context);
}

}  // namespace roadside::management
