#include "proxy/rest_heads.h"

#include <array>

#include <boost/beast/core/string.hpp>

#include "proxy/errors.h"

namespace roadside::proxy {

namespace http = boost::beast::http;

bool is_response_xroad_header(std::string_view name) {
  static constexpr std::array<std::string_view, 5> kNames = {"x-road-id", "x-road-client", "x-road-service",
                                                             "x-road-request-id", "x-road-request-hash"};
  for (auto x : kNames) {
    if (boost::beast::iequals(name, x)) return true;
  }
  return false;
}

HeaderList request_part_headers(HeaderList is_headers) {
  HeaderList out;
  for (auto& h : is_headers) {
    if (!is_skipped_header(h.name)) out.push_back(std::move(h));
  }
  return out;
}

Result<http::request_header<>> service_request(const RestRequestHead& part, std::string_view traceparent) {
  const auto verb = http::string_to_verb(part.method);
  if (verb == http::verb::unknown)
    return Error(make_error_code(errc::invalid_message), "unknown HTTP method " + part.method);
  http::request_header<> call;
  call.method(verb);
  call.version(11);
  for (const auto& h : part.headers) {
    if (!is_skipped_header(h.name) && !boost::beast::iequals(h.name, "traceparent")) call.insert(h.name, h.value);
  }
  call.set("traceparent", traceparent);
  return call;
}

Result<RestResponseHead> response_part(const http::response_header<>& answer) {
  const unsigned status = answer.result_int();
  if (status < 200 || status > 599) {
    return Error(
        make_error_code(errc::service_invalid_response),
        "answered with " + std::string(status < 200 ? "the interim status " : "the status ") + std::to_string(status));
  }
  RestResponseHead part;
  part.status = status;
  part.reason = std::string(answer.reason());
  for (const auto& f : answer) {
    if (!is_response_xroad_header(f.name_string()) && !is_skipped_header(f.name_string()))
      part.headers.push_back({std::string(f.name_string()), std::string(f.value())});
  }
  return part;
}

http::response_header<> is_response(const RestResponseHead& part, unsigned version) {
  http::response_header<> out;
  out.result(static_cast<http::status>(part.status));
  out.version(version);
  out.reason(part.reason);
  for (const auto& h : part.headers) {
    if (!is_skipped_header(h.name)) out.insert(h.name, h.value);
  }
  return out;
}

}  // namespace roadside::proxy
