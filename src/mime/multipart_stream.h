// Multipart bodies too large to hold in memory (a transport message with a spooled REST body
// or SOAP attachments, a SOAP request with attachments): the body is read in pieces through a callback, and only the part headers are
// kept. Parts are given as ranges of the body, so the caller can read or hash them later.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "mime/multipart.h"

namespace roadside::mime {

// Reads up to `into.size()` bytes of the body at `offset`; fewer may come back, 0 at its end.
using ReadAt = std::function<Result<std::size_t>(std::uint64_t offset, std::span<char> into)>;

struct PartRange {
  Headers headers;
  std::uint64_t body_offset = 0;  // within the whole body
  std::uint64_t body_size = 0;
};

struct StreamLimits {
  std::size_t max_parts = 1000;
  std::size_t max_header_block = 16 * 1024;  // one part's headers, with their blank line
  std::size_t max_total_headers = 1024 * 1024;  // all parts' header blocks together (what is kept)
};

// Splits a multipart body at "--boundary" delimiters as parse_multipart does, with the same
// parts: a preamble is ignored; lines end in CRLF or LF alone; the close delimiter
// "--boundary--" ends the body (the epilogue after it is not read), or a body that ends right
// after a delimiter line following at least one part ends there. Stricter than
// parse_multipart in two ways: a boundary with CR or LF is refused, and the rest of a
// delimiter line with a part's headers fit in max_header_block, and all header blocks in
// max_total_headers (the headers kept: 1000 parts of 16 KiB would be 16 MiB). Memory stays within the
// limits whatever the body's size; the body is read once, in order, but for each part's
// header block.
// Errors: errc::no_parts for a body without the boundary or one that closes before its first
// part (as parse_multipart); errc::malformed naming what is wrong; a failed read passes its
// error through.
Result<std::vector<PartRange>> parse_multipart_stream(const ReadAt& read, std::string_view boundary,
                                                      const StreamLimits& limits = {});

}  // namespace roadside::mime
