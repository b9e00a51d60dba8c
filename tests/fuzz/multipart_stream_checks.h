// What the fuzz targets of the transport decoders share about the two multipart parsers.
#pragma once

#include <string>
#include <string_view>

#include "mime/multipart.h"
#include "mime/multipart_stream.h"

namespace roadside::fuzz {

// Whether the streaming parser (mime/multipart_stream.h) may refuse a body with this
// Content-Type that the in-memory parser reads: it is stricter by its limits, refusing a
// boundary with CR or LF, and a delimiter line with a part's headers over max_header_block
// (which a body smaller than that cannot have).
inline bool stream_parser_stricter(std::string_view content_type, std::string_view body) {
  const auto boundary = mime::HeaderValue::parse(content_type).params["boundary"];
  return boundary.find_first_of("\r\n") != std::string::npos || body.size() >= mime::StreamLimits{}.max_header_block;
}

}  // namespace roadside::fuzz
