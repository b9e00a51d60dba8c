// What an administrator is shown of a certificate: X-Road's CertificateDetails (the admin
// API's certificate_details), read from the certificate.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "crypto/certificate.h"

namespace roadside::crypto {

struct CertificateFacts {
  std::string issuer_dn, issuer_cn, subject_dn, subject_cn;  // RFC 2253; the CN ("" without one)
  std::chrono::system_clock::time_point not_before, not_after;
  std::string serial;                     // decimal, as X-Road shows it
  int version = 0;                        // 3 for an X.509 v3 certificate
  std::string signature_algorithm;        // OpenSSL's long name: "sha256WithRSAEncryption", "ecdsa-with-SHA256"
  std::string signature;                  // lower-case hex
  std::string public_key_algorithm;       // "RSA" or "EC"
  std::string rsa_modulus;                // lower-case hex (RSA)
  long rsa_exponent = 0;                  // (RSA)
  std::string ec_parameters;              // the curve's name, "prime256v1" (EC)
  std::string ec_point;                   // the public point, lower-case hex (EC)
  std::string hash;                       // X-Road's certificate hash: upper-case hex SHA-256 of the DER
  std::vector<std::string> key_usages;    // X-Road's names: DIGITAL_SIGNATURE, NON_REPUDIATION, ...
  std::string subject_alternative_names;  // "DNS:localhost, IP Address:127.0.0.1", or ""
};

CertificateFacts describe(const Certificate& cert);

}  // namespace roadside::crypto
