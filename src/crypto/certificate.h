// X.509 certificates: reading them (PEM, DER), what they say (names, validity, key usage),
// issuing them (a CA, TLS, X-Road signing, OCSP and TSA certificates) and verifying a
// certificate's chain to approved CAs. The certificate's OpenSSL handle stays behind
// Certificate; only crypto/ reaches it (crypto/openssl.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "crypto/errors.h"
#include "crypto/keys.h"

namespace roadside::crypto {

namespace detail {
struct CertificateAccess;
}

class Certificate {
 public:
  static Result<Certificate> from_pem(std::string_view pem);
  static Result<Certificate> from_der(std::string_view der);
  // Every certificate in a PEM bundle, in order.
  static Result<std::vector<Certificate>> all_from_pem(std::string_view pem);

  std::string to_pem() const;
  std::string to_der() const;
  std::string subject() const;  // RFC 2253 text, e.g. "CN=ss1,O=Roadside"
  std::string issuer() const;
  std::string serial_hex() const;
  std::chrono::system_clock::time_point not_before() const;
  std::chrono::system_clock::time_point not_after() const;
  // Lower-case hex SHA-1 of the DER encoding (X-Road's certificate hash for OCSP lookups).
  std::string sha1_hex() const;
  bool matches_key(const PrivateKey& key) const;
  std::string public_key_der() const;  // SubjectPublicKeyInfo DER (compare with PrivateKey::public_key_der)
  std::string sha256_hex() const;      // upper-case hex of the SHA-256 of the DER: X-Road's certificate hash
  bool is_ec_key() const;  // an EC public key (else RSA)
  // Subject attributes in order, by OpenSSL short name ("C", "O", "CN", "serialNumber").
  std::vector<std::pair<std::string, std::string>> subject_entries() const;
  // The first subject attribute with this short name, or "".
  std::string subject_entry(std::string_view short_name) const;
  // X-Road's tests (CertUtils): a signing certificate has keyUsage nonRepudiation; an
  // authentication certificate has EKU clientAuth or keyUsage digitalSignature/keyEncipherment.
  bool is_signing_cert() const;
  bool is_auth_cert() const;
  void* native() const noexcept { return cert_.get(); }  // X509*, for crypto/ internals and testbed/authority.cc

 private:
  explicit Certificate(std::shared_ptr<void> cert) : cert_(std::move(cert)) {}
  std::shared_ptr<void> cert_;
  friend struct detail::CertificateAccess;  // crypto/openssl.h: wraps a handle made inside crypto/
};

enum class Usage {
  ca,
  tls_server,
  tls_client,
  tls_server_and_client,  // X-Road authentication certificates
  signing,                // X-Road signing certificates (nonRepudiation)
  ocsp_signing,           // delegated OCSP responders (EKU OCSPSigning)
  timestamping,           // TSAs (EKU timeStamping, critical)
};

struct CertificateSpec {
  std::string common_name;
  std::string organization;
  std::string country;                                             // two letters or empty
  std::vector<std::pair<std::string, std::string>> subject_extra;  // appended: {"serialNumber", "DEV/ss1/COM"}
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  Usage usage = Usage::tls_server;
  std::chrono::system_clock::time_point not_before = std::chrono::system_clock::now() - std::chrono::minutes(5);
  std::chrono::seconds validity = std::chrono::hours(24 * 365);
  std::uint64_t serial = 0;  // 0 = random
};

// Issues a certificate for `subject_key` signed by `issuer_key`; self-signed when
// `issuer` is null (then `issuer_key` should be `subject_key`). SHA-256 signatures.
Result<Certificate> issue_certificate(const CertificateSpec& spec, const PrivateKey& subject_key,
                                      const Certificate* issuer, const PrivateKey& issuer_key);
// The same for a subject whose private key the issuer does not hold: `subject_public_key_der`
// is its SubjectPublicKeyInfo (PrivateKey::public_key_der, CertificateRequest::public_key_der).
// A CA issues this way from a CSR (csr.h has the overload that takes the request itself).
// errc::bad_key when the DER is not a public key (trailing bytes included).
Result<Certificate> issue_certificate_for_public_key(const CertificateSpec& spec,
                                                     std::string_view subject_public_key_der, const Certificate& issuer,
                                                     const PrivateKey& issuer_key);

// Verifies that `leaf` chains to one of `trust_anchors` (approved top CAs) through
// `intermediates`, with every certificate valid at `at`. errc::cert_validation otherwise.
Status verify_chain(const Certificate& leaf, const std::vector<Certificate>& intermediates,
                    const std::vector<Certificate>& trust_anchors, std::chrono::system_clock::time_point at);

}  // namespace roadside::crypto
