#include "crypto/password.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/encoding.h"

namespace roadside::crypto {
namespace {

std::optional<std::string> pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations) {
  std::string out(32, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                        EVP_sha256(), static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string hash_password(std::string_view password) {
  constexpr int kIterations = 600'000;
  std::string salt(16, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size()));
  const auto hash = pbkdf2_sha256(password, salt, kIterations).value_or("");
  return "pbkdf2-sha256$" + std::to_string(kIterations) + "$" + base64_encode(salt) + "$" + base64_encode(hash);
}

bool verify_password(std::string_view password, std::string_view hash) {
  std::vector<std::string_view> fields;
  for (std::size_t start = 0;;) {
    const std::size_t end = hash.find('$', start);
    fields.push_back(hash.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (fields.size() != 4 || fields[0] != "pbkdf2-sha256" || fields[1].empty() || fields[1].size() > 9 ||
      fields[1].find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  const int iterations = std::stoi(std::string(fields[1]));
  auto salt = base64_decode(fields[2]);
  auto expected = base64_decode(fields[3]);
  if (iterations < 1 || !salt.ok() || !expected.ok() || expected->size() != 32) return false;
  const auto actual = pbkdf2_sha256(password, *salt, iterations);
  return actual && equal_secrets(*actual, *expected);
}

bool equal_secrets(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace roadside::crypto
