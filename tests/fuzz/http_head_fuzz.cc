// Fuzz target: HTTP heads as the proxies read them with Boost.Beast (an information system's
// request at the client proxy, under net::ServerLimits; a service's response at the server
// proxy, under net::ClientOptions), and the heads they rebuild from REST header parts. The
// input is read as all three: an HTTP request head, an HTTP response head and a header part
// from a peer. A REST message's head crosses four times (client_proxy.cc rest_request and
// rest_reply, server_proxy.cc call_rest_service and rest_response, which build the heads with
// rest_heads.h's functions, called here too):
//   IS request head -> request header part -> service request head
//   service response head -> response header part -> IS response head
// Beyond not crashing (an exception thrown is a crash here, as it is a 500 in the proxies):
//   - a request head the client proxy takes (its target names a service, with a path and a
//     query it accepts) makes a header part that parses back to the same method, target and
//     headers, so the provider's server reads what was signed;
//   - a service response the server proxy takes makes a response part that parses back the
//     same, so the client's server reads what was signed;
//   - every part that parses (from a peer: up to rest.h's kMaxHeaderPartBytes) rebuilds into
//     an HTTP head that Beast writes and reads back with the same status, reason and headers
//     (values without the surrounding blanks HTTP drops, each name's values in order),
//     hop-by-hop headers left out.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>

#include "base/identifiers.h"
#include "base/text.h"
#include "fuzz_checks.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "proxy/rest.h"
#include "proxy/rest_heads.h"

namespace {

namespace http = boost::beast::http;
using namespace roadside::proxy;
using roadside::fuzz::check;

constexpr std::string_view kTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
// The X-Road headers the server proxy puts last on a response part (rest_response).
constexpr std::string_view kResponseXRoadHeaders[] = {"x-road-id", "x-road-client", "x-road-service",
                                                      "x-road-request-id", "x-road-request-hash"};

// Reads the head at the start of `bytes` as a connection does (async_read_header): the parser
// stops at the end of the head. False when there is no whole head or it is refused.
template <bool isRequest>
bool read_head(std::string_view bytes, http::parser<isRequest, http::buffer_body>& parser, std::uint32_t header_limit,
               std::uint64_t body_limit) {
  parser.header_limit(header_limit);
  parser.body_limit(body_limit);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  return !ec && parser.is_header_done();
}

// The bytes Beast writes for a head, and the head it reads back from them (as the service or
// the information system would; Beast's limits widened, they are not what is checked here).
template <bool isRequest>
http::header<isRequest> written_and_read_back(const http::header<isRequest>& head) {
  std::ostringstream out;
  out << http::message<isRequest, http::empty_body>(head);
  const std::string bytes = out.str();
  http::parser<isRequest, http::buffer_body> parser;
  check(read_head(bytes, parser, UINT32_MAX, UINT64_MAX));
  return parser.get().base();
}

// `fields` holds exactly `expected`'s headers, as HTTP carries them: each name's values in
// order (Beast keeps a name's fields together, which changes nothing HTTP gives a meaning to).
void check_same_headers(const http::fields& fields, const HeaderList& expected) {
  std::vector<std::pair<std::string, std::string>> got, want;
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return out;
  };
  for (const auto& f : fields) got.emplace_back(lower(f.name_string()), std::string(f.value()));
  for (const auto& h : expected) want.emplace_back(lower(h.name), std::string(roadside::trim_blanks(h.value)));
  auto by_name = [](const auto& a, const auto& b) { return a.first < b.first; };
  std::stable_sort(got.begin(), got.end(), by_name);
  std::stable_sort(want.begin(), want.end(), by_name);
  check(got == want);
}

bool same(const HeaderList& a, const HeaderList& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].value != b[i].value) return false;
  }
  return true;
}

// The server proxy's request to the service from a request part (call_rest_service).
void check_service_request(const RestRequestHead& part) {
  auto call = service_request(part, kTraceparent);
  if (!call.ok()) return;  // refused there
  call->target("/");
  HeaderList sent;
  for (const auto& h : part.headers) {
    if (!is_skipped_header(h.name) && !boost::beast::iequals(h.name, "traceparent")) sent.push_back(h);
  }
  sent.push_back({"traceparent", std::string(kTraceparent)});
  const auto read = written_and_read_back(*call);
  check(read.method_string() == part.method);
  check_same_headers(read, sent);
}

// The client proxy's response to the information system from a response part (rest_reply).
void check_is_response(const RestResponseHead& part) {
  HeaderList sent;
  for (const auto& h : part.headers) {
    if (!is_skipped_header(h.name)) sent.push_back(h);
  }
  const auto read = written_and_read_back(is_response(part, 11));
  check(read.result_int() == part.status);
  if (!part.reason.empty()) check(read.reason() == part.reason);
  check_same_headers(read, sent);
}

// The client proxy's request part from an information system's request (rest_call, rest_request).
void check_is_request(std::string_view bytes) {
  http::request_parser<http::buffer_body> parser;
  const roadside::net::ServerLimits limits;
  if (!read_head(bytes, parser, static_cast<std::uint32_t>(limits.max_header_bytes), limits.max_body_bytes)) return;
  const auto& req = parser.get();
  const std::string target(req.target());
  auto service = roadside::parse_rest_target(target);
  if (!service.ok() || !normalize_service_path(service->path).ok() || !check_query(service->query).ok()) return;
  HeaderList is_headers;
  for (const auto& f : req) is_headers.push_back({std::string(f.name_string()), std::string(f.value())});
  RestRequestHead part{std::string(req.method_string()), target, request_part_headers(std::move(is_headers))};
  auto back = RestRequestHead::parse(part.serialize());
  check(back.ok());
  check(back->method == part.method && back->target == part.target && same(back->headers, part.headers));
  check_service_request(*back);
}

// The server proxy's response part from a service's response (rest_response).
void check_service_response(std::string_view bytes) {
  http::response_parser<http::buffer_body> parser;
  const roadside::net::ClientOptions limits;
  if (!read_head(bytes, parser, static_cast<std::uint32_t>(limits.max_response_header_bytes),
                 limits.max_response_body_bytes)) {
    return;
  }
  const auto& res = parser.get();
  auto made = response_part(res);
  const unsigned status = res.result_int();
  check(made.ok() == (status >= 200 && status <= 599));  // no final answer, or none a part carries
  if (!made.ok()) return;
  RestResponseHead part = std::move(made).value();
  for (const auto& h : part.headers) check(!is_response_xroad_header(h.name) && !is_skipped_header(h.name));
  for (auto x : kResponseXRoadHeaders) part.headers.push_back({std::string(x), "v"});
  auto back = RestResponseHead::parse(part.serialize());
  check(back.ok());
  check(back->status == part.status && back->reason == part.reason && same(back->headers, part.headers));
  check_is_response(*back);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_is_request(input);
  check_service_response(input);
  if (auto part = RestRequestHead::parse(input); part.ok()) check_service_request(*part);
  if (auto part = RestResponseHead::parse(input); part.ok()) check_is_response(*part);
  return 0;
}
