// OCSP (RFC 6960) as X-Road uses it: requests for a certificate's status, and responses
// verified by X-Road's rules (OcspVerifier). Answering requests is the test instance's (testbed/authority.h).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/certificate.h"
#include "crypto/errors.h"

namespace roadside::crypto {

// An unsigned OCSP request for `cert`: SHA-1 CertID, no nonce (DER).
Result<std::string> make_ocsp_request(const Certificate& cert, const Certificate& issuer);

enum class CertStatus { good, revoked, unknown };

struct OcspResult {
  CertStatus status = CertStatus::unknown;
  std::chrono::system_clock::time_point this_update;
  std::optional<std::chrono::system_clock::time_point> next_update;
  std::optional<std::chrono::system_clock::time_point> revocation_time;
  std::string responder_subject;
};

struct OcspCheck {
  std::chrono::system_clock::time_point now;
  std::chrono::seconds freshness{3600};  // shared-params ocspFreshnessSeconds
  bool verify_next_update = true;        // optional globalconf part NEXTUPDATE
  // Responder certificates the global configuration lists for the certificate's CA.
  std::vector<Certificate> trusted_responders;
};

// Verifies a DER OCSPResponse for `cert` by X-Road's rules (OcspVerifier): the CertID
// matches; the responder is found by ResponderID; the signature verifies; the responder
// is authorized (listed in the configuration, the CA itself, or issued by the CA with EKU
// OCSPSigning); thisUpdate is within the freshness and at most 60 s (clock skew) after
// `now`; nextUpdate (if checked) has not passed;
// and the status is good. Errors: incorrect_validation_info, or cert_validation when the
// certificate is revoked or unknown. On success returns what the response said.
Result<OcspResult> verify_ocsp_response(std::string_view der, const Certificate& cert, const Certificate& issuer,
                                        const OcspCheck& check);

}  // namespace roadside::crypto
