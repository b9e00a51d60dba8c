// The OpenSSL facade: keys, X.509 certificates and digests. OpenSSL types stay behind
// these classes; no other module includes OpenSSL headers for cryptography.
//
// What is here now: generating keys, issuing certificates (a CA, TLS server and client
// certificates), PEM/DER conversion and digests. Chains, OCSP and time-stamps come with
// the trust layer.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/errc.h"
#include "base/result.h"

namespace roadside::crypto {

enum class errc { bad_key = 1, bad_certificate, operation_failed, invalid_signature, unsupported_algorithm, incorrect_validation_info, cert_validation, wrong_password };
const FaultCategory& crypto_category() noexcept;
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), crypto_category()}; }

enum class KeyType { rsa2048, rsa3072, rsa4096, ec_p256, ec_p384 };

class PrivateKey;
class Certificate;
struct CertificateSpec;
Result<Certificate> issue_certificate(const CertificateSpec& spec, const PrivateKey& subject_key,
                                      const Certificate* issuer, const PrivateKey& issuer_key);

class PrivateKey {
 public:
  // Takes ownership of an EVP_PKEY* (for crypto/ internals).
  static PrivateKey adopt(void* evp_pkey);
  static Result<PrivateKey> generate(KeyType type);
  // PKCS#8 or traditional PEM, unencrypted.
  static Result<PrivateKey> from_pem(std::string_view pem);
  std::string to_pem() const;         // PKCS#8 PEM
  std::string public_key_pem() const;  // SubjectPublicKeyInfo PEM
  void* native() const noexcept { return key_.get(); }  // EVP_PKEY*, for crypto/ internals

 private:
  explicit PrivateKey(std::shared_ptr<void> key) : key_(std::move(key)) {}
  std::shared_ptr<void> key_;
};

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
  bool is_ec_key() const;  // an EC public key (else RSA)
  // Subject attributes in order, by OpenSSL short name ("C", "O", "CN", "serialNumber").
  std::vector<std::pair<std::string, std::string>> subject_entries() const;
  // The first subject attribute with this short name, or "".
  std::string subject_entry(std::string_view short_name) const;
  // X-Road's tests (CertUtils): a signing certificate has keyUsage nonRepudiation; an
  // authentication certificate has EKU clientAuth or keyUsage digitalSignature/keyEncipherment.
  bool is_signing_cert() const;
  bool is_auth_cert() const;
  void* native() const noexcept { return cert_.get(); }  // X509*, for crypto/ internals

 private:
  explicit Certificate(std::shared_ptr<void> cert) : cert_(std::move(cert)) {}
  std::shared_ptr<void> cert_;
  friend Result<Certificate> issue_certificate(const CertificateSpec&, const PrivateKey&, const Certificate*,
                                               const PrivateKey&);
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
  std::string country;             // two letters or empty
  std::vector<std::pair<std::string, std::string>> subject_extra;  // appended: {"serialNumber", "DEV/ss1/COM"}
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  Usage usage = Usage::tls_server;
  std::chrono::system_clock::time_point not_before = std::chrono::system_clock::now() - std::chrono::minutes(5);
  std::chrono::seconds validity = std::chrono::hours(24 * 365);
  std::uint64_t serial = 0;        // 0 = random
};

// Issues a certificate for `subject_key` signed by `issuer_key`; self-signed when
// `issuer` is null (then `issuer_key` should be `subject_key`). SHA-256 signatures.
Result<Certificate> issue_certificate(const CertificateSpec& spec, const PrivateKey& subject_key,
                                      const Certificate* issuer, const PrivateKey& issuer_key);

// XML-DSig / XML-Enc algorithm URIs X-Road uses.
inline constexpr std::string_view kSha1Uri = "http://www.w3.org/2000/09/xmldsig#sha1";
inline constexpr std::string_view kSha256Uri = "http://www.w3.org/2001/04/xmlenc#sha256";
inline constexpr std::string_view kSha512Uri = "http://www.w3.org/2001/04/xmlenc#sha512";
inline constexpr std::string_view kRsaSha256Uri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
inline constexpr std::string_view kRsaSha512Uri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
inline constexpr std::string_view kEcdsaSha256Uri = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
inline constexpr std::string_view kEcdsaSha512Uri = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512";

// The digest of `data` by algorithm URI (SHA-1, SHA-256, SHA-384, SHA-512).
Result<std::string> digest(std::string_view algorithm_uri, std::string_view data);

// A digest computed over data that arrives in pieces (a streamed body).
class Hasher {
 public:
  // errc::unsupported_algorithm for a URI digest() does not know.
  static Result<Hasher> create(std::string_view algorithm_uri);
  static Hasher sha256();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();

