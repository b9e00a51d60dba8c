// Fuzz target: X.509 certificates as peers (TLS, signatures, OCSP responders), the global
// configuration (CAs, TSAs, sources) and administrators (TLS certificates of information
// systems, imported certificates) hand them over: DER, PEM and PEM bundles, and the base64
// the configuration carries them in (globalconf/parts.h decode_certificate), then everything
// the server reads from one (crypto/certificate.h, certificate_facts.h, certificate_names.h).
// Beyond not crashing:
//   - a refusal says why (fuzz_checks.h);
//   - a certificate read writes out as DER and PEM that read back to the same DER, and its
//     hashes are those of that DER;
//   - what is read from it is stable: the subject's entries are among its attributes, the
//     first entry with a name is what subject_entry gives, and reading it twice gives the same;
//   - checking its chain against a trust anchor it does not chain to refuses it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/certificate_facts.h"
#include "crypto/certificate_names.h"
#include "crypto/crypto.h"
#include "fuzz_checks.h"
#include "globalconf/parts.h"

namespace {

using roadside::crypto::Certificate;
using roadside::fuzz::check;
using roadside::fuzz::check_refusal;

std::string upper_hex(std::string_view bytes) {
  std::string hex = roadside::crypto::to_hex(bytes);
  for (char& c : hex) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
  return hex;
}

// A self-signed CA made once: no fuzzed certificate chains to it.
const Certificate& unrelated_anchor() {
  static const Certificate ca = [] {
    auto key = roadside::crypto::PrivateKey::generate(roadside::crypto::KeyType::ec_p256);
    check(key.ok());
    auto c = roadside::crypto::issue_certificate({.common_name = "Fuzz Anchor", .usage = roadside::crypto::Usage::ca},
                                                 *key, nullptr, *key);
    check(c.ok());
    return *c;
  }();
  return ca;
}

void inspect(const Certificate& cert) {
  const std::string der = cert.to_der();
  check(!der.empty());
  auto again = Certificate::from_der(der);
  check(again.ok() && again->to_der() == der);
  auto pem = Certificate::from_pem(cert.to_pem());
  check(pem.ok() && pem->to_der() == der);
  check(cert.sha256_hex() == upper_hex(roadside::crypto::sha256(der)));
  check(cert.sha1_hex() == roadside::crypto::to_hex(roadside::crypto::sha1(der)));

  const std::string subject = cert.subject();
  check(again->subject() == subject && again->issuer() == cert.issuer() && again->serial_hex() == cert.serial_hex());
  (void)cert.not_before();
  (void)cert.not_after();
  (void)cert.public_key_der();
  (void)cert.is_ec_key();
  (void)cert.is_signing_cert();
  (void)cert.is_auth_cert();
  const auto entries = cert.subject_entries();
  const auto attributes = roadside::crypto::subject_attributes(cert);
  check(entries.size() <= attributes.size());
  for (const auto& [name, value] : entries) {
    for (const auto& [first_name, first_value] : entries) {
      if (first_name == name) {
        check(cert.subject_entry(name) == first_value);
        break;
      }
    }
  }
  const auto facts = roadside::crypto::describe(cert);
  check(facts.hash == cert.sha256_hex() && facts.subject_dn == subject);

  auto chained = roadside::crypto::verify_chain(cert, {}, {unrelated_anchor()}, std::chrono::system_clock::now());
  check(!chained.ok());
  check_refusal(chained.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto der = Certificate::from_der(input);
  check_refusal(der);
  if (der.ok()) inspect(*der);
  auto pem = Certificate::from_pem(input);
  check_refusal(pem);
  if (pem.ok()) inspect(*pem);
  auto bundle = Certificate::all_from_pem(input);
  check_refusal(bundle);
  if (bundle.ok()) {
    if (pem.ok()) check(!bundle->empty() && bundle->front().to_der() == pem->to_der());
    for (const auto& c : *bundle) inspect(c);
  }
  // The configuration's base64 of DER or of PEM.
  auto from_conf = roadside::globalconf::decode_certificate(input, "cert");
  check_refusal(from_conf);
  if (from_conf.ok()) inspect(*from_conf);
  return 0;
}
