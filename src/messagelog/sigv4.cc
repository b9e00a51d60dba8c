#include "messagelog/sigv4.h"

#include <algorithm>
#include <cctype>

#include "crypto/digest.h"
#include "crypto/encoding.h"

namespace roadside::messagelog {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Leading and trailing blanks off, inner runs of spaces made one (SigV4's "Trimall").
std::string trim_all(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> canonical_headers(const SigV4Request& request) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) headers.emplace_back(lower(name), trim_all(value));
  std::stable_sort(headers.begin(), headers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return headers;
}

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string credential_scope(const SigV4Scope& scope) {
  return scope.date_time.substr(0, 8) + "/" + scope.region + "/" + scope.service + "/aws4_request";
}

}  // namespace

std::string s3_uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string sigv4_signed_headers(const SigV4Request& request) {
  std::string out;
  for (const auto& [name, value] : canonical_headers(request)) {
    if (!out.empty()) out.push_back(';');
    out += name;
  }
  return out;
}

std::string sigv4_canonical_request(const SigV4Request& request) {
  std::string out = request.method + "\n" + request.canonical_uri + "\n" + request.canonical_query + "\n";
  for (const auto& [name, value] : canonical_headers(request)) out += name + ":" + value + "\n";
  out += "\n" + sigv4_signed_headers(request) + "\n" + request.payload_sha256_hex;
  return out;
}

std::string sigv4_string_to_sign(const SigV4Scope& scope, std::string_view canonical_request) {
  return std::string(kAlgorithm) + "\n" + scope.date_time + "\n" + credential_scope(scope) + "\n" +
         crypto::to_hex(crypto::sha256(canonical_request));
}

std::string sigv4_signing_key(std::string_view secret_access_key, const SigV4Scope& scope) {
  const std::string date = crypto::hmac_sha256("AWS4" + std::string(secret_access_key), scope.date_time.substr(0, 8));
  const std::string region = crypto::hmac_sha256(date, scope.region);
  const std::string service = crypto::hmac_sha256(region, scope.service);
  return crypto::hmac_sha256(service, "aws4_request");
}

std::string sigv4_signature(const SigV4Request& request, const SigV4Scope& scope, std::string_view secret_access_key) {
  return crypto::to_hex(crypto::hmac_sha256(sigv4_signing_key(secret_access_key, scope),
                                            sigv4_string_to_sign(scope, sigv4_canonical_request(request))));
}

std::string sigv4_authorization(const SigV4Request& request, const SigV4Scope& scope, std::string_view access_key_id,
                                std::string_view secret_access_key) {
  return std::string(kAlgorithm) + " Credential=" + std::string(access_key_id) + "/" + credential_scope(scope) +
         ",SignedHeaders=" + sigv4_signed_headers(request) +
         ",Signature=" + sigv4_signature(request, scope, secret_access_key);
}

}  // namespace roadside::messagelog
