// Private keys: generating them (RSA, EC) and their PEM forms. The key's OpenSSL handle stays
// behind PrivateKey; only crypto/ reaches it (crypto/openssl.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/errors.h"

namespace roadside::crypto {

enum class KeyType { rsa2048, rsa3072, rsa4096, ec_p256, ec_p384 };

class PrivateKey {
 public:
  // Takes ownership of an EVP_PKEY* (for crypto/ internals).
  static PrivateKey adopt(void* evp_pkey);
  static Result<PrivateKey> generate(KeyType type);
  // PKCS#8 or traditional PEM, unencrypted.
  static Result<PrivateKey> from_pem(std::string_view pem);
  std::string to_pem() const;                           // PKCS#8 PEM; "" for a key on a token
  std::string public_key_pem() const;                   // SubjectPublicKeyInfo PEM
  std::string public_key_der() const;                   // SubjectPublicKeyInfo DER
  bool is_ec_key() const;                               // an EC key (else RSA)
  void* native() const noexcept { return key_.get(); }  // EVP_PKEY*, for crypto/ internals and testbed/authority.cc

 private:
  explicit PrivateKey(std::shared_ptr<void> key) : key_(std::move(key)) {}
  std::shared_ptr<void> key_;
};

}  // namespace roadside::crypto
