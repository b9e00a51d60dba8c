// PKCS#12 files: a private key with its certificates under a password, as X-Road's software
// token keeps its keys.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/certificate.h"
#include "crypto/errors.h"
#include "crypto/keys.h"

namespace roadside::crypto {

// A PKCS#12 file's private key and certificates (X-Road software-token key files; the
// password is the token PIN). errc::wrong_password when the file's MAC does not verify under
// `password`; errc::bad_key when the file is not PKCS#12, cannot be opened or holds no key.
struct Pkcs12Contents {
  PrivateKey key;
  std::vector<Certificate> certificates;  // the key's certificate first, when present
};
Result<Pkcs12Contents> load_pkcs12(std::string_view der, const std::string& password);
// A PKCS#12 file (DER) holding `key` and `cert` under `password`, as a software token keeps a key.
Result<std::string> write_pkcs12(const PrivateKey& key, const Certificate& cert, const std::string& password,
                                 const std::string& friendly_name);

}  // namespace roadside::crypto
