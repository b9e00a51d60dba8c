// Multipart bodies too large to hold in memory (a spooled REST body inside a transport
// message): the body is read in pieces through a callback, and only the part headers are
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
};

// Splits a multipart body at "--boundary" delimiters as parse_multipart does: a preamble is
// ignored, the close delimiter "--boundary--" is required, and nothing but an epilogue
// without delimiters may follow it. Stricter than parse_multipart in three ways: padding
// after a delimiter is spaces and tabs only, a part with headers ends them with a blank
// line, and a part's headers fit in max_header_block. Memory stays within the limits
// whatever the body's size.
// Errors: errc::malformed naming what is wrong; a failed read passes its error through.
Result<std::vector<PartRange>> parse_multipart_stream(const ReadAt& read, std::string_view boundary,
                                                      const StreamLimits& limits = {});

}  // namespace roadside::mime
