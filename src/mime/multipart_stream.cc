#include "mime/multipart_stream.h"

#include <algorithm>
#include <deque>
#include <optional>
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

// Transport padding and line ends: what parse_multipart's trim leaves nothing of.
bool blank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

// "--boundary" at the start of a line: the LF before it, and whether a CR precedes that LF.
struct Candidate {
  std::uint64_t lf = 0;
  bool cr = false;
};

// The candidates of a body in order, found a piece of the body at a time as they are asked
// for, keeping only what could be a candidate cut by the end of a piece. (The boundary has no
// CR or LF, so "\n--boundary" cannot overlap itself.)
class Candidates {
 public:
  Candidates(const ReadAt& read, const std::string& dash) : read_(read), pattern_("\n" + dash), piece_(64 * 1024, '\0') {}

  // The next candidate, or none when the body has no more.
  Result<std::optional<Candidate>> next() {
    while (found_.empty() && !ended_) ROADSIDE_TRY_STATUS(scan_piece());
    if (found_.empty()) return std::optional<Candidate>();
    const Candidate c = found_.front();
    found_.pop_front();
    return std::optional<Candidate>(c);
  }

 private:
  Status scan_piece() {
    ROADSIDE_TRY(std::size_t got, read_(pos_, piece_));
    if (got == 0) {
      ended_ = true;
      return {};
    }
    if (got > piece_.size()) return malformed("the body's reader gave more bytes than asked for");
    window_.append(piece_.data(), got);
    pos_ += got;
    std::size_t from = 0;
    for (std::size_t at; (at = window_.find(pattern_, from)) != std::string::npos; from = at + pattern_.size()) {
      const char before = at > 0 ? window_[at - 1] : before_window_;
      found_.push_back({window_start_ + at, before == '\r'});
    }
    const std::size_t keep = std::min(window_.size() - from, pattern_.size() - 1);
    const std::size_t drop = window_.size() - keep;
    if (drop > 0) before_window_ = window_[drop - 1];
    window_start_ += drop;
    window_.erase(0, drop);
    return {};
  }

  const ReadAt& read_;
  const std::string pattern_;
  std::string piece_;
  std::string window_;
  std::uint64_t window_start_ = 0;
  char before_window_ = '\0';
  std::uint64_t pos_ = 0;
  bool ended_ = false;
  std::deque<Candidate> found_;
};

// Where the header block of `text` ends: just past its first empty line (CRLF or LF, or, when
// `text` is the whole part, a last line of a lone CR, as parse_headers reads them), or npos
// when it has none.
std::size_t header_block_end(std::string_view text, bool whole_part) {
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos && !whole_part) return std::string_view::npos;  // a line cut by the block's end
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return eol == std::string_view::npos ? text.size() : eol + 1;
    if (eol == std::string_view::npos) return std::string_view::npos;
    pos = eol + 1;
  }
  return std::string_view::npos;
}

}  // namespace

Result<std::vector<PartRange>> parse_multipart_stream(const ReadAt& read, std::string_view boundary,
                                                      const StreamLimits& limits) {
  if (boundary.empty() || boundary.size() > 200) return malformed("bad multipart boundary");
  if (boundary.find_first_of("\r\n") != std::string_view::npos) return malformed("a multipart boundary with a line break");
  const std::string dash = "--" + std::string(boundary);
  Candidates candidates(read, dash);

  // The first delimiter: at the very start (no line break before it), or the first candidate.
  std::uint64_t delimiter_end = 0;
  {
    std::string head(dash.size(), '\0');
    ROADSIDE_TRY(std::size_t n, read_full(read, 0, head));
    if (n == dash.size() && head == dash) {
      delimiter_end = dash.size();
    } else {
      ROADSIDE_TRY(std::optional<Candidate> first, candidates.next());
      if (!first) return Error(make_error_code(errc::no_parts), "multipart body has no boundary \"" + std::string(boundary) + "\"");
      delimiter_end = first->lf + 1 + dash.size();
    }
  }

  std::vector<PartRange> parts;
  std::string block(limits.max_header_block, '\0');
  std::size_t header_bytes = 0;
  while (true) {
    // What follows a delimiter: "--" (the close delimiter; the epilogue is not read), or
    // transport padding and a line break, then the part's headers.
    ROADSIDE_TRY(std::size_t n, read_full(read, delimiter_end, block));
    const std::string_view text(block.data(), n);
    if (text.substr(0, 2) == "--") {  // the close delimiter
      // (RFC 2046: one body part at least, as parse_multipart has it.)
      if (parts.empty()) return Error(make_error_code(errc::no_parts), "multipart body closes before its first part");
      return parts;
    }
    const std::size_t eol = text.find('\n');
    if (eol == std::string_view::npos) {
      const bool body_ended = n < block.size();
      // A body that ends with a delimiter that is not a close one ends there (as parse_multipart
      // and X-Road's MIME reader take a message cut after its last part).
      if (body_ended && !parts.empty() && blank(text)) return parts;
      return malformed(body_ended ? "multipart body ends inside a delimiter line" : "junk after a multipart boundary");
    }
    if (!blank(text.substr(0, eol))) return malformed("junk after a multipart boundary");
    const std::uint64_t start = delimiter_end + eol + 1;

    // The next delimiter: the first candidate whose line break is in this part.
    std::optional<Candidate> next;
    do {
      ROADSIDE_TRY(next, candidates.next());
    } while (next && next->lf < start);
    if (!next) return malformed("multipart body has no close delimiter");
    if (parts.size() >= limits.max_parts) return malformed("multipart body has more than " + std::to_string(limits.max_parts) + " parts");
    const std::uint64_t part_end = next->cr && next->lf > start ? next->lf - 1 : next->lf;
    const std::uint64_t part_size = part_end - start;

    // The headers end at the first empty line, or with the part (a part of headers alone).
    const std::string_view in_block = text.substr(eol + 1, static_cast<std::size_t>(std::min<std::uint64_t>(part_size, n - eol - 1)));
    std::size_t headers_end = header_block_end(in_block, in_block.size() == part_size);
    if (headers_end == std::string_view::npos) {
      if (in_block.size() < part_size) {
        return malformed("a part's headers are over " + std::to_string(limits.max_header_block) + " bytes or not ended");
      }
      headers_end = in_block.size();
    }
    header_bytes += headers_end;
    if (header_bytes > limits.max_total_headers) {
      return malformed("the parts' headers are over " + std::to_string(limits.max_total_headers) + " bytes in all");
    }
    ROADSIDE_TRY(auto headers, parse_headers(in_block.substr(0, headers_end)));
    parts.push_back({std::move(headers.first), start + headers_end, part_size - headers_end});
    delimiter_end = next->lf + 1 + dash.size();
  }
}

}  // namespace roadside::mime
