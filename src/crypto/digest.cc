#include "crypto/digest.h"

#include <string>
#include <string_view>
#include <utility>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/openssl.h"

namespace roadside::crypto {
namespace {

using detail::digest;

const EVP_MD* digest_for(std::string_view uri) {
  if (uri == kSha512Uri) return EVP_sha512();
  if (uri == kSha256Uri) return EVP_sha256();
  if (uri == kSha384Uri) return EVP_sha384();
  if (uri == kSha1Uri) return EVP_sha1();
  if (uri == "http://www.w3.org/2001/04/xmldsig-more#sha224") return EVP_sha224();
  return nullptr;
}

}  // namespace

Result<std::string> digest(std::string_view algorithm_uri, std::string_view data) {
  const EVP_MD* md = digest_for(algorithm_uri);
  if (!md)
    return Error(make_error_code(errc::unsupported_algorithm),
                 "unsupported digest algorithm " + std::string(algorithm_uri));
  return digest(md, data);
}

Hasher::Hasher(void* ctx, const void* md) : ctx_(ctx), md_(md) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), static_cast<const EVP_MD*>(md_), nullptr);
}
Hasher::Hasher(Hasher&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)), md_(o.md_) {}
Hasher& Hasher::operator=(Hasher&& o) noexcept {
  if (this != &o) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
    ctx_ = std::exchange(o.ctx_, nullptr);
    md_ = o.md_;
  }
  return *this;
}
Hasher::~Hasher() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

Result<Hasher> Hasher::create(std::string_view algorithm_uri) {
  const EVP_MD* md = digest_for(algorithm_uri);
  if (!md)
    return Error(make_error_code(errc::unsupported_algorithm),
                 "unsupported digest algorithm " + std::string(algorithm_uri));
  return Hasher(EVP_MD_CTX_new(), md);
}

Hasher Hasher::sha256() {
  return Hasher(EVP_MD_CTX_new(), EVP_sha256());
}

Hasher Hasher::md5() {
  return Hasher(EVP_MD_CTX_new(), EVP_md5());
}

void Hasher::update(std::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

std::string Hasher::finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  EVP_DigestFinal_ex(ctx, out, &len);
  EVP_DigestInit_ex(ctx, static_cast<const EVP_MD*>(md_), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha1(std::string_view data) {
  return digest(EVP_sha1(), data);
}
std::string sha256(std::string_view data) {
  return digest(EVP_sha256(), data);
}
std::string sha512(std::string_view data) {
  return digest(EVP_sha512(), data);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace roadside::crypto
