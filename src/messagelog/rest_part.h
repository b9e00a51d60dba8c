// The lines of a REST header part as the proxies serialise it (proxy/rest.h, PR-REST §4.3):
//
//   request part:  VERB CRLF rawPath[?rawQuery] CRLF (Name:Value CRLF)*
//   response part: status CRLF reason CRLF (Name:Value CRLF)*
//
// The message log reads stored parts with it (who signed a container, a metadata-only
// record's headers) without depending on the proxies. Lenient by design: the part was
// verified when it was logged; a line is ended by LF or CRLF, and a header line without a
// colon is skipped, as X-Road's reader would refuse the whole part.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roadside::messagelog {

struct RestPartHeader {
  std::string_view name;
  std::string_view value;
};

struct RestPartLines {
  std::string_view first;   // VERB, or the status code
  std::string_view second;  // the request target, or the reason
  std::vector<RestPartHeader> headers;
};

// The part's lines, views into `part`.
RestPartLines rest_part_lines(std::string_view part);

// The first value of header `name` (case-insensitive), if any.
std::optional<std::string> rest_part_header(std::string_view part, std::string_view name);

// Whether a REST part begins with a status code (a response part) rather than a method.
bool is_rest_response_part(std::string_view part);

}  // namespace roadside::messagelog
