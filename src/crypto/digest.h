// Digests: SHA-1 and SHA-2 by XML-DSig algorithm URI, at once or over data that arrives in
// pieces.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/errors.h"

namespace roadside::crypto {

// XML-DSig / XML-Enc digest algorithm URIs X-Road uses.
inline constexpr std::string_view kSha1Uri = "http://www.w3.org/2000/09/xmldsig#sha1";
inline constexpr std::string_view kSha256Uri = "http://www.w3.org/2001/04/xmlenc#sha256";
inline constexpr std::string_view kSha384Uri = "http://www.w3.org/2001/04/xmldsig-more#sha384";
inline constexpr std::string_view kSha512Uri = "http://www.w3.org/2001/04/xmlenc#sha512";

// The digest of `data` by algorithm URI (SHA-1, SHA-224 (xmldsig-more#sha224: X-Road's anchor
// hash), SHA-256, SHA-384, SHA-512).
Result<std::string> digest(std::string_view algorithm_uri, std::string_view data);

// A digest computed over data that arrives in pieces (a streamed body).
class Hasher {
 public:
  // errc::unsupported_algorithm for a URI digest() does not know.
  static Result<Hasher> create(std::string_view algorithm_uri);
  static Hasher sha256();
  // MD5, for checks that are not about security only: S3's ETag of an object sent in one PUT.
  static Hasher md5();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();

  void update(std::string_view data);
  // The digest of everything given so far; the hasher starts over afterwards.
  std::string finish();

 private:
  explicit Hasher(void* ctx, const void* md);
  void* ctx_ = nullptr;       // EVP_MD_CTX
  const void* md_ = nullptr;  // EVP_MD
};

std::string sha1(std::string_view data);
std::string sha256(std::string_view data);
std::string sha512(std::string_view data);

// HMAC-SHA-256 of `data` under `key` (RFC 2104; AWS Signature Version 4 derives its keys so).
std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace roadside::crypto
