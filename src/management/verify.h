// The central server's verification of a management request (X-Road's
// ManagementRequestVerifier and its decoder callbacks), over what parse_request read:
//
//   authCertReg  the auth certificate part is a certificate (incorrect_certificate), issued
//                by an approved CA of the instance, valid now, an authentication certificate
//                (cert_validation); the auth signature verifies with it
//                (invalid_signature_value); the owner's signing certificate is a certificate,
//                chains to an approved CA, is good by its OCSP part (cert_validation) and
//                verifies the owner signature; the header's service is the management
//                service and its client is of this instance (invalid_request); the sender is
//                the server's owner; the auth certificate part is the body's authCert
//                (cert_validation); the signing certificate names the server's owner; the
//                address is an IP address or a host name (invalid_request).
//   member-signed (clientReg, ownerChange, clientDisable, clientEnable, clientRename,
//                addressChange, maintenanceModeEnable/Disable): the signature verifies with
//                the signing certificate (invalid_signature_value), which is trusted as above
//                (cert_validation); the sender is the server's owner; the certificate names
//                the client's member (client requests) or the server's owner (the others:
//                X-Road does not check this for them; Roadside does, as PR-MSERV says); and
//                each type's rules (a subsystem name only for a subsystem, a non-blank new
//                name, a valid address).
//   unsigned     (clientDeletion, authCertDeletion): the sender is the server's owner.
// Every type: the header's service is managementRequestServiceProviderId with the type's
// service code (X-Road checks this for authCertReg; the others reach it through X-Road's own
// routing, which Roadside does not count on).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "base/identifiers.h"
#include "base/result.h"
#include "globalconf/parameters.h"
#include "management/signed_request.h"

namespace roadside::management {

struct VerifyContext {
  const globalconf::SharedParameters* trust = nullptr;  // REQUIRES: not null; the instance's shared parameters
  XRoadId management_service;                           // managementRequestServiceProviderId
  std::chrono::system_clock::time_point at;             // when certificates and OCSP must be valid
};

struct VerifiedRequest {
  ReceivedRequest received;
  // The member whose signing certificate signed (signed types only).
  std::optional<XRoadId> signer_member;
};

// Errors: errc::invalid_request, invalid_signature_value, incorrect_certificate,
// cert_validation, invalid_client_identifier, as above.
Result<VerifiedRequest> verify_request(ReceivedRequest request, const VerifyContext& context);

// parse_request, then verify_request.
Result<VerifiedRequest> read_request(std::string_view content_type, std::string_view body,
                                     const VerifyContext& context);

// X-Road's assertAddress: an IPv4 or IPv6 address, or a host name by Guava's
// InternetDomainName rules (labels of 1-63 letters, digits, '-' and '_' not at either end,
// at most 253 characters, a last label not starting with a digit). Non-ASCII names (which
// X-Road converts with IDN.toASCII) are refused.
bool is_valid_server_address(std::string_view address);

}  // namespace roadside::management
