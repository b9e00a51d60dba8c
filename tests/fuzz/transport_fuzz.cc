// Fuzz target: what a Security Server reads from peers, information systems and services --
// transport messages (multipart with nested attachments, in memory and read in pieces as
// when spooled), REST header parts, SOAP envelopes
// and their X-Road headers, SOAP faults, the SOAP metaservices' edits of a request or a WSDL,
// a service response's requestHash insertion, and a peer OCSP responder's answer. The input
// is split at the first NUL byte into a Content-Type and a body; every parser must refuse or
// accept cleanly, never crash or loop. The byte-offset editors must also keep well-formed
// XML well-formed: what they return for a document the parser accepts parses again.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_checks.h"
#include "mime/multipart.h"
#include "mime/multipart_stream.h"
#include "multipart_stream_checks.h"
#include "proxy/errors.h"
#include "proxy/metaservices.h"
#include "proxy/peer_trust.h"
#include "proxy/rest.h"
#include "proxy/soap.h"
#include "proxy/transport.h"
#include "xml/dom.h"

namespace {

using roadside::fuzz::check;

// Checks that an edit of `input` is XML again whenever `input` was (the edits work on bytes;
// the parser reads UTF-8 only, so it sees the bytes the edits saw).
void check_edit_keeps_xml(std::string_view input, const roadside::Result<std::string>& edited) {
  if (!edited.ok()) return;
  if (!roadside::xml::Document::parse(input).ok()) return;
  check(roadside::xml::Document::parse(*edited).ok());
}

// The parser for spooled bodies, reading a few bytes at a time, finds the parts (headers and
// bodies) the in-memory parser finds, in every body: both accept the same bodies but where
// the streaming parser is stricter by its limits (stream_parser_stricter).
// SOAP messages from an IS or a service are split by it whatever their size.
void check_stream_agrees(std::string_view content_type, std::string_view body) {
  const auto boundary = roadside::mime::HeaderValue::parse(content_type).params["boundary"];
  auto read = [body](std::uint64_t offset, std::span<char> into) -> roadside::Result<std::size_t> {
    if (offset >= body.size()) return std::size_t{0};
    const std::size_t n = std::min<std::size_t>({into.size(), 5, body.size() - offset});
    std::copy_n(body.data() + offset, n, into.data());
    return n;
  };
  auto streamed = roadside::mime::parse_multipart_stream(read, boundary);
  auto in_memory = roadside::mime::parse_multipart(body, boundary);
  if (!streamed.ok()) {
    check(!in_memory.ok() || roadside::fuzz::stream_parser_stricter(content_type, body));
    return;
  }
  check(in_memory.ok());
  check(in_memory->size() == streamed->size());
  for (std::size_t i = 0; i < streamed->size(); ++i) {
    const auto& p = (*streamed)[i];
    const auto& q = (*in_memory)[i];
    check(body.substr(p.body_offset, p.body_size) == q.body);
    check(p.headers.list.size() == q.headers.list.size());
    for (std::size_t h = 0; h < p.headers.list.size(); ++h) {
      check(p.headers.list[h].name == q.headers.list[h].name && p.headers.list[h].value == q.headers.list[h].value);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside::proxy;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view content_type =
      nul == std::string_view::npos ? std::string_view("multipart/mixed; boundary=b") : input.substr(0, nul);
  const std::string_view body = nul == std::string_view::npos ? input : input.substr(nul + 1);
  auto m = decode_transport(content_type, body);
  check_stream_agrees(content_type, body);
  if (m.ok()) {
    (void)RestRequestHead::parse(m->message);
    (void)RestResponseHead::parse(m->message);
    (void)parse_soap(m->message, true);
    for (const auto& uri : m->part_uris()) (void)m->part(uri);
  }
  (void)RestRequestHead::parse(body);
  (void)parse_soap(body, false);
  (void)parse_soap_fault(body);
  auto hashed = insert_request_hash(body, "aGFzaA==");
  check_edit_keeps_xml(body, hashed);
  auto soap = split_soap_message(content_type, std::string(body));
  if (soap.ok()) (void)join_soap_message(*soap);
  (void)normalize_fault_code(body.substr(0, 256));

  // The SOAP metaservices: a response built on the request's Envelope and Header, the
  // getWsdl target, and a service's WSDL with its addresses replaced.
  check_edit_keeps_xml(body, soap_response_envelope(body, "<r/>"));
  (void)get_wsdl_target(body);
  check_edit_keeps_xml(body, rewrite_wsdl_endpoints(body));

  // A provider's OCSP responder answering the client proxy.
  if (auto responses = ocsp_responses_of(content_type, body); responses.ok()) check(!responses->empty());
  return 0;
}
