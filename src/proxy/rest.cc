#include "proxy/rest.h"

#include <algorithm>
#include <array>

#include "base/identifiers.h"
#include "base/utf8.h"
#include "crypto/crypto.h"
#include "proxy/errors.h"

namespace roadside::proxy {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

Error invalid(std::string detail) { return Error(make_error_code(errc::invalid_message), std::move(detail)); }

// Bytes that never appear raw in a request target: they would split or end it downstream.
bool is_forbidden_in_target(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f || c == '#';
}

// RFC 9110 token characters: what a method or a header name is made of.
bool is_token(std::string_view s) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSpecials.find(c) != std::string_view::npos;
  });
}

// A header value or reason phrase: no control character but HTAB (so no CR, LF or NUL that
// would end or split a line downstream).
bool is_field_text(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

// Splits the part into CRLF-terminated lines; the first two are the start lines. A bare CR
// or LF inside a line is refused, never taken as a line end.
Result<std::vector<std::string_view>> lines_of(std::string_view part, std::string_view what) {
  if (part.size() > kMaxHeaderPartBytes) return invalid(std::string(what) + " is over " + std::to_string(kMaxHeaderPartBytes) + " bytes");
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < part.size()) {
    const auto end = part.find("\r\n", pos);
    if (end == std::string_view::npos) return invalid(std::string(what) + ": a line does not end with CRLF");
    const std::string_view line = part.substr(pos, end - pos);
    if (line.find_first_of("\r\n") != std::string_view::npos) return invalid(std::string(what) + ": a bare CR or LF inside a line");
    lines.push_back(line);
    pos = end + 2;
  }
  if (lines.size() < 2) return invalid(std::string(what) + " has no start lines");
  return lines;
}

Result<HeaderList> headers_of(const std::vector<std::string_view>& lines, std::string_view what) {
  HeaderList out;
  for (std::size_t i = 2; i < lines.size(); ++i) {
    const auto colon = lines[i].find(':');
    if (colon == 0 || colon == std::string_view::npos) return invalid(std::string(what) + ": header line without a name");
    const std::string_view name = lines[i].substr(0, colon), value = lines[i].substr(colon + 1);
    if (!is_token(name)) return invalid(std::string(what) + ": a header name with a byte not allowed in it");
    // A longer one does not fit the HTTP head a proxy rebuilds from the part (Beast threw; found
    // by http_head_fuzz).
    if (name.size() > kMaxHeaderFieldBytes || value.size() > kMaxHeaderFieldBytes) {
      return invalid(std::string(what) + ": a header over " + std::to_string(kMaxHeaderFieldBytes) + " bytes");
    }
    if (!is_field_text(value)) return invalid(std::string(what) + ": header " + std::string(name) + " has a control character in its value");
    out.push_back({std::string(name), std::string(value)});
  }
  return out;
}

void append_headers(std::string& out, const HeaderList& headers) {
  for (const auto& h : headers) {
    out += h.name;
    out += ':';
    out += h.value;
    out += "\r\n";
  }
}

}  // namespace

std::optional<std::string> last_header(const HeaderList& headers, std::string_view name) {
  std::optional<std::string> out;
  for (const auto& h : headers) {
    if (iequals(h.name, name)) out = h.value;
  }
  return out;
}

void remove_header(HeaderList& headers, std::string_view name) {
  std::erase_if(headers, [&](const HeaderField& h) { return iequals(h.name, name); });
}

bool is_skipped_header(std::string_view name) {
  static constexpr std::array<std::string_view, 13> kSkipped = {
      "transfer-encoding", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",   "trailer", "upgrade",
      "connection",        "user-agent", "host",               "content-length",      "server", "expect"};
  return std::any_of(kSkipped.begin(), kSkipped.end(), [&](std::string_view s) { return iequals(s, name); });
}

std::string RestRequestHead::serialize() const {
  std::string out = method + "\r\n" + target + "\r\n";
  append_headers(out, headers);
  return out;
}

Result<RestRequestHead> RestRequestHead::parse(std::string_view part) {
  ROADSIDE_TRY(auto lines, lines_of(part, "the REST request header part"));
  RestRequestHead h;
  h.method = std::string(lines[0]);
  h.target = std::string(lines[1]);
  if (!is_token(h.method)) return invalid("the REST request header part has no method");
  if (h.target.empty() || h.target.front() != '/') return invalid("the REST request header part has no path");
  if (std::any_of(h.target.begin(), h.target.end(), is_forbidden_in_target)) {
    return invalid("the REST request header part's path has a space or control character");
  }
  ROADSIDE_TRY(h.headers, headers_of(lines, "the REST request header part"));
  return h;
}

