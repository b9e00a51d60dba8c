// Fuzz target: RFC 3161 time-stamps. The input is taken as a TimeStampResp as a TSA answers
// the message log (crypto::timestamp_token_from_response), and as a bare TimeStampToken as
// containers and signatures carry one (crypto::verify_timestamp_token); each token is
// checked over the data the seeds stamp against the TSA of fuzz_pki.h. Any input must be
// accepted or refused cleanly, and:
//   - a refusal says why, as incorrect_validation_info;
//   - a granted response yields a token;
//   - a token that verifies names the approved TSA that signed it and a hex serial number;
//     it verifies the same again and with another certificate listed before the TSA, and
//     never over other data, nor with no TSA or only certificates that are not its signer's;
//     with its signer's certificate added (crypto::with_timestamp_signer_certificate, as the
//     message log keeps tokens) it verifies the same; that refuses anything else cleanly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/crypto.h"
#include "fuzz_checks.h"
#include "fuzz_pki.h"

namespace {

using roadside::Result;
using roadside::crypto::Certificate;
using roadside::crypto::TimestampInfo;
using roadside::fuzz::check;
using roadside::fuzz::seeds::kStampedData;

bool same(const Result<TimestampInfo>& a, const Result<TimestampInfo>& b) {
  if (a.ok() != b.ok()) return false;
  if (!a.ok()) return a.error().code() == b.error().code() && a.error().detail() == b.error().detail();
  return a->gen_time == b->gen_time && a->serial_hex == b->serial_hex && a->tsa_subject == b->tsa_subject;
}

// The token's verification over `data` by `tsas`, checked for what any answer must be.
Result<TimestampInfo> verify(std::string_view token, std::string_view data, const std::vector<Certificate>& tsas) {
  auto r = roadside::crypto::verify_timestamp_token(token, data, tsas);
  if (!r.ok()) {
    roadside::fuzz::check_refusal(r);
    check(r.error().code() == roadside::crypto::errc::incorrect_validation_info);
    return r;
  }
  bool named = false;
  for (const auto& tsa : tsas) named = named || r->tsa_subject == tsa.subject();
  check(named);
  check(!r->serial_hex.empty() && r->serial_hex.find_first_not_of("-0123456789ABCDEF") == std::string::npos);
  return r;
}

void check_token(std::string_view token) {
  const auto& pki = roadside::fuzz::fuzz_pki();
  const auto r = verify(token, kStampedData, {pki.tsa});
  check(same(r, verify(token, kStampedData, {pki.tsa})));
  if (!r.ok()) return;
  check(same(r, verify(token, kStampedData, {pki.ca, pki.tsa})));
  check(!verify(token, std::string(kStampedData) + ".", {pki.tsa}).ok());
  check(!verify(token, kStampedData, {}).ok());
  check(!verify(token, kStampedData, {pki.ca, pki.ocsp}).ok());
  // Kept with its signer's certificate in it (as the message log keeps tokens), it verifies the same.
  const auto kept = roadside::crypto::with_timestamp_signer_certificate(token, {pki.tsa});
  check(kept.ok());
  if (kept.ok()) check(same(r, verify(*kept, kStampedData, {pki.tsa})));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto token = roadside::crypto::timestamp_token_from_response(input);
  roadside::fuzz::check_refusal(token);
  if (token.ok()) {
    check(!token->empty());
    check_token(*token);
  } else {
    check(token.error().code() == roadside::crypto::errc::incorrect_validation_info);
  }
  check_token(input);
  // Any input: a certificate added, or a clean refusal.
  const auto kept = roadside::crypto::with_timestamp_signer_certificate(input, {roadside::fuzz::fuzz_pki().tsa});
  roadside::fuzz::check_refusal(kept);
  if (!kept.ok()) {
    check(kept.error().code() == roadside::crypto::errc::incorrect_validation_info ||
          kept.error().code() == roadside::crypto::errc::operation_failed);
  }
  return 0;
}
