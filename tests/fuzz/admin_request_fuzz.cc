// Fuzz target: what the admin API reads of a request before a handler runs -- the query string,
// the Authorization and Cookie headers, the console's file a path names, the path matched
// against X-Road's templates with its parameters decoded, and the CLI's request line
// (admin/local_calls.h). Input: the request target, a newline, the header (read as both),
// a newline, a local request line. Beyond not crashing:
//   - a query that parses has at most kMaxQueryParameters names, no NUL anywhere;
//   - credentials are a suffix of the header;
//   - a cookie's value lies inside the header and holds cookie-octets only;
//   - a path finds a console file only at "/" or under "/console/";
//   - a matched template's parameters hold no NUL and no '/', and match the template again
//     when encoded as the API's clients encode them;
//   - a local request line that decodes has a path from "/", and encodes and decodes to itself.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "admin/api.h"
#include "admin/http_front.h"
#include "admin/local_calls.h"
#include "admin/sessions.h"
#include "console/assets.h"
#include "fuzz_checks.h"

namespace {

using roadside::fuzz::check;
using namespace roadside::admin;

const Api& routes() {
  static const Api api = [] {
    Api a;
    const Handler none = [](Request&) -> boost::asio::awaitable<HandlerResult> { co_return Response{}; };
    for (const char* path : {"/tokens/{id}/keys", "/keys/{id}/csrs/{csr_id}", "/clients/{id}", "/clients/{id}/register",
                             "/token-certificates/{hash}/activate", "/api-keys/{id}", "/system/version"}) {
      a.add({Verb::get, path, "view_keys", none});
    }
    return a;
  }();
  return api;
}

std::string encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void check_target(std::string_view target) {
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  if (question != std::string_view::npos) {
    if (auto query = parse_query(target.substr(question + 1))) {
      check(query->size() <= kMaxQueryParameters);
      for (const auto& [name, value] : *query) {
        check(!name.empty() && name.find('\0') == std::string::npos && value.find('\0') == std::string::npos);
      }
    }
  }
  std::map<std::string, std::string> params;
  const Route* route = routes().match(Verb::get, path, &params);
  if (!route) return;
  std::string again = route->path;
  for (const auto& [name, value] : params) {
    check(value.find('\0') == std::string::npos && value.find('/') == std::string::npos);
    const auto at = again.find("{" + name + "}");
    check(at != std::string::npos);
    again.replace(at, name.size() + 2, encoded(value));
  }
  std::map<std::string, std::string> params_again;
  check(routes().match(Verb::get, again, &params_again) == route && params_again == params);
}

void check_cookies(std::string_view header) {
  for (const std::string_view name : {kSessionCookie, kXsrfCookie}) {
    const auto value = cookie_value(header, name);
    if (!value || value->empty()) continue;
    check(value->data() >= header.data() && value->data() + value->size() <= header.data() + header.size());
    for (const char c : *value) {
      const auto u = static_cast<unsigned char>(c);
      check(u > 0x20 && u < 0x7f && c != '"' && c != ',' && c != ';' && c != '\\');
    }
  }
}

void check_asset(std::string_view path) {
  if (!roadside::console::find_asset(path)) return;
  check(path == "/" || path.starts_with("/console"));
  check(path.find("..") == std::string_view::npos && path.find('\0') == std::string_view::npos);
}

void check_local(std::string_view line) {
  auto request = decode_request(line, Caller{});
  if (!request.ok()) return;
  check(!request->path.empty() && request->path.front() == '/');
  LocalRequest local{request->method, request->path, request->query, request->content_type, request->body};
  auto again = decode_request(encode_request(local), Caller{});
  check(again.ok() && again->path == request->path && again->query == request->query && again->body == request->body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto first = input.find('\n');
  check_target(input.substr(0, first));
  check_asset(input.substr(0, first));
  if (first == std::string_view::npos) return 0;
  const std::string_view rest = input.substr(first + 1);
  const auto second = rest.find('\n');
  const std::string_view header = rest.substr(0, second);
  for (const std::string_view scheme : {"Basic", "X-Road-ApiKey"}) {
    const std::string_view creds = credentials(header, scheme);
    check(creds.empty() || header.ends_with(creds));
  }
  check_cookies(header);
  if (second != std::string_view::npos) check_local(rest.substr(second + 1));
  return 0;
}
