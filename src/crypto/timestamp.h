// Time-stamps (RFC 3161) as X-Road uses them: requests, the token out of a response, and
// tokens verified against the approved TSAs. Answering requests is the test instance's (testbed/authority.h).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/certificate.h"
#include "crypto/errors.h"

namespace roadside::crypto {

// A TimeStampReq over the digest of `data`: SHA-512 imprint, no nonce, no certReq (DER).
Result<std::string> make_timestamp_request(std::string_view data);

// The TimeStampToken of a TimeStampResp whose status is granted (DER ContentInfo).
Result<std::string> timestamp_token_from_response(std::string_view response_der);

struct TimestampInfo {
  std::chrono::system_clock::time_point gen_time;
  std::string serial_hex;
  std::string tsa_subject;  // the certificate that signed it
};

// Verifies a TimeStampToken: signed by one of `tsa_certs` (the approved TSAs), and its
// message imprint is the digest of `data`. Errors: timestamper_failed ... as
// incorrect_validation_info.
Result<TimestampInfo> verify_timestamp_token(std::string_view token_der, std::string_view data,
                                             const std::vector<Certificate>& tsa_certs);

// The token with the certificate that signed it (one of `tsa_certs`) among its certificates,
// as X-Road stores tokens (TimestamperUtil.addSignerCertificate): a TSA asked without certReq
// leaves it out, and verifiers such as `openssl ts -verify` look for it there. A token that
// carries certificates already is returned unchanged; errc::incorrect_validation_info when
// none of `tsa_certs` is its signer.
Result<std::string> with_timestamp_signer_certificate(std::string_view token_der,
                                                      const std::vector<Certificate>& tsa_certs);

}  // namespace roadside::crypto
