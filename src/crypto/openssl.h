// Internal to crypto/: the OpenSSL handles behind the public types, DER encoding of OpenSSL
// objects, and the helpers the facade's files share (errors from OpenSSL's queue, memory
// BIOs, names, times, digests). Not for other modules.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/result.h"
#include "crypto/certificate.h"
#include "crypto/errors.h"
#include "crypto/keys.h"

namespace roadside::crypto::detail {

inline EVP_PKEY* pkey(const PrivateKey& k) {
  return static_cast<EVP_PKEY*>(k.native());
}
inline X509* x509(const Certificate& c) {
  return static_cast<X509*>(c.native());
}

// The DER encoding of `obj` by its i2d_ function (i2d_X509, i2d_OCSP_RESPONSE, ...);
// std::nullopt when OpenSSL cannot encode it.
template <typename T, typename I2d>
std::optional<std::string> der(T* obj, I2d i2d) {
  unsigned char* buf = nullptr;
  const int n = i2d(obj, &buf);
  if (n <= 0 || !buf) return std::nullopt;
  std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
  OPENSSL_free(buf);
  return out;
}

// A certificate's DER encoding; "" when OpenSSL cannot encode it.
std::string x509_der(X509* x);

// Makes Certificates of handles built inside crypto/ (Certificate's constructor is private).
struct CertificateAccess {
  static Certificate adopt(X509* x);  // takes ownership
};

// Issues a certificate by `spec` for the public key `subject_key` (a private key's works too),
// signed by `issuer_key` of `issuer` (self-signed when null). The subject is `subject_name`
// when that is non-null, else the spec's names. (issue_certificate and its overloads.)
Result<Certificate> issue(const CertificateSpec& spec, EVP_PKEY* subject_key, const X509_NAME* subject_name,
                          const Certificate* issuer, const PrivateKey& issuer_key);

// A name's attributes in order, by OpenSSL short name ("" for one it has no name for), or
// with `by_oid` by dotted OID; values as UTF-8 (an attribute whose value cannot be converted
// is left out).
std::vector<std::pair<std::string, std::string>> name_entries(const X509_NAME* name, bool by_oid);

// An error `e` saying `what`, with OpenSSL's reason appended when its error queue holds
// one; the queue is cleared.
Error fail(errc e, std::string what);

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
// A read-only memory BIO over `data`, which must outlive it.
BioPtr mem_bio(std::string_view data);
// An empty memory BIO to write into; bio_string() gives what was written.
BioPtr out_bio();
std::string bio_string(BIO* b);

// An X.509 name as RFC 2253 text ("CN=ss1,O=Roadside").
std::string name_text(const X509_NAME* name);

// system_clock counts nanoseconds in 64 bits (years 1678 to 2262); ASN.1 times reach year
// 9999 (RFC 5280's "no expiry" notAfter is 99991231235959Z), and from_time_t would overflow on
// them. Times past the range are its ends: a CA valid until 9999 is valid for as long as we
// can count.
std::chrono::system_clock::time_point asn1_time(const ASN1_TIME* t);

// The digest of `data` by `md`.
std::string digest(const EVP_MD* md, std::string_view data);

}  // namespace roadside::crypto::detail
