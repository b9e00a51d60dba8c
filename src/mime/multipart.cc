#include "mime/multipart.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace roadside::mime {
namespace {

Error malformed(std::string detail) { return Error(make_error_code(errc::malformed), std::move(detail)); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A delimiter: "--boundary" at the start of a line, with the line break before it (CRLF, or
// LF alone as mime4j and Jetty also take), which belongs to the delimiter, not the part.
struct Delimiter {
  std::size_t begin;  // the line break
  std::size_t end;    // just after "--boundary"
};

// The first delimiter whose line break is at or after `from`. One pass over the text: each
// "--boundary" not at a line start is stepped over.
std::optional<Delimiter> next_delimiter(std::string_view body, std::string_view dash, std::size_t from) {
  for (std::size_t at = body.find(dash, from); at != std::string_view::npos; at = body.find(dash, at + 1)) {
    if (at == 0 || body[at - 1] != '\n' || at - 1 < from) continue;
    std::size_t begin = at - 1;
    if (begin > from && body[begin - 1] == '\r') --begin;
    return Delimiter{begin, at + dash.size()};
  }
  return std::nullopt;
}

}  // namespace

const FaultCategory& mime_category() noexcept {
  static const TableCategory<errc> c("mime", {{errc::malformed, "mime_parsing_failed", "malformed MIME"},
                                              {errc::no_parts, "mime_parsing_failed", "no MIME parts"}});
  return c;
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& h : list) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

namespace {

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;  // one header, folded lines joined

// A byte no header may carry: a control byte (a lone CR or NUL would end or split a line in
// another reader) but tab.
bool is_header_control(char c) { return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f; }

std::string to_hex_byte(char c) {
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto b = static_cast<unsigned char>(c);
  return {kDigits[b >> 4], kDigits[b & 15]};
}

bool is_name_byte(char c) { return c > 0x20 && c < 0x7f && c != ':'; }

}  // namespace

Result<std::pair<Headers, std::string_view>> parse_headers(std::string_view text, std::size_t max_headers) {
  Headers headers;
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Lines end in CRLF, or LF alone (as mime4j and Jetty take them).
    const std::size_t eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
    if (line.empty()) return std::pair{std::move(headers), text.substr(pos)};
    if (auto bad = std::find_if(line.begin(), line.end(), is_header_control); bad != line.end()) {
      return malformed("a header line has the control byte 0x" + to_hex_byte(*bad));
    }
    if ((line[0] == ' ' || line[0] == '\t') && !headers.list.empty()) {  // folded continuation
      // Joined with one space, and a blank line adds none: a value is trimmed however it was
      // folded, so it reads the same when written again on one line (found by transport_stream_fuzz).
      auto& value = headers.list.back().value;
      if (const std::string_view more = trim(line); !more.empty())
        value += (value.empty() ? "" : " ") + std::string(more);
      if (value.size() > kMaxHeaderBytes) return malformed("a header is over " + std::to_string(kMaxHeaderBytes) + " bytes");
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return malformed("header line without a name: \"" + std::string(line.substr(0, 80)) + "\"");
    }
    const std::string_view name = trim(line.substr(0, colon));
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_name_byte)) return malformed("a header name has a byte not allowed in one");
    if (line.size() > kMaxHeaderBytes) return malformed("a header is over " + std::to_string(kMaxHeaderBytes) + " bytes");
    if (headers.list.size() >= max_headers) return malformed("more than " + std::to_string(max_headers) + " headers");
    headers.list.push_back({std::string(name), std::string(trim(line.substr(colon + 1)))});
  }
  return std::pair{std::move(headers), std::string_view()};
}

HeaderValue HeaderValue::parse(std::string_view text) {
  HeaderValue out;
  std::size_t semi = text.find(';');
  out.value = lower(trim(text.substr(0, semi)));
  while (semi != std::string_view::npos) {
    text.remove_prefix(semi + 1);
    // Find the end of this parameter, honouring quotes.
    std::size_t end = 0;
    bool quoted = false;
    for (; end < text.size(); ++end) {
      if (text[end] == '"') quoted = !quoted;
      else if (text[end] == ';' && !quoted) break;
    }
    const std::string_view param = trim(text.substr(0, end));
    semi = end < text.size() ? end : std::string_view::npos;
    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view v = trim(param.substr(eq + 1));
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
    out.params[lower(trim(param.substr(0, eq)))] = std::string(v);
  }
  return out;
}

Result<std::vector<Part>> parse_multipart(std::string_view body, std::string_view boundary, std::size_t max_parts) {
  if (boundary.empty() || boundary.size() > 200) return malformed("bad multipart boundary");
  const std::string dash = "--" + std::string(boundary);
  // The first delimiter may start the body (no line break before it).
  std::size_t pos;
  if (body.substr(0, dash.size()) == dash) {
    pos = dash.size();
  } else {
    const auto first = next_delimiter(body, dash, 0);
    if (!first) return Error(make_error_code(errc::no_parts), "multipart body has no boundary \"" + std::string(boundary) + "\"");
    pos = first->end;
  }
  std::vector<Part> parts;
  while (true) {
    if (body.substr(pos, 2) == "--") {  // close delimiter
      // (RFC 2046: a multipart entity has one body part at least.)
      if (parts.empty()) return Error(make_error_code(errc::no_parts), "multipart body closes before its first part");
      return parts;
    }
    // The rest of the delimiter line (transport padding), then its line break.
    const std::size_t eol = body.find('\n', pos);
    if (eol == std::string_view::npos) {
      // The body ends with a delimiter that is not a close one: read as the end, as X-Road's
      // MIME reader (mime4j) reads a message cut after its last part.
      if (!parts.empty() && trim(body.substr(pos)).empty()) return parts;
      return malformed("multipart body ends inside a delimiter line");
    }
    if (!trim(body.substr(pos, eol - pos)).empty()) return malformed("junk after a multipart boundary");
    const std::size_t start = eol + 1;
    const auto next = next_delimiter(body, dash, start);
    if (!next) return malformed("multipart body has no close delimiter");
    if (parts.size() >= max_parts) return malformed("more than " + std::to_string(max_parts) + " parts");
    Part part;
    part.raw = body.substr(start, next->begin - start);
    ROADSIDE_TRY(auto hb, parse_headers(part.raw));
    part.headers = std::move(hb.first);
    part.body = hb.second;
    parts.push_back(std::move(part));
    pos = next->end;
  }
}

}  // namespace roadside::mime
