// Password hashes: what a password is kept as (PBKDF2-HMAC-SHA256), and checking a password
// against it.
#pragma once

#include <string>
#include <string_view>

namespace roadside::crypto {

// A password kept for checking later: "pbkdf2-sha256$<iterations>$<salt>$<hash>" (base64),
// PBKDF2-HMAC-SHA256 with 600000 iterations and a random 16-byte salt.
std::string hash_password(std::string_view password);
// Whether `password` matches a hash_password() result (false for anything malformed).
bool verify_password(std::string_view password, std::string_view hash);

// Whether two secrets (hashes, tokens) are equal, in a time that tells nothing of where they
// differ: it depends on their length only (OpenSSL's CRYPTO_memcmp).
bool equal_secrets(std::string_view a, std::string_view b);

}  // namespace roadside::crypto
