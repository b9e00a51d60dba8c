// The REST message protocol's pieces that travel between Security Servers
// (xroad-protocols.md §2, §3.5): the serialized request and response header parts, the
// headers X-Road never forwards, and the request hash.
//
//   request part:  VERB CRLF rawPath[?rawQuery] CRLF (Name:Value CRLF)*
//   response part: status CRLF reason CRLF (Name:Value CRLF)*
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace roadside::proxy {

struct HeaderField {
  std::string name;
  std::string value;
};
using HeaderList = std::vector<HeaderField>;

// The last value of `name` (case-insensitive), as X-Road reads repeated X-Road-* headers.
std::optional<std::string> last_header(const HeaderList& headers, std::string_view name);
// Removes every header called `name` (case-insensitive).
void remove_header(HeaderList& headers, std::string_view name);
// Hop-by-hop and connection headers X-Road drops in both directions (RestMessage.SKIPPED_HEADERS).
bool is_skipped_header(std::string_view name);

inline constexpr std::size_t kMaxHeaderPartBytes = 256 * 1024;
// The longest header name or value a part may carry: what a field of an HTTP head holds
// (Boost.Beast keeps each in at most 65535 bytes, two of them its own), so that the head a
// proxy rebuilds from a part (for the service, for the information system) can hold it.
inline constexpr std::size_t kMaxHeaderFieldBytes = 65'533;

struct RestRequestHead {
  std::string method;
  std::string target;  // "/r1/INSTANCE/CLASS/MEMBER/SUB/SERVICE[/path][?query]" as the IS sent it
  HeaderList headers;

  std::string serialize() const;
  // errc::invalid_message when the part is not a request header part (a header name or value
  // over kMaxHeaderFieldBytes included).
  static Result<RestRequestHead> parse(std::string_view part);
};

struct RestResponseHead {
  unsigned status = 200;
  std::string reason;
  HeaderList headers;

  std::string serialize() const;
  static Result<RestResponseHead> parse(std::string_view part);
};

// A REST service's path as the access check sees it and as the service receives it: the
// same path, so a right for GET /public/** never reaches /admin.
struct ServicePath {
  std::string forwarded;  // "/a/b" still percent-encoded as sent; dot and empty segments resolved
  std::string decoded;    // the same segments percent-decoded, for access rights
};
// Normalises the path after the service code ("" or "/..."). A trailing slash is kept.
// errc::bad_request when a byte is not allowed in a path (space, control, '#'), an escape is
// malformed, a segment decodes to '/', '\\' or a control character (an encoded slash), a
// segment is "." or ".." with parameters ("..;x", which Java services resolve as ".."), or a
// ".." would climb above the service's base.
Result<ServicePath> normalize_service_path(std::string_view raw_path);
// errc::bad_request when a query has a byte not allowed in a URL (space, control, '#').
Status check_query(std::string_view raw_query);

// The raw (still percent-encoded) values of query parameter `name` in `query` (the text after
// "?"), in order.
std::vector<std::string> query_params(std::string_view query, std::string_view name);

// X-Road-Request-Hash: base64 SHA-512(SHA-512(header part) || SHA-512(body)) with a body,
// base64 SHA-512(header part) without one.
std::string rest_request_hash(std::string_view header_part, std::optional<std::string_view> body);
// The same from the body's SHA-512 digest (a streamed body).
std::string rest_request_hash_of_digest(std::string_view header_part, const std::optional<std::string>& body_sha512);

}  // namespace roadside::proxy
