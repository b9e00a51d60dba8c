// Fuzz target: OCSP responses as a peer sends them with its messages and a responder answers
// the signer, through crypto::verify_ocsp_response by X-Road's rules, about the good and the
// revoked certificate of the fixed PKI of fuzz_pki.h (its rogue responder listed for some
// checks). Any input must be accepted or refused cleanly, and:
//   - a refusal says why, as incorrect_validation_info, or cert_validation for a certificate
//     the response calls revoked or unknown;
//   - an accepted response says good, names its responder and was fresh at the check's time;
//   - checking the same response again (rules 1-4 now from the cache) gives the same answer,
//     and listing one more trusted responder never turns an acceptance into a refusal;
//   - the time rules hold at their edges: a response accepted once is accepted from 60 s
//     before its thisUpdate (clock skew) to `freshness` after it and refused a second beyond
//     either, and its nextUpdate counts only when the check asks for it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "crypto/crypto.h"
#include "fuzz_checks.h"
#include "fuzz_pki.h"

namespace {

using namespace std::chrono_literals;
using roadside::Result;
using roadside::crypto::Certificate;
using roadside::crypto::OcspCheck;
using roadside::crypto::OcspResult;
using roadside::fuzz::check;
using Time = std::chrono::system_clock::time_point;

// A check wide enough that any thisUpdate from 1950 to 2100 is fresh: a response it accepts
// has a thisUpdate whose edges the tighter checks below can be placed around without overflow.
constexpr Time kWideNow{std::chrono::sys_days{std::chrono::year{2100} / 1 / 1}};
constexpr std::chrono::seconds kWideFreshness = std::chrono::years(150);

OcspCheck check_at(Time now, std::chrono::seconds freshness, bool verify_next_update,
                   std::vector<Certificate> trusted) {
  return {.now = now,
          .freshness = freshness,
          .verify_next_update = verify_next_update,
          .trusted_responders = std::move(trusted)};
}

bool same(const Result<OcspResult>& a, const Result<OcspResult>& b) {
  if (a.ok() != b.ok()) return false;
  if (!a.ok()) return a.error().code() == b.error().code() && a.error().detail() == b.error().detail();
  return a->status == b->status && a->this_update == b->this_update && a->next_update == b->next_update &&
         a->revocation_time == b->revocation_time && a->responder_subject == b->responder_subject;
}

// The answer about `der` under check `c`, checked for what any answer must be.
Result<OcspResult> verify(std::string_view der, const Certificate& cert, const OcspCheck& c) {
  using roadside::crypto::errc;
  auto r = roadside::crypto::verify_ocsp_response(der, cert, roadside::fuzz::fuzz_pki().ca, c);
  if (!r.ok()) {
    roadside::fuzz::check_refusal(r);
    check(r.error().code() == errc::incorrect_validation_info || r.error().code() == errc::cert_validation);
    return r;
  }
  check(r->status == roadside::crypto::CertStatus::good && !r->revocation_time && !r->responder_subject.empty());
  check(r->this_update <= c.now + 60s && r->this_update >= c.now - c.freshness);
  check(!c.verify_next_update || !r->next_update || *r->next_update >= c.now);
  return r;
}

// The time rules around the thisUpdate of a response the wide check accepted.
void check_time_edges(std::string_view der, const Certificate& cert, const std::vector<Certificate>& trusted,
                      const OcspResult& wide) {
  constexpr std::chrono::seconds kFreshness = 3600s;  // X-Road's default ocspFreshnessSeconds
  auto accepted_at = [&](Time now, bool verify_next_update = false) {
    return verify(der, cert, check_at(now, kFreshness, verify_next_update, trusted)).ok();
  };
  const Time t = wide.this_update;
  check(accepted_at(t) && accepted_at(t - 60s) && accepted_at(t + kFreshness));
  check(!accepted_at(t - 61s) && !accepted_at(t + kFreshness + 1s));
  check(accepted_at(t, true) == (!wide.next_update || *wide.next_update >= t));
}

void check_response(std::string_view der, const Certificate& cert, const std::vector<Certificate>& trusted) {
  const OcspCheck wide = check_at(kWideNow, kWideFreshness, false, trusted);
  const auto first = verify(der, cert, wide);
  check(same(first, verify(der, cert, wide)));
  if (!first.ok()) return;
  check_time_edges(der, cert, trusted, *first);
  std::vector<Certificate> more = trusted;
  more.push_back(roadside::fuzz::fuzz_pki().ocsp);
  check(same(first, verify(der, cert, check_at(kWideNow, kWideFreshness, false, more))));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view der(reinterpret_cast<const char*>(data), size);
  const auto& pki = roadside::fuzz::fuzz_pki();
  check_response(der, pki.good, {});
  check_response(der, pki.good, {pki.rogue});
  check_response(der, pki.revoked, {pki.rogue});
  return 0;
}
