// AES-256-GCM sealing of data at rest: sealed = nonce (12 random bytes) || ciphertext || tag
// (16 bytes), with optional additional data that must match when opened.
#pragma once

#include <string>
#include <string_view>

#include "base/random.h"
#include "base/result.h"

namespace roadside::crypto {

inline constexpr std::size_t kAeadKeyBytes = 32;
inline constexpr std::size_t kAeadOverhead = 12 + 16;

// errc::bad_key when `key` is not kAeadKeyBytes long.
Result<std::string> aead_seal(std::string_view key, std::string_view plain, std::string_view aad, Random& random);
// errc::wrong_password when the key, the additional data or the sealed bytes do not match
// (GCM cannot tell which); errc::bad_key for a key of the wrong size or a too short input.
Result<std::string> aead_open(std::string_view key, std::string_view sealed, std::string_view aad);

}  // namespace roadside::crypto
