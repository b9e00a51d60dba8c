#include "crypto/ocsp.h"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "base/bounded_cache.h"
#include "crypto/digest.h"
#include "crypto/openssl.h"

namespace roadside::crypto {
namespace {

using detail::asn1_time;
using detail::der;
using detail::fail;
using detail::name_text;
using detail::x509;
using detail::x509_der;

Error ocsp_bad(std::string detail) {
  ERR_clear_error();
  return Error(make_error_code(errc::incorrect_validation_info), "OCSP response: " + std::move(detail));
}

}  // namespace

Result<std::string> make_ocsp_request(const Certificate& cert, const Certificate& issuer) {
  std::unique_ptr<OCSP_REQUEST, decltype(&OCSP_REQUEST_free)> req(OCSP_REQUEST_new(), &OCSP_REQUEST_free);
  OCSP_CERTID* id = OCSP_cert_to_id(EVP_sha1(), x509(cert), x509(issuer));
  if (!req || !id || !OCSP_request_add0_id(req.get(), id)) {
    if (id) OCSP_CERTID_free(id);
    return fail(errc::operation_failed, "cannot build OCSP request");
  }
  auto out = der(req.get(), i2d_OCSP_REQUEST);
  if (!out) return fail(errc::operation_failed, "cannot encode OCSP request");
  return std::move(*out);
}

namespace {

// Rules 1-4 of verify_ocsp_response: what does not depend on the time of the check.
Result<OcspResult> verify_ocsp_signature(std::string_view der, const Certificate& cert, const Certificate& issuer,
                                         const OcspCheck& check) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<OCSP_RESPONSE, decltype(&OCSP_RESPONSE_free)> resp(
      d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())), &OCSP_RESPONSE_free);
  if (!resp) return ocsp_bad("not a DER OCSPResponse");
  const int rs = OCSP_response_status(resp.get());
  if (rs != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    return ocsp_bad(std::string("responder said ") + OCSP_response_status_str(rs));
  std::unique_ptr<OCSP_BASICRESP, decltype(&OCSP_BASICRESP_free)> basic(OCSP_response_get1_basic(resp.get()),
                                                                        &OCSP_BASICRESP_free);
  if (!basic) return ocsp_bad("not a basic response");

  // 1. The CertID matches (SHA-1, as X-Road asks).
  std::unique_ptr<OCSP_CERTID, decltype(&OCSP_CERTID_free)> id(OCSP_cert_to_id(EVP_sha1(), x509(cert), x509(issuer)),
                                                               &OCSP_CERTID_free);
  int status = -1, reason = -1;
  ASN1_GENERALIZEDTIME *rev = nullptr, *this_upd = nullptr, *next_upd = nullptr;
  if (!id || OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &rev, &this_upd, &next_upd) != 1) {
    return ocsp_bad("it is not about certificate " + cert.subject() + " (CertID does not match)");
  }

  // 2. The responder, by ResponderID, among the configured responders, the CA and the response's certificates.
  auto free_stack = [](STACK_OF(X509) * st) { sk_X509_free(st); };
  std::unique_ptr<STACK_OF(X509), decltype(free_stack)> candidates(sk_X509_new_null(), free_stack);
  for (const auto& r : check.trusted_responders) sk_X509_push(candidates.get(), x509(r));
  sk_X509_push(candidates.get(), x509(issuer));
  X509* signer = nullptr;
  if (OCSP_resp_get0_signer(basic.get(), &signer, candidates.get()) != 1 || !signer) {
    return ocsp_bad("its responder certificate is not known");
  }

  // 3. The signature (by the same signer; its chain is judged by rule 4, not by OpenSSL).
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), &X509_STORE_free);
  if (OCSP_basic_verify(basic.get(), candidates.get(), store.get(), OCSP_NOVERIFY) != 1) {
    return ocsp_bad("its signature does not verify");
  }

  // 4. The responder is authorized for this CA.
  bool authorized = X509_cmp(signer, x509(issuer)) == 0;
  for (const auto& r : check.trusted_responders) authorized = authorized || X509_cmp(signer, x509(r)) == 0;
  if (!authorized && X509_check_issued(x509(issuer), signer) == X509_V_OK &&
      X509_verify(signer, X509_get0_pubkey(x509(issuer))) == 1 && (X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) &&
      (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN)) {
    authorized = true;
  }
  if (!authorized)
    return ocsp_bad("its responder " + name_text(X509_get_subject_name(signer)) + " is not authorized for " +
                    issuer.subject());

  OcspResult out;
  out.responder_subject = name_text(X509_get_subject_name(signer));
  out.this_update = asn1_time(this_upd);
  if (next_upd) out.next_update = asn1_time(next_upd);
  if (rev) out.revocation_time = asn1_time(rev);
  out.status = status == V_OCSP_CERTSTATUS_GOOD      ? CertStatus::good
               : status == V_OCSP_CERTSTATUS_REVOKED ? CertStatus::revoked
                                                     : CertStatus::unknown;
  ERR_clear_error();
  return out;
}

