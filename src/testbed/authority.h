// The authorities' side of OCSP and RFC 3161: answering requests, as the test instance's
// OCSP responder and TSA do (a production Security Server only asks). Standard forms, so
// OpenSSL's and X-Road's clients accept them. Here, not in crypto/, because only the test
// instance and tests stand in for authorities; it uses only base and crypto, so any module's
// tests may use it (CONTRIBUTING.md).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/crypto.h"

namespace roadside::testbed {

struct OcspAnswer {
  crypto::CertStatus status = crypto::CertStatus::unknown;
  std::chrono::system_clock::time_point revocation_time;  // when revoked
};

struct OcspResponderKey {
  const crypto::Certificate& issuer;     // the CA whose certificates this responder answers for
  const crypto::Certificate& responder;  // a delegated responder (EKU OCSPSigning) or the CA itself
  const crypto::PrivateKey& responder_key;
};

// Answers a DER OCSPRequest: for each certificate asked about, `lookup(serial_hex)` gives its
// status (std::nullopt: unknown); certificates of another issuer are unknown. thisUpdate is
// `now`, nextUpdate `now + validity`; a nonce in the request is echoed. A request that does
// not parse gets a malformedRequest response. Returns the DER OCSPResponse.
Result<std::string> make_ocsp_response(
    std::string_view request_der, const std::function<std::optional<OcspAnswer>(const std::string& serial_hex)>& lookup,
    const OcspResponderKey& key, std::chrono::system_clock::time_point now, std::chrono::seconds validity);

// Answers a DER TimeStampReq with a TimeStampResp granting a token signed by `tsa` (which
// needs EKU timeStamping), with genTime `now` and this serial. A request that does not
// parse, or asks for an unsupported digest, gets a rejection response.
Result<std::string> make_timestamp_response(std::string_view request_der, const crypto::Certificate& tsa,
                                            const crypto::PrivateKey& tsa_key, std::uint64_t serial,
                                            std::chrono::system_clock::time_point now);

}  // namespace roadside::testbed
