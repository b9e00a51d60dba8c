// Fuzz target: what a Security Server reads from peers and information systems -- transport
// messages (multipart with nested attachments), REST header parts, SOAP envelopes and their
// X-Road headers, SOAP faults. The input is split at the first NUL byte into a Content-Type
// and a body; every parser must refuse or accept cleanly, never crash or loop.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/errors.h"
#include "proxy/rest.h"
#include "proxy/soap.h"
#include "proxy/transport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside::proxy;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view content_type = nul == std::string_view::npos ? std::string_view("multipart/mixed; boundary=b") : input.substr(0, nul);
  const std::string_view body = nul == std::string_view::npos ? input : input.substr(nul + 1);
  auto m = decode_transport(content_type, body);
  if (m.ok()) {
    (void)RestRequestHead::parse(m->message);
    (void)RestResponseHead::parse(m->message);
    (void)parse_soap(m->message, true);
    for (const auto& uri : m->part_uris()) (void)m->part(uri);
  }
  (void)RestRequestHead::parse(body);
  (void)parse_soap(body, false);
  (void)parse_soap_fault(body);
  (void)insert_request_hash(body, "hash");
  auto soap = split_soap_message(content_type, std::string(body));
  if (soap.ok()) (void)join_soap_message(*soap);
  (void)normalize_fault_code(body.substr(0, 256));
  return 0;
}
