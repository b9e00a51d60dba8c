#include "crypto/aead.h"

#include <memory>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/errors.h"

namespace roadside::crypto {
namespace {

constexpr std::size_t kNonce = 12;
constexpr std::size_t kTag = 16;

Error bad(errc e, std::string what) {
  ERR_clear_error();
  return Error(make_error_code(e), std::move(what));
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* u(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

CipherCtx begin(bool encrypt, std::string_view key, std::string_view nonce, std::string_view aad) {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  const int enc = encrypt ? 1 : 0;
  if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, u(key), u(nonce), enc) != 1 ||
      (!aad.empty() && EVP_CipherUpdate(ctx.get(), nullptr, &len, u(aad), static_cast<int>(aad.size())) != 1)) {
    return CipherCtx(nullptr, &EVP_CIPHER_CTX_free);
  }
  return ctx;
}

}  // namespace

Result<std::string> aead_seal(std::string_view key, std::string_view plain, std::string_view aad, Random& random) {
  if (key.size() != kAeadKeyBytes) return bad(errc::bad_key, "an AES-256-GCM key has 32 bytes");
  std::string out = random.bytes(kNonce);
  out.resize(kNonce + plain.size() + kTag);
  auto* ct = reinterpret_cast<unsigned char*>(out.data()) + kNonce;
  CipherCtx ctx = begin(true, key, std::string_view(out).substr(0, kNonce), aad);
  int len = 0;
  int fin = 0;
  if (!ctx ||
      (!plain.empty() && EVP_EncryptUpdate(ctx.get(), ct, &len, u(plain), static_cast<int>(plain.size())) != 1) ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag), ct + plain.size()) != 1) {
    return bad(errc::operation_failed, "AES-256-GCM sealing failed");
  }
  return out;
}

Result<std::string> aead_open(std::string_view key, std::string_view sealed, std::string_view aad) {
  if (key.size() != kAeadKeyBytes) return bad(errc::bad_key, "an AES-256-GCM key has 32 bytes");
  if (sealed.size() < kAeadOverhead) return bad(errc::bad_key, "sealed data shorter than its nonce and tag");
  const std::size_t ct_len = sealed.size() - kAeadOverhead;
  std::string plain(ct_len + 16, '\0');
  std::string tag(sealed.substr(kNonce + ct_len));
  CipherCtx ctx = begin(false, key, sealed.substr(0, kNonce), aad);
  int len = 0;
  int fin = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  if (!ctx ||
      (ct_len > 0 &&
       EVP_DecryptUpdate(ctx.get(), out, &len, u(sealed.substr(kNonce)), static_cast<int>(ct_len)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag), tag.data()) != 1) {
    return bad(errc::operation_failed, "AES-256-GCM opening failed");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out + len, &fin) != 1) {
    return bad(errc::wrong_password, "the sealed data does not open with this key (another key, or altered)");
  }
  plain.resize(static_cast<std::size_t>(len) + static_cast<std::size_t>(fin));
  return plain;
}

}  // namespace roadside::crypto
