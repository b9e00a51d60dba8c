// AWS Signature Version 4, as S3 and the servers compatible with it check a request: pure
// functions over the parts of a request, proven against AWS's published examples
// (sigv4_test.cc). The archive transfer (s3_transfer.h) signs its requests with them.
//
//   canonical request = METHOD \n URI \n QUERY \n name:value\n... \n signed;names \n payload hash
//   string to sign    = AWS4-HMAC-SHA256 \n date-time \n date/region/service/aws4_request \n hex(SHA-256(canonical
//   request)) signing key       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
//   signature         = hex(HMAC(signing key, string to sign))
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roadside::messagelog {

struct SigV4Request {
  std::string method;           // "PUT"
  std::string canonical_uri;    // the path, each segment URI-encoded (s3_uri_encode): "/bucket/test%24file.text"
  std::string canonical_query;  // name=value pairs encoded and sorted, joined by '&'; "" for none
  // Every header to sign, Host and x-amz-date among them; names in any case, values as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256_hex;  // lower-case hex of the body's SHA-256 (x-amz-content-sha256)
};

struct SigV4Scope {
  std::string date_time;  // the request's x-amz-date, ISO 8601 basic: "20130524T000000Z"
  std::string region;     // "us-east-1"
  std::string service;    // "s3"
};

// S3's URI encoding: every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex), and '/' too
// unless `keep_slash`.
std::string s3_uri_encode(std::string_view text, bool keep_slash);

// The canonical request: header names lower-cased and sorted, values trimmed with inner runs
// of spaces made one.
std::string sigv4_canonical_request(const SigV4Request& request);
// "host;x-amz-content-sha256;x-amz-date": the names the canonical request signs.
std::string sigv4_signed_headers(const SigV4Request& request);
std::string sigv4_string_to_sign(const SigV4Scope& scope, std::string_view canonical_request);
// The signing key (32 raw bytes) for the scope's date (its first 8 characters), region and service.
std::string sigv4_signing_key(std::string_view secret_access_key, const SigV4Scope& scope);
// The hex signature of `request`.
std::string sigv4_signature(const SigV4Request& request, const SigV4Scope& scope, std::string_view secret_access_key);
// The Authorization header's value:
// "AWS4-HMAC-SHA256 Credential=<id>/<scope>,SignedHeaders=<names>,Signature=<hex>" (S3's documented form).
std::string sigv4_authorization(const SigV4Request& request, const SigV4Scope& scope, std::string_view access_key_id,
                                std::string_view secret_access_key);

}  // namespace roadside::messagelog
