// Fuzz target: certificate signing requests as a CA receives them (the testbed's /sign and
// `roadside testbed sign-csr`), through crypto::CertificateRequest. Any input must be read
// or refused cleanly, and:
//   - a refusal says why (fuzz_checks.h), and parse() agrees with from_der/from_pem;
//   - a request read has a public key, its DER reads back to the same request, and reading
//     it twice verifies it the same way;
//   - a request whose signature verifies can be issued for: the certificate carries its key
//     and its subject.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/crypto.h"
#include "fuzz_checks.h"

namespace {

using roadside::crypto::Certificate;
using roadside::crypto::CertificateRequest;
using roadside::crypto::PrivateKey;
using roadside::fuzz::check;
using roadside::fuzz::check_refusal;

struct Issuer {
  PrivateKey key = *PrivateKey::generate(roadside::crypto::KeyType::ec_p256);
  Certificate ca = *roadside::crypto::issue_certificate(
      {.common_name = "Fuzz CSR CA", .usage = roadside::crypto::Usage::ca}, key, nullptr, key);
};

const Issuer& issuer() {
  static const Issuer i;
  return i;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto csr = CertificateRequest::parse(input);
  check_refusal(csr);
  const auto start = input.find_first_not_of(" \t\r\n");
  const bool pem = start != std::string_view::npos && input.substr(start).starts_with("-----BEGIN");
  check((pem ? CertificateRequest::from_pem(input) : CertificateRequest::from_der(input)).ok() == csr.ok());
  if (!csr.ok()) return 0;
  check(size <= CertificateRequest::kMaxBytes);

  check(!csr->public_key_der().empty());
  check(csr->subject_attributes().size() <= csr->subject_entries().size());
  (void)csr->subject();
  (void)csr->to_pem();
  const std::string der = csr->to_der();
  auto again = CertificateRequest::from_der(der);
  check(again.ok() && again->to_der() == der && again->subject() == csr->subject() &&
        again->public_key_der() == csr->public_key_der());

  const auto verified = csr->verify();
  check_refusal(verified);
  check(again->verify().ok() == verified.ok());
  if (!verified.ok()) return 0;

  auto cert =
      roadside::crypto::issue_certificate({.usage = roadside::crypto::Usage::signing}, *csr, issuer().ca, issuer().key);
  check(cert.ok() && cert->public_key_der() == csr->public_key_der() && cert->subject() == csr->subject());
  return 0;
}
