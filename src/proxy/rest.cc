#include "proxy/rest.h"

#include <algorithm>
#include <array>

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

// Splits the part into CRLF-terminated lines; the first two are the start lines.
Result<std::vector<std::string_view>> lines_of(std::string_view part, std::string_view what) {
  if (part.size() > kMaxHeaderPartBytes) return invalid(std::string(what) + " is over " + std::to_string(kMaxHeaderPartBytes) + " bytes");
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < part.size()) {
    const auto end = part.find("\r\n", pos);
    if (end == std::string_view::npos) return invalid(std::string(what) + ": a line does not end with CRLF");
    lines.push_back(part.substr(pos, end - pos));
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
    out.push_back({std::string(lines[i].substr(0, colon)), std::string(lines[i].substr(colon + 1))});
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
  if (h.method.empty() || h.method.find(' ') != std::string::npos) return invalid("the REST request header part has no method");
  if (h.target.empty() || h.target.front() != '/') return invalid("the REST request header part has no path");
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
  if (h.status < 100 || h.status > 599) return invalid("the REST response header part has status " + code);
  h.reason = std::string(lines[1]);
  ROADSIDE_TRY(h.headers, headers_of(lines, "the REST response header part"));
  return h;
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
