// Certificate signing requests (PKCS#10, RFC 2986): made as X-Road's signer makes them when a
// Security Server asks its CA for an authentication or signing certificate, read back from
// outside (a CA reading what it is sent: untrusted input), and issued from.
// The request's OpenSSL handle stays behind CertificateRequest; only crypto/ reaches it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "crypto/certificate.h"
#include "crypto/digest.h"
#include "crypto/errors.h"
#include "crypto/keys.h"

namespace roadside::crypto {

// A subject as its attributes in DER order: {OpenSSL short name ("C", "O", "serialNumber",
// "businessCategory", "organizationIdentifier") or dotted OID ("2.5.4.97"), UTF-8 value}.
using SubjectEntries = std::vector<std::pair<std::string, std::string>>;

// What a request asks for in its extensionRequest attribute (PKCS#9).
enum class CsrKeyUsage {
  none,  // no keyUsage requested
  auth,  // digitalSignature, keyEncipherment, dataEncipherment (X-Road's AUTHENTICATION keys)
  sign,  // nonRepudiation, keyCertSign (X-Road's SIGNING keys; X-Road asks for both)
};

struct CsrOptions {
  // The digest of the signature: SHA-256 (X-Road's default csr-signature-digest-algorithm),
  // SHA-384 or SHA-512, by XML-DSig URI (digest.h). RSA keys sign PKCS#1 v1.5, EC keys ECDSA.
  std::string_view digest_uri = kSha256Uri;
  // X-Road's older signers (AbstractGenerateCertRequest) write no extensions; the current one
  // (AbstractGenerateCertReq) asks, in an extensionRequest attribute, for a non-critical
  // keyUsage by the key's usage and, when the CSR form had one, a DNS subjectAltName. Set
  // these to make a request as the current signer does.
  CsrKeyUsage key_usage = CsrKeyUsage::none;
  std::string dns_name;  // the subjectAltName's dNSName; "" for none
};

// A DER PKCS#10 request for `key`'s public key with `subject`, signed by `key`. Values are
// encoded as BouncyCastle's X500Name (BCStyle) encodes X-Road's subject strings: C,
// serialNumber, dnQualifier and telephoneNumber as PrintableString, emailAddress and DC as
// IA5String, everything else as UTF8String; a value the narrower type cannot hold is written
// as UTF8String. Refused (errc::bad_certificate_request): an empty subject, an attribute
// OpenSSL does not know, "SN" (OpenSSL's surname but BouncyCastle's serialNumber: name one of
// them), an empty value or one over 1024 bytes or not UTF-8, a DNS name that is not one.
Result<std::string> make_csr(const PrivateKey& key, const SubjectEntries& subject, const CsrOptions& options = {});

class CertificateRequest {
 public:
  // The largest request read, DER or PEM text. X-Road's requests are about 1 KiB.
  static constexpr std::size_t kMaxBytes = 64 * 1024;

  // Nothing is trusted by reading: verify() checks the request's self-signature. Anything
  // unreadable, over kMaxBytes, followed by trailing bytes (DER), of a version other than
  // v1, or with a public key OpenSSL cannot decode is errc::bad_certificate_request.
  static Result<CertificateRequest> from_der(std::string_view der);
  // "-----BEGIN CERTIFICATE REQUEST-----" (or "NEW CERTIFICATE REQUEST"); the first one.
  static Result<CertificateRequest> from_pem(std::string_view pem);
  // PEM when the text starts, after white space, with "-----BEGIN", else DER.
  static Result<CertificateRequest> parse(std::string_view der_or_pem);

  // The signature verifies with the request's own public key (proof of possession), else
  // errc::bad_certificate_request.
  Status verify() const;

  std::string subject() const;  // RFC 2253 text, e.g. "CN=1234,serialNumber=DEV/ss1/COM,O=Org,C=FI"
  // Subject attributes in DER order by OpenSSL short name ("" for one OpenSSL has no name for).
  SubjectEntries subject_entries() const;
  // Subject attributes in DER order by dotted OID ("2.5.4.5"), every one kept: what X-Road's
  // certificate profiles read (trust/certificate_profile.h).
  SubjectEntries subject_attributes() const;
  std::string public_key_der() const;  // SubjectPublicKeyInfo DER
  bool is_ec_key() const;              // an EC public key
  bool is_rsa_key() const;             // an RSA public key
  int key_bits() const;                // the key's size in bits (RSA modulus, EC field)
  std::string to_pem() const;
  std::string to_der() const;
  void* native() const noexcept { return req_.get(); }  // X509_REQ*, for crypto/ internals

 private:
  explicit CertificateRequest(std::shared_ptr<void> req) : req_(std::move(req)) {}
  std::shared_ptr<void> req_;
};

// Issues a certificate for the request's public key, signed by `issuer_key` of `issuer`, after
// verify() (a request whose signature does not verify is errc::bad_certificate_request).
// The subject is the request's, copied as it is (its RDNs and string types), unless the spec
// names one (common_name, organization, country or subject_extra): then the spec's. Nothing
// else comes from the request: validity, usage, alternative names and serial are the spec's.
Result<Certificate> issue_certificate(const CertificateSpec& spec, const CertificateRequest& request,
                                      const Certificate& issuer, const PrivateKey& issuer_key);

}  // namespace roadside::crypto
