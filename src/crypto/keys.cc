#include "crypto/keys.h"

#include <memory>
#include <string>
#include <string_view>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/external_key.h"
#include "crypto/openssl.h"

namespace roadside::crypto {
namespace {

using detail::bio_string;
using detail::fail;
using detail::mem_bio;
using detail::out_bio;
using detail::pkey;

std::shared_ptr<void> own_key(EVP_PKEY* k) {
  return std::shared_ptr<void>(k, [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
}

}  // namespace

Result<PrivateKey> PrivateKey::generate(KeyType type) {
  EVP_PKEY* k = nullptr;
  switch (type) {
    case KeyType::rsa2048:
      k = EVP_RSA_gen(2048);
      break;
    case KeyType::rsa3072:
      k = EVP_RSA_gen(3072);
      break;
    case KeyType::rsa4096:
      k = EVP_RSA_gen(4096);
      break;
    case KeyType::ec_p256:
      k = EVP_EC_gen("P-256");
      break;
    case KeyType::ec_p384:
      k = EVP_EC_gen("P-384");
      break;
  }
  if (!k) return fail(errc::operation_failed, "key generation failed");
  return PrivateKey(own_key(k));
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  auto b = mem_bio(pem);
  EVP_PKEY* k = PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr);
  if (!k) return fail(errc::bad_key, "cannot read private key PEM");
  return PrivateKey(own_key(k));
}

std::string PrivateKey::to_pem() const {
  if (is_external(*this)) return {};  // its private half is on its token
  auto b = out_bio();
  PEM_write_bio_PKCS8PrivateKey(b.get(), pkey(*this), nullptr, nullptr, 0, nullptr, nullptr);
  return bio_string(b.get());
}

bool PrivateKey::is_ec_key() const { return EVP_PKEY_get_base_id(static_cast<EVP_PKEY*>(key_.get())) == EVP_PKEY_EC; }

std::string PrivateKey::public_key_pem() const {
  auto b = out_bio();
  PEM_write_bio_PUBKEY(b.get(), pkey(*this));
  return bio_string(b.get());
}

std::string PrivateKey::public_key_der() const {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(pkey(*this), &der);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

PrivateKey PrivateKey::adopt(void* evp_pkey) {
  return PrivateKey(std::shared_ptr<void>(evp_pkey, [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); }));
}

}  // namespace roadside::crypto
