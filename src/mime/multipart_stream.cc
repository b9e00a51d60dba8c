#include "mime/multipart_stream.h"

#include <algorithm>
#include <string>

namespace roadside::mime {
namespace {

Error malformed(std::string detail) {
  return Error(make_error_code(errc::malformed), std::move(detail));
}

// Fills `into` from `offset` unless the body ends first; how many bytes were read.
Result<std::size_t> read_full(const ReadAt& read, std::uint64_t offset, std::span<char> into) {
  std::size_t done = 0;
  while (done < into.size()) {
    ROADSIDE_TRY(std::size_t n, read(offset + done, into.subspan(done)));
    if (n == 0) break;
    if (n > into.size() - done) return malformed("the body's reader gave more bytes than asked for");
    done += n;
  }
  return done;
}

// Where each delimiter starts and ends, "--boundary" at offset 0 included; a piece of the
// body at a time, keeping only what could be a delimiter cut by the end of a piece.
struct Delimiters {
  std::vector<std::uint64_t> starts;
  std::vector<std::uint64_t> ends;
};

Result<Delimiters> find_delimiters(const ReadAt& read, const std::string& dash, std::size_t max_parts) {
  const std::string delimiter = "\r\n" + dash;
  Delimiters found;
  std::string head(dash.size(), '\0');
  ROADSIDE_TRY(std::size_t n, read_full(read, 0, head));
  if (n == dash.size() && head == dash) {
    found.starts.push_back(0);
    found.ends.push_back(dash.size());
  }
  std::string window;
  std::uint64_t window_start = 0;
  std::string piece(64 * 1024, '\0');
  for (std::uint64_t pos = 0;;) {
    ROADSIDE_TRY(std::size_t got, read(pos, piece));
    if (got == 0) return found;
    if (got > piece.size()) return malformed("the body's reader gave more bytes than asked for");
    window.append(piece.data(), got);
    pos += got;
    std::size_t from = 0;
    for (std::size_t at; (at = window.find(delimiter, from)) != std::string::npos; from = at + delimiter.size()) {
      found.starts.push_back(window_start + at);
      found.ends.push_back(window_start + at + delimiter.size());
      if (found.starts.size() > max_parts + 1)
        return malformed("multipart body has more than " + std::to_string(max_parts) + " parts");
    }
    const std::size_t keep = std::min(window.size() - from, delimiter.size() - 1);
    window_start += window.size() - keep;
    window.erase(0, window.size() - keep);
  }
}

}  // namespace

Result<std::vector<PartRange>> parse_multipart_stream(const ReadAt& read, std::string_view boundary,
                                                      const StreamLimits& limits) {
  if (boundary.empty() || boundary.size() > 200) return malformed("bad multipart boundary");
  const std::string dash = "--" + std::string(boundary);
  ROADSIDE_TRY(Delimiters d, find_delimiters(read, dash, limits.max_parts));
  if (d.starts.empty()) return Error(make_error_code(errc::no_parts), "multipart body has no boundary \"" + std::string(boundary) + "\"");

  std::vector<PartRange> parts;
  std::string block(limits.max_header_block, '\0');
  for (std::size_t i = 0;; ++i) {
    if (i + 1 == d.starts.size()) {
      // The last delimiter must be the close delimiter.
      char close[2];
      ROADSIDE_TRY(std::size_t n, read_full(read, d.ends[i], close));
      if (n == 2 && std::string_view(close, 2) == "--") return parts;
      return malformed("multipart body has no close delimiter");
    }
    // Delimiters overlap only when the boundary holds CR or LF, which RFC 2046 forbids.
    if (d.starts[i + 1] < d.ends[i]) return malformed("multipart delimiters overlap");
    const std::uint64_t span = d.starts[i + 1] - d.ends[i];
    ROADSIDE_TRY(std::size_t n,
                 read_full(read, d.ends[i], std::span(block).first(std::min<std::uint64_t>(block.size(), span))));
    const std::string_view text(block.data(), n);
    if (text.substr(0, 2) == "--") return malformed("multipart body has content after its close delimiter");
    // The rest of the delimiter line (transport padding), then CRLF.
    const std::size_t eol = text.find("\r\n");
    if (eol == std::string_view::npos || text.substr(0, eol).find_first_not_of(" \t") != std::string_view::npos) {
      return malformed("junk after a multipart boundary");
    }
    const bool no_headers = text.substr(eol + 2, 2) == "\r\n";
    const std::size_t blank = text.find("\r\n\r\n", eol);
    const std::size_t body_start = no_headers ? eol + 4 : (blank == std::string_view::npos ? blank : blank + 4);
    if (body_start == std::string_view::npos) {
      return malformed("a part's headers are over " + std::to_string(limits.max_header_block) + " bytes or not ended");
    }
    ROADSIDE_TRY(auto headers, parse_headers(text.substr(eol + 2, body_start - eol - 2)));
    parts.push_back({std::move(headers.first), d.ends[i] + body_start, span - body_start});
  }
}

}  // namespace roadside::mime
