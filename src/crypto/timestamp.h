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

}  // namespace roadside::crypto
