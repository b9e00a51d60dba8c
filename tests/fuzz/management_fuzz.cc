// Fuzz target: what a central server reads from Security Servers as management requests
// (PR-MSERV) and what a Security Server reads back. The input is split at the first NUL
// byte into a Content-Type and a body. parse_request must refuse cleanly (an X-Road fault
// code, a reason) or accept; a request it accepts must read again from its own SOAP part
// with the same type, and its response must read back with the request id it was given.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_checks.h"
#include "management/messages.h"
#include "management/signed_request.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside::management;
  using roadside::fuzz::check;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string_view content_type =
      nul == std::string_view::npos ? std::string_view("text/xml") : input.substr(0, nul);
  const std::string_view body = nul == std::string_view::npos ? input : input.substr(nul + 1);

  auto request = parse_request(content_type, body);
  roadside::fuzz::check_refusal(request);
  if (request.ok()) {
    auto again = parse_soap_request(request->soap);
    check(again.ok() && again->body.type == request->request.body.type);
    const std::string response = build_response(request->request, 42);
    auto info = parse_response("text/xml", response, request->soap);
    check(info.ok() && info->request_id == 42 && info->type == request->request.body.type);
  }
  roadside::fuzz::check_refusal(parse_response(content_type, body));
  return 0;
}
