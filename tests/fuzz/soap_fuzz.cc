// Fuzz target: SOAP messages as an information system, a service or a peer sends them, read
// by parse_soap (proxy/soap.h) for the X-Road headers the proxies act on, split from their
// HTTP body by split_soap_message, and a service's response given its requestHash. The
// input is split at the first NUL into a Content-Type and a body (without one: text/xml).
// transport_fuzz runs these parsers too; this target checks what they promise:
//   - a refusal says why (fuzz_checks.h);
//   - an envelope read has what the proxies rely on: a client that is a MEMBER or SUBSYSTEM,
//     a SERVICE, a non-empty id, protocolVersion 4.x, one Body element named after the service
//     code (a fault may lack them, as a response); a request's securityServer is a SERVER;
//     every identifier writes out and reads back the same;
//   - a request that reads also reads as a response (a response is read less strictly);
//   - a response given a requestHash reads back with that hash and its other headers as
//     they were (what the client proxy compares with its request);
//   - a message split and joined again splits to the same envelope and attachments.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/identifiers.h"
#include "fuzz_checks.h"
#include "proxy/soap.h"

namespace {

using namespace roadside;
using namespace roadside::proxy;
using roadside::fuzz::check;
using roadside::fuzz::check_refusal;

constexpr std::string_view kHash = "aGFzaA==";

void check_id(const std::optional<XRoadId>& id) {
  if (!id) return;
  auto back = XRoadId::parse(id->to_string());
  check(back.ok() && *back == *id);
}

bool same_header(const SoapHeader& a, const SoapHeader& b) {
  return a.client == b.client && a.service == b.service && a.security_server == b.security_server && a.id == b.id &&
         a.user_id == b.user_id && a.issue == b.issue && a.protocol_version == b.protocol_version;
}

void check_envelope(const SoapEnvelope& env, bool request) {
  for (const auto* id : {&env.header.client, &env.header.service, &env.header.security_server}) check_id(*id);
  if (env.is_fault && !request) return;
  check(env.has_header);
  check(env.header.client &&
        (env.header.client->type() == ObjectType::member || env.header.client->type() == ObjectType::subsystem));
  check(env.header.service && env.header.service->type() == ObjectType::service);
  if (request && env.header.security_server) check(env.header.security_server->type() == ObjectType::server);
  check(!env.header.id.empty() && env.header.protocol_version.starts_with("4."));
  check(!env.body_element.empty());
  if (!env.is_fault) check(env.body_element.starts_with(env.header.service->service_code()));
}

void check_soap(std::string_view xml) {
  auto request = parse_soap(xml, true);
  check_refusal(request);
  if (request.ok()) check_envelope(*request, true);
  auto response = parse_soap(xml, false);
  check_refusal(response);
  if (request.ok()) check(response.ok());
  if (!response.ok()) return;
  check_envelope(*response, false);
  if (response->is_fault) return;
  // The server proxy's edit of a service's response, as the client proxy then reads it.
  auto hashed = insert_request_hash(xml, kHash);
  check_refusal(hashed);
  if (!hashed.ok()) return;
  auto again = parse_soap(*hashed, false);
  check(again.ok());
  check(again->header.request_hash == std::string(kHash));
  check(same_header(again->header, response->header) && again->body_element == response->body_element);
}

void check_split(std::string_view content_type, std::string_view body) {
  auto m = split_soap_message(content_type, std::string(body));
  check_refusal(m);
  if (!m.ok()) return;
  check_soap(m->soap);
  auto again = split_soap_message(m->content_type, join_soap_message(*m));
  check(again.ok());
  check(again->soap == m->soap && again->multipart == m->multipart);
  check(again->attachments.size() == m->attachments.size());
  for (std::size_t i = 0; i < m->attachments.size(); ++i) {
    check(again->attachments[i].body.bytes() == m->attachments[i].body.bytes());
    check(again->attachments[i].headers.size() == m->attachments[i].headers.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  if (nul == std::string_view::npos) {
    check_split("text/xml; charset=UTF-8", input);
  } else {
    // The Content-Type comes from an HTTP head or a MIME part, whose parsers refuse control
    // bytes but HTAB: join_soap_message may write its start parameter into a part's header.
    const std::string_view content_type = input.substr(0, nul);
    for (const char c : content_type) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return 0;
    }
    check_split(content_type, input.substr(nul + 1));
  }
  return 0;
}
