#include "crypto/key_wrap.h"

#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include "crypto/openssl.h"

namespace roadside::crypto {

namespace {

constexpr std::size_t kSaltSize = 16;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::size_t kHeaderSize = kWrappedKeyMagic.size() + 1 + 8 + 4 + 4 + kSaltSize + kNonceSize;  // 60

Error bad(errc e, std::string what) {
  ERR_clear_error();
  return Error(make_error_code(e), std::move(what));
}

// A string that is wiped when it goes (plaintext keys).
struct SecretBytes {
  std::string bytes;
  explicit SecretBytes(std::size_t n) : bytes(n, '\0') {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
  unsigned char* data() { return reinterpret_cast<unsigned char*>(bytes.data()); }
};

void put_be(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t get_be(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
  return v;
}

std::string header_bytes(const KdfParams& k, std::string_view salt, std::string_view nonce) {
  std::string h(kWrappedKeyMagic);
  h.push_back(static_cast<char>(k.kdf));
  put_be(h, k.n, 8);
  put_be(h, k.r, 4);
  put_be(h, k.p, 4);
  h += salt;
  h += nonce;
  return h;
}

Status check_params(const KdfParams& k) {
  if (k.kdf != Kdf::scrypt) return bad(errc::bad_key, "wrapped key: unknown KDF");
  if (k.n < 2 || (k.n & (k.n - 1)) != 0 || k.r == 0 || k.p == 0)
    return bad(errc::bad_key, "wrapped key: invalid scrypt parameters");
  // Bounded before multiplying: N <= 2^32, r and p <= 2^16 keep 128*N*r*p from overflowing.
  if (k.n > (std::uint64_t{1} << 32) || k.r > 0xffff || k.p > 0xffff || k.memory_bytes() > kKeyWrapMaxMemory) {
    return bad(errc::bad_key,
               "wrapped key: scrypt parameters ask for more than " + std::to_string(kKeyWrapMaxMemory >> 20) + " MiB");
  }
  if (k.n * k.r * k.p < kKeyWrapMinWork) return bad(errc::bad_key, "wrapped key: scrypt work factor below the floor");
  return {};
}

Status scrypt(std::string_view pin, std::string_view salt, const KdfParams& k, unsigned char* out,
              std::size_t out_len) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_SCRYPT, nullptr),
                                                        &EVP_KDF_free);
  if (!kdf) return bad(errc::unsupported_algorithm, "scrypt is not available in this OpenSSL");
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()), &EVP_KDF_CTX_free);
  if (!ctx) return bad(errc::operation_failed, "cannot create a scrypt context");
  std::uint64_t n = k.n;
  std::uint32_t r = k.r;
  std::uint32_t p = k.p;
  // OpenSSL's own limit is 32 MiB; ours is checked against the header before this.
  std::uint64_t maxmem = kKeyWrapMaxMemory + (std::uint64_t{1} << 20);
  static const char kEmpty[] = "";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(pin.empty() ? kEmpty : pin.data()),
                                        pin.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_KDF_derive(ctx.get(), out, out_len, params) != 1) return bad(errc::operation_failed, "scrypt failed");
  return {};
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// An AES-256-GCM context (`encrypt`, or decrypt) keyed with `key` and `nonce`, with `aad`
// already taken in; null when OpenSSL refuses.
CipherCtx gcm_begin(bool encrypt, const unsigned char* key, std::string_view nonce, const unsigned char* aad,
                    std::size_t aad_len) {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  const int enc = encrypt ? 1 : 0;
  if (!ctx || EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key, reinterpret_cast<const unsigned char*>(nonce.data()), enc) !=
          1 ||
      EVP_CipherUpdate(ctx.get(), nullptr, &len, aad, static_cast<int>(aad_len)) != 1) {
    return CipherCtx(nullptr, &EVP_CIPHER_CTX_free);
  }
  return ctx;
}

}  // namespace

bool is_wrapped_key(std::string_view bytes) {
  return bytes.substr(0, kWrappedKeyMagic.size()) == kWrappedKeyMagic;
}

Result<WrappedKeyHeader> read_wrapped_key_header(std::string_view envelope) {
  if (!is_wrapped_key(envelope)) return bad(errc::bad_key, "not a wrapped key");
  if (envelope.size() < kHeaderSize + kTagSize) return bad(errc::bad_key, "wrapped key: truncated");
  std::size_t at = kWrappedKeyMagic.size();
  WrappedKeyHeader h;
  h.kdf.kdf = static_cast<Kdf>(static_cast<unsigned char>(envelope[at]));
  h.kdf.n = get_be(envelope, at + 1, 8);
  h.kdf.r = static_cast<std::uint32_t>(get_be(envelope, at + 9, 4));
  h.kdf.p = static_cast<std::uint32_t>(get_be(envelope, at + 13, 4));
  at += 17;
  ROADSIDE_TRY_STATUS(check_params(h.kdf));
  h.salt = std::string(envelope.substr(at, kSaltSize));
  h.nonce = std::string(envelope.substr(at + kSaltSize, kNonceSize));
  return h;
}

