// Private keys that never leave their device (a PKCS#11 token): a PrivateKey whose public half
// is known and whose private operations are asked of `KeyOperations`, so that everything that
// signs with a PrivateKey (XML signatures, CSRs, OCSP-less TLS between Security Servers) signs
// with the device's key unchanged. Private-key decryption is refused (X-Road's TLS agrees keys
// by ECDHE and never decrypts with the authentication key).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/keys.h"

namespace roadside::crypto {

// The private-key operations of a key kept elsewhere. Called from whatever thread signs; an
// implementation is thread-safe. An error's message is what the signer's caller sees.
class KeyOperations {
 public:
  virtual ~KeyOperations() = default;
  // RSA: the PKCS#1 v1.5 signature of an encoded DigestInfo (PKCS#11's CKM_RSA_PKCS).
  virtual Result<std::string> rsa_pkcs1(std::string_view digest_info) const = 0;
  // RSA: the raw private operation on a block as long as the modulus, already padded (for
  // PSS; PKCS#11's CKM_RSA_X_509).
  virtual Result<std::string> rsa_raw(std::string_view block) const = 0;
  // EC: the ECDSA signature of a digest as r || s, each as long as the curve order
  // (PKCS#11's CKM_ECDSA).
  virtual Result<std::string> ecdsa(std::string_view digest) const = 0;
};

// A PrivateKey of the RSA or EC public key `spki_der` (SubjectPublicKeyInfo) whose private
// operations go to `operations`. errc::bad_key for a public key that is neither RSA nor EC.
// The key cannot be written out: to_pem() of it is empty.
Result<PrivateKey> external_private_key(std::string_view spki_der, std::shared_ptr<const KeyOperations> operations);

// Whether `key` is such a key.
bool is_external(const PrivateKey& key);

// The SubjectPublicKeyInfo DER of a public key as a device describes it: an RSA key's modulus
// and public exponent (big-endian), or an EC key's parameters (the DER OID of a named curve)
// and point (uncompressed, bare or in a DER OCTET STRING, as PKCS#11's CKA_EC_POINT holds it).
// errc::bad_key for anything else.
Result<std::string> rsa_public_key_der(std::string_view modulus, std::string_view exponent);
Result<std::string> ec_public_key_der(std::string_view ec_params_der, std::string_view ec_point);

}  // namespace roadside::crypto
