// Private keys at rest: a key sealed under a PIN with a memory-hard KDF and an AEAD, so that a
// copy of the database does not give up a short PIN to a fast offline search (as PKCS#12 files
// with 2,048 iterations of 3DES's KDF do).
//
// The envelope is versioned and describes itself; every field before the ciphertext is
// authenticated as additional data:
//
//   offset  size  field
//        0    15  "roadside-key-v1"
//       15     1  KDF id: 1 = scrypt (RFC 7914)
//       16     8  scrypt N (big-endian)
//       24     4  scrypt r
//       28     4  scrypt p
//       32    16  salt (random)
//       48    12  nonce (random)
//       60     n  AES-256-GCM ciphertext of the key's PKCS#8 DER
//     60+n    16  GCM tag
//
// Deriving the key-encryption key is the slow step (32 MiB of memory and about half a second),
// so KeyWrapKey derives it once and wraps or unwraps any number of keys with it: the
// keys of one token share a salt and differ in their nonces.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/random.h"
#include "base/result.h"
#include "crypto/crypto.h"

namespace roadside::crypto {

enum class Kdf : std::uint8_t { scrypt = 1 };

struct KdfParams {
  Kdf kdf = Kdf::scrypt;
  std::uint64_t n = std::uint64_t{1} << 15;
  std::uint32_t r = 8;
  std::uint32_t p = 4;
  // scrypt's memory: 128 * N * r * p bytes.
  std::uint64_t memory_bytes() const { return 128 * n * r * p; }
  friend bool operator==(const KdfParams&, const KdfParams&) = default;
};

// What wrap uses: N = 2^15, r = 8, p = 4. The work (N * r * p = 2^20) of OWASP's
// N = 2^17, r = 8, p = 1, in a quarter of its 128 MiB: a server streaming large bodies keeps
// its memory bound (Exchange.A100MiBBodyStreamsBothWaysInBoundedMemory) through a login.
inline constexpr KdfParams kKeyWrapKdf{};
// Envelopes below this work factor (N * r * p) or above kKeyWrapMaxMemory are refused.
inline constexpr std::uint64_t kKeyWrapMinWork = std::uint64_t{1} << 20;
inline constexpr std::uint64_t kKeyWrapMaxMemory = std::uint64_t{512} << 20;

inline constexpr std::string_view kWrappedKeyMagic = "roadside-key-v1";

struct WrappedKeyHeader {
  KdfParams kdf;
  std::string salt;   // 16 bytes
  std::string nonce;  // 12 bytes
};

// Whether `bytes` start like an envelope (without checking anything else).
bool is_wrapped_key(std::string_view bytes);
// The envelope's header. errc::bad_key when it is not an envelope, names an unknown KDF, or
// asks for a work factor outside [kKeyWrapMinWork, kKeyWrapMaxMemory].
Result<WrappedKeyHeader> read_wrapped_key_header(std::string_view envelope);

// A key-encryption key derived from a PIN. The key material is wiped when it goes.
class KeyWrapKey {
 public:
  // With a fresh random salt and kKeyWrapKdf (or `params`, for tests of the format).
  static Result<KeyWrapKey> derive(std::string_view pin, Random& random, const KdfParams& params = kKeyWrapKdf);
  // The key an existing envelope was sealed with, derived from `pin` by the envelope's header.
  static Result<KeyWrapKey> for_envelope(std::string_view envelope, std::string_view pin);

  KeyWrapKey(const KeyWrapKey&) = default;
  KeyWrapKey& operator=(const KeyWrapKey&) = default;
  ~KeyWrapKey();

  // Whether `envelope` was sealed with this key's KDF parameters and salt (so unwrap can try it
  // without deriving again).
  bool derived_like(std::string_view envelope) const;
  // Seals `key` (its PKCS#8 DER) with a fresh random nonce.
  Result<std::string> wrap(const PrivateKey& key, Random& random) const;
  // errc::wrong_password when the tag does not verify: the PIN is wrong or a byte of the
  // envelope was changed (GCM cannot tell which). errc::bad_key for a malformed envelope.
  Result<PrivateKey> unwrap(std::string_view envelope) const;

  const KdfParams& params() const { return params_; }

 private:
  KeyWrapKey(KdfParams params, std::string salt) : params_(params), salt_(std::move(salt)) {}
  KdfParams params_;
  std::string salt_;
  std::array<unsigned char, 32> key_{};
};

// One key, deriving for it alone (tests, tools).
Result<std::string> wrap_private_key(const PrivateKey& key, std::string_view pin, Random& random = Random::system());
Result<PrivateKey> unwrap_private_key(std::string_view envelope, std::string_view pin);

}  // namespace roadside::crypto
