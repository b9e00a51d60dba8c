// Internal to crypto/: the OpenSSL handles behind the public types, and DER encoding of
// OpenSSL objects. Not for other modules.
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <optional>
#include <string>

#include "crypto/crypto.h"

namespace roadside::crypto::detail {

inline EVP_PKEY* pkey(const PrivateKey& k) { return static_cast<EVP_PKEY*>(k.native()); }
inline X509* x509(const Certificate& c) { return static_cast<X509*>(c.native()); }

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

}  // namespace roadside::crypto::detail
