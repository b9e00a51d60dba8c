// MIME header blocks and multipart bodies (RFC 2045/2046), parsed over bytes in memory
// with exact offsets, so callers can hash or verify the very bytes a part spans.
// Bodies too large for memory are read by multipart_stream.h.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/errc.h"
#include "base/result.h"

namespace roadside::mime {

enum class errc {
  malformed = 1,
  no_parts,  // not one delimiter of the boundary: an empty body, or another boundary
};
const FaultCategory& mime_category() noexcept;
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), mime_category()}; }

struct Header {
  std::string name;
  std::string value;
};

class Headers {
 public:
  std::vector<Header> list;
  // The first value of `name`, compared case-insensitively.
  std::optional<std::string> get(std::string_view name) const;
};

// Reads header lines ("Name: value" CRLF ...) up to an empty line or the end of `text`.
// Returns the headers and the bytes after the empty line (the body; empty if none). Refused
// (errc::malformed): a control byte but tab anywhere in a line (a lone CR, NUL), a name with
// a byte outside printable ASCII, a header over 16 KiB with its folded lines, more than
// `max_headers` headers. So no value read here can end or split a header line written out.
Result<std::pair<Headers, std::string_view>> parse_headers(std::string_view text, std::size_t max_headers = 100);

// "type/subtype; a=b; c=\"d\"" -> type (lower case) and parameters (names lower case).
struct HeaderValue {
  std::string value;
  std::map<std::string, std::string> params;
  static HeaderValue parse(std::string_view text);
};

struct Part {
  Headers headers;
  std::string_view raw;   // headers and body, exactly as between the delimiters
  std::string_view body;  // after the header block
};

// Splits a multipart body at "--boundary" delimiters. Preamble and epilogue are ignored;
// the close delimiter "--boundary--" is required, except that a body that ends right after a
// delimiter line following at least one part ends there (as X-Road's MIME reader takes it).
// At least one part: none at all is errc::no_parts, as a body without the boundary is.
Result<std::vector<Part>> parse_multipart(std::string_view body, std::string_view boundary, std::size_t max_parts = 1000);

}  // namespace roadside::mime

ROADSIDE_ERRC_ENUM(roadside::mime::errc)