// Responses whose rules 1-4 passed, by the response and the certificates they were checked
// against. Peers send the same response with every message until it is refreshed; parsing
// and verifying it each time cost more than the rest of the message's checks.
BoundedCache<OcspResult>& ocsp_cache() {
  static auto* cache = new BoundedCache<OcspResult>(1024);  // never destroyed: used until exit
  return *cache;
}

// The whole seconds from `from` to `to`, for messages. Subtracting the time points in the
// clock's nanoseconds overflows when they are over 292 years apart, as a thisUpdate that a
// responder signed for the year 1700 is from today.
long long seconds_between(std::chrono::system_clock::time_point from, std::chrono::system_clock::time_point to) {
  using std::chrono::floor;
  using std::chrono::seconds;
  return (floor<seconds>(to.time_since_epoch()) - floor<seconds>(from.time_since_epoch())).count();
}

}  // namespace

Result<OcspResult> verify_ocsp_response(std::string_view der, const Certificate& cert, const Certificate& issuer,
                                        const OcspCheck& check) {
  std::string key = sha256(der) + sha256(x509_der(x509(cert))) + sha256(x509_der(x509(issuer)));
  for (const auto& r : check.trusted_responders) key += sha256(x509_der(x509(r)));
  OcspResult out;
  if (auto cached = ocsp_cache().find(key)) {
    out = std::move(*cached);
  } else {
    ROADSIDE_TRY(out, verify_ocsp_signature(der, cert, issuer, check));
    ocsp_cache().add(std::move(key), out);
  }

  // 5. Freshness, 6. nextUpdate. A thisUpdate ahead of our clock by more than skew would
  // keep the response "fresh" past the configured freshness (X-Road's verifier does not look).
  constexpr std::chrono::seconds kMaxClockSkew{60};
  if (out.this_update > check.now + kMaxClockSkew) {
    return ocsp_bad("its thisUpdate is in the future (" + std::to_string(seconds_between(check.now, out.this_update)) +
                    " s ahead of this server's clock)");
  }
  if (out.this_update < check.now - check.freshness) {
    return ocsp_bad("it is older than the allowed " + std::to_string(check.freshness.count()) + " s (thisUpdate " +
                    std::to_string(seconds_between(out.this_update, check.now)) + " s ago)");
  }
  if (check.verify_next_update && out.next_update && *out.next_update < check.now) {
    return ocsp_bad("its nextUpdate has passed");
  }
  // 7. The status.
  if (out.status != CertStatus::good) {
    return Error(make_error_code(errc::cert_validation),
                 "OCSP response says certificate " + cert.subject() + " is " +
                     (out.status == CertStatus::revoked ? "revoked" : "unknown"));
  }
  ERR_clear_error();
  return out;
}

}  // namespace roadside::crypto