KeyWrapKey::~KeyWrapKey() {
  OPENSSL_cleanse(key_.data(), key_.size());
}

Result<KeyWrapKey> KeyWrapKey::derive(std::string_view pin, Random& random, const KdfParams& params) {
  ROADSIDE_TRY_STATUS(check_params(params));
  KeyWrapKey k(params, random.bytes(kSaltSize));
  ROADSIDE_TRY_STATUS(scrypt(pin, k.salt_, params, k.key_.data(), k.key_.size()));
  return k;
}

Result<KeyWrapKey> KeyWrapKey::for_envelope(std::string_view envelope, std::string_view pin) {
  ROADSIDE_TRY(WrappedKeyHeader h, read_wrapped_key_header(envelope));
  KeyWrapKey k(h.kdf, std::move(h.salt));
  ROADSIDE_TRY_STATUS(scrypt(pin, k.salt_, k.params_, k.key_.data(), k.key_.size()));
  return k;
}

bool KeyWrapKey::derived_like(std::string_view envelope) const {
  auto h = read_wrapped_key_header(envelope);
  return h.ok() && h->kdf == params_ && h->salt == salt_;
}

Result<std::string> KeyWrapKey::wrap(const PrivateKey& key, Random& random) const {
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, decltype(&PKCS8_PRIV_KEY_INFO_free)> p8(EVP_PKEY2PKCS8(detail::pkey(key)),
                                                                               &PKCS8_PRIV_KEY_INFO_free);
  const int der_len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8.get(), nullptr) : -1;
  if (der_len <= 0) return bad(errc::bad_key, "cannot encode the private key as PKCS#8");
  SecretBytes plain(static_cast<std::size_t>(der_len));
  unsigned char* q = plain.data();
  i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &q);

  const std::string nonce = random.bytes(kNonceSize);
  std::string out = header_bytes(params_, salt_, nonce);
  const std::size_t header_size = out.size();
  out.resize(header_size + plain.bytes.size() + kTagSize);
  auto* ct = reinterpret_cast<unsigned char*>(out.data()) + header_size;

  CipherCtx ctx = gcm_begin(true, key_.data(), nonce, reinterpret_cast<const unsigned char*>(out.data()), header_size);
  int len = 0;
  int fin = 0;
  if (!ctx || EVP_EncryptUpdate(ctx.get(), ct, &len, plain.data(), static_cast<int>(plain.bytes.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize), ct + plain.bytes.size()) != 1) {
    return bad(errc::operation_failed, "cannot seal the private key");
  }
  return out;
}

Result<PrivateKey> KeyWrapKey::unwrap(std::string_view envelope) const {
  ROADSIDE_TRY(WrappedKeyHeader h, read_wrapped_key_header(envelope));
  if (h.kdf != params_ || h.salt != salt_) return bad(errc::wrong_password, "the key was sealed under another salt");
  const std::size_t ct_len = envelope.size() - kHeaderSize - kTagSize;
  const auto* bytes = reinterpret_cast<const unsigned char*>(envelope.data());
  SecretBytes plain(ct_len + 16);
  std::array<unsigned char, kTagSize> tag{};
  std::copy(bytes + kHeaderSize + ct_len, bytes + envelope.size(), tag.begin());

  CipherCtx ctx = gcm_begin(false, key_.data(), h.nonce, bytes, kHeaderSize);
  int len = 0;
  int fin = 0;
  if (!ctx || EVP_DecryptUpdate(ctx.get(), plain.data(), &len, bytes + kHeaderSize, static_cast<int>(ct_len)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize), tag.data()) != 1) {
    return bad(errc::operation_failed, "cannot open the wrapped key");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + len, &fin) != 1) {
    return bad(errc::wrong_password, "the PIN does not open the wrapped key, or the stored key was altered");
  }
  const unsigned char* p = plain.data();
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, decltype(&PKCS8_PRIV_KEY_INFO_free)> p8(
      d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(len) + fin), &PKCS8_PRIV_KEY_INFO_free);
  EVP_PKEY* pkey = p8 ? EVP_PKCS82PKEY(p8.get()) : nullptr;
  if (!pkey) return bad(errc::bad_key, "the wrapped key is not a PKCS#8 private key");
  return PrivateKey::adopt(pkey);
}

Result<std::string> wrap_private_key(const PrivateKey& key, std::string_view pin, Random& random) {
  ROADSIDE_TRY(KeyWrapKey kek, KeyWrapKey::derive(pin, random));
  return kek.wrap(key, random);
}

Result<PrivateKey> unwrap_private_key(std::string_view envelope, std::string_view pin) {
  ROADSIDE_TRY(KeyWrapKey kek, KeyWrapKey::for_envelope(envelope, pin));
  return kek.unwrap(envelope);
}

}  // namespace roadside::crypto