std::string RestResponseHead::serialize() const {
  std::string out = std::to_string(status) + "\r\n" + reason + "\r\n";
  append_headers(out, headers);
  return out;
}

Result<RestResponseHead> RestResponseHead::parse(std::string_view part) {
  ROADSIDE_TRY(auto lines, lines_of(part, "the REST response header part"));
  RestResponseHead h;
  const std::string code(lines[0]);
  if (code.size() != 3 || code.find_first_not_of("0123456789") != std::string::npos) {
    return invalid("the REST response header part has no status code");
  }
  h.status = static_cast<unsigned>(std::stoi(code));
  // 1xx is never a final answer: a service's interim response must not pass as one.
  if (h.status < 200 || h.status > 599) return invalid("the REST response header part has status " + code);
  if (!is_field_text(lines[1])) return invalid("the REST response header part's reason has a control character");
  h.reason = std::string(lines[1]);
  ROADSIDE_TRY(h.headers, headers_of(lines, "the REST response header part"));
  return h;
}

namespace {

Error bad_request(std::string detail) { return Error(make_error_code(errc::bad_request), std::move(detail)); }

}  // namespace

Result<ServicePath> normalize_service_path(std::string_view raw) {
  if (!raw.empty() && raw.front() != '/') return bad_request("the service path must start with /");
  std::vector<std::pair<std::string_view, std::string>> segments;  // as sent, decoded
  bool trailing_slash = false;
  std::size_t i = 0;
  while (i < raw.size()) {
    const std::size_t end = std::min(raw.find('/', i + 1), raw.size());
    const std::string_view segment = raw.substr(i + 1, end - i - 1);
    i = end;
    trailing_slash = i == raw.size() && segment.empty();
    if (segment.empty()) continue;
    for (char c : segment) {
      if (is_forbidden_in_target(c)) return bad_request("the service path has a byte not allowed in a path (0x" + crypto::to_hex(std::string(1, c)) + ")");
    }
    auto decoded = percent_decode(segment);
    if (!decoded.ok()) return bad_request("the service path has a malformed percent escape");
    for (char c : *decoded) {
      if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return bad_request("the service path has an encoded slash or control character in a segment");
      }
    }
    // Not UTF-8 (overlong forms such as "%C0%AE" are dots to some old decoders): rights and
    // services read paths as UTF-8, so every reader must see the same characters.
    if (!is_utf8(*decoded)) return bad_request("the service path has a segment that is not UTF-8 when decoded");
    // An encoded percent sign ("%252e%252e"): a service or a proxy before it that decodes
    // once more would see "..", a path the access check never judged (Spring's firewall
    // refuses it for the same reason).
    if (decoded->find('%') != std::string::npos) return bad_request("the service path has an encoded percent sign (\"%25\")");
    // A dot segment with path parameters ("..;x=1"): Tomcat, Jetty and Spring drop the
    // parameters and then resolve the dots, so the service would get a path above the one
    // the access check saw.
    const std::string_view bare = std::string_view(*decoded).substr(0, decoded->find(';'));
    if ((bare == "." || bare == "..") && bare.size() != decoded->size()) {
      return bad_request("the service path has a dot segment with parameters (\"" + std::string(bare) + ";\"), which services resolve");
    }
    if (*decoded == ".") continue;
    if (*decoded == "..") {
      if (segments.empty()) return bad_request("the service path climbs above the service's base with \"..\"");
      segments.pop_back();
      continue;
    }
    segments.emplace_back(segment, std::move(decoded).value());
  }
  ServicePath out;
  for (const auto& [sent, decoded] : segments) {
    out.forwarded += "/" + std::string(sent);
    out.decoded += "/" + decoded;
  }
  if (trailing_slash && !segments.empty()) {
    out.forwarded += '/';
    out.decoded += '/';
  }
  if (out.forwarded.empty() && !raw.empty()) out.forwarded = out.decoded = "/";
  return out;
}

Status check_query(std::string_view raw_query) {
  for (char c : raw_query) {
    if (is_forbidden_in_target(c)) return bad_request("the query has a byte not allowed in a URL");
  }
  return {};
}

std::vector<std::string> query_params(std::string_view query, std::string_view name) {
  std::vector<std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) out.emplace_back(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string rest_request_hash(std::string_view header_part, std::optional<std::string_view> body) {
  return rest_request_hash_of_digest(header_part, body ? std::optional<std::string>(crypto::sha512(*body)) : std::nullopt);
}

std::string rest_request_hash_of_digest(std::string_view header_part, const std::optional<std::string>& body_sha512) {
  if (!body_sha512) return crypto::base64_encode(crypto::sha512(header_part));
  return crypto::base64_encode(crypto::sha512(crypto::sha512(header_part) + *body_sha512));
}

}  // namespace roadside::proxy