  void update(std::string_view data);
  // The digest of everything given so far; the hasher starts over afterwards.
  std::string finish();

 private:
  explicit Hasher(void* ctx, const void* md);
  void* ctx_ = nullptr;       // EVP_MD_CTX
  const void* md_ = nullptr;  // EVP_MD
};

// Verifies a PKCS#1 v1.5 RSA or DER-encoded ECDSA `signature` over `data` with the public
// key of `signer`, by signature algorithm URI. errc::invalid_signature when it does not verify.
Status verify_signature(const Certificate& signer, std::string_view algorithm_uri, std::string_view data,
                        std::string_view signature);
// Signs `data` (the counterpart, for tests and the configuration publisher).
Result<std::string> sign(const PrivateKey& key, std::string_view algorithm_uri, std::string_view data);

// XML-DSig writes an ECDSA signature as the raw concatenation r || s, each as long as the
// curve order (X-Road's Signatures.useRawFormat); RSA signatures are the same in both forms.
Result<std::string> sign_xmldsig(const PrivateKey& key, std::string_view algorithm_uri, std::string_view data);

// A PKCS#12 file's private key and certificates (X-Road software-token key files; the
// password is the token PIN). errc::bad_key when the password is wrong or the file is not
// PKCS#12.
struct Pkcs12Contents {
  PrivateKey key;
  std::vector<Certificate> certificates;  // the key's certificate first, when present
};
Result<Pkcs12Contents> load_pkcs12(std::string_view der, const std::string& password);
// A PKCS#12 file (DER) holding `key` and `cert` under `password`, as a software token keeps a key.
Result<std::string> write_pkcs12(const PrivateKey& key, const Certificate& cert, const std::string& password,
                                 const std::string& friendly_name);

// Verifies that `leaf` chains to one of `trust_anchors` (approved top CAs) through
// `intermediates`, with every certificate valid at `at`. errc::cert_validation otherwise.
Status verify_chain(const Certificate& leaf, const std::vector<Certificate>& intermediates,
                    const std::vector<Certificate>& trust_anchors, std::chrono::system_clock::time_point at);

// ---- OCSP (RFC 6960) as X-Road uses it ----------------------------------------------

// An unsigned OCSP request for `cert`: SHA-1 CertID, no nonce (DER).
Result<std::string> make_ocsp_request(const Certificate& cert, const Certificate& issuer);

enum class CertStatus { good, revoked, unknown };

struct OcspResult {
  CertStatus status = CertStatus::unknown;
  std::chrono::system_clock::time_point this_update;
  std::optional<std::chrono::system_clock::time_point> next_update;
  std::optional<std::chrono::system_clock::time_point> revocation_time;
  std::string responder_subject;
};

struct OcspCheck {
  std::chrono::system_clock::time_point now;
  std::chrono::seconds freshness{3600};  // shared-params ocspFreshnessSeconds
  bool verify_next_update = true;        // optional globalconf part NEXTUPDATE
  // Responder certificates the global configuration lists for the certificate's CA.
  std::vector<Certificate> trusted_responders;
};

// Verifies a DER OCSPResponse for `cert` by X-Road's rules (OcspVerifier): the CertID
// matches; the responder is found by ResponderID; the signature verifies; the responder
// is authorized (listed in the configuration, the CA itself, or issued by the CA with EKU
// OCSPSigning); thisUpdate is within the freshness and at most 60 s (clock skew) after
// `now`; nextUpdate (if checked) has not passed;
// and the status is good. Errors: incorrect_validation_info, or cert_validation when the
// certificate is revoked or unknown. On success returns what the response said.
Result<OcspResult> verify_ocsp_response(std::string_view der, const Certificate& cert, const Certificate& issuer,
                                        const OcspCheck& check);

// ---- Time-stamps (RFC 3161) as X-Road uses them ---------------------------------------

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

// A password kept for checking later: "pbkdf2-sha256$<iterations>$<salt>$<hash>" (base64),
// PBKDF2-HMAC-SHA256 with 600000 iterations and a random 16-byte salt.
std::string hash_password(std::string_view password);
// Whether `password` matches a hash_password() result (false for anything malformed).
bool verify_password(std::string_view password, std::string_view hash);

std::string sha1(std::string_view data);
std::string sha256(std::string_view data);
std::string sha512(std::string_view data);
std::string to_hex(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(std::string_view text);

}  // namespace roadside::crypto

ROADSIDE_ERRC_ENUM(roadside::crypto::errc)
