#include "proxy/transport.h"

#include "base/random.h"
#include "crypto/crypto.h"
#include "mime/multipart.h"

namespace roadside::proxy {

namespace {

Error invalid(std::string detail) { return Error(make_error_code(errc::invalid_message), std::move(detail)); }

void add_part(std::string& out, const std::string& boundary, std::string_view type, std::string_view bytes, bool first) {
  if (!first) out += "\r\n";
  out += "--" + boundary + "\r\ncontent-type: ";
  out += type;
  out += "\r\n\r\n";
  out += bytes;
}

}  // namespace

std::optional<std::string> TransportMessage::part(std::string_view uri) const {
  if (uri == "/message.xml") return message;
  if (uri == "/attachment1" && body) return *body;
  constexpr std::string_view kPrefix = "/attachment";
  if (uri.rfind(kPrefix, 0) == 0 && !attachments.empty()) {
    const std::string n(uri.substr(kPrefix.size()));
    if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos || n[0] == '0') return std::nullopt;
    const std::size_t i = std::stoul(n);
    if (i >= 1 && i <= attachments.size()) return attachments[i - 1].body;
  }
  return std::nullopt;
}

std::vector<std::string> TransportMessage::part_uris() const {
  std::vector<std::string> out = {"/message.xml"};
  if (body) out.push_back("/attachment1");
  for (std::size_t i = 0; i < attachments.size(); ++i) out.push_back("/attachment" + std::to_string(i + 1));
  return out;
}

std::string mime_type_of(std::string_view content_type) { return mime::HeaderValue::parse(content_type).value; }

EncodedMessage encode_transport(const TransportMessage& m) {
  const std::string boundary = "xtop" + crypto::to_hex(Random::system().bytes(16));
  std::string out;
  out.reserve(m.message.size() + (m.body ? m.body->size() : 0) + m.signature.signature.size() + 4096);
  bool first = true;
  for (const auto& ocsp : m.ocsp_responses) {
    add_part(out, boundary, kOcspResponseType, ocsp, first);
    first = false;
  }
  add_part(out, boundary, m.message_type, m.message, first);
  if (m.body) add_part(out, boundary, kRestBodyType, *m.body, false);
  if (!m.attachments.empty()) {
    const std::string inner = "xatt" + crypto::to_hex(Random::system().bytes(16));
    std::string nested;
    for (std::size_t i = 0; i < m.attachments.size(); ++i) {
      if (i > 0) nested += "\r\n";
      nested += "--" + inner + "\r\n";
      for (const auto& h : m.attachments[i].headers) nested += h.name + ": " + h.value + "\r\n";
      nested += "\r\n" + m.attachments[i].body;
    }
    nested += "\r\n--" + inner + "--";
    add_part(out, boundary, "multipart/mixed; charset=UTF-8; boundary=" + inner, nested, false);
  }
  if (m.fault) {
    add_part(out, boundary, "text/xml; charset=UTF-8", soap_fault_xml(*m.fault), false);
  } else {
    if (m.signature.hash_chain_result && m.signature.hash_chain) {
      add_part(out, boundary, kHashChainResultType, *m.signature.hash_chain_result, false);
      add_part(out, boundary, kHashChainType, *m.signature.hash_chain, false);
    }
    add_part(out, boundary, kSignatureType, m.signature.signature, false);
  }
  out += "\r\n--" + boundary + "--\r\n";
  return {"multipart/mixed; charset=UTF-8; boundary=" + boundary, std::move(out)};
}

Result<TransportMessage> decode_transport(std::string_view content_type, std::string_view body) {
  const auto ct = mime::HeaderValue::parse(content_type);
  if (ct.value != "multipart/mixed") {
    return Error(make_error_code(errc::invalid_content_type), "a transport message must be multipart/mixed, not \"" + ct.value + "\"");
  }
  auto boundary = ct.params.find("boundary");
  if (boundary == ct.params.end() || boundary->second.empty()) return invalid("the transport message's Content-Type has no boundary");
  auto parts = mime::parse_multipart(body, boundary->second);
  if (!parts.ok()) return invalid("the transport message is not valid multipart: " + parts.error().detail());

  TransportMessage m;
  std::size_t i = 0;
  auto type_of = [&](std::size_t k) { return mime::HeaderValue::parse(parts->at(k).headers.get("content-type").value_or("")).value; };
  for (; i < parts->size() && type_of(i) == kOcspResponseType; ++i) m.ocsp_responses.emplace_back(parts->at(i).body);
  if (i == parts->size()) return invalid("the transport message has no message part");
  m.message_type = parts->at(i).headers.get("content-type").value_or("");
  m.message = std::string(parts->at(i).body);
  ++i;
  if (i < parts->size() && type_of(i) == kRestBodyType) m.body = std::string(parts->at(i++).body);
  if (i < parts->size() && type_of(i) == "multipart/mixed") {
    const auto inner = mime::HeaderValue::parse(parts->at(i).headers.get("content-type").value_or(""));
    auto b = inner.params.find("boundary");
    if (b == inner.params.end() || b->second.empty()) return invalid("the attachments part has no boundary");
    auto nested = mime::parse_multipart(parts->at(i).body, b->second);
    if (!nested.ok()) return invalid("the attachments part is not valid multipart: " + nested.error().detail());
    for (const auto& a : *nested) {
      HeaderList headers;
      for (const auto& h : a.headers.list) headers.push_back({h.name, h.value});
      m.attachments.push_back({std::move(headers), std::string(a.body)});
    }
    ++i;
  }
  if (i + 1 < parts->size() && type_of(i) == kHashChainResultType) {
    if (type_of(i + 1) != kHashChainType) return invalid("a hash-chain-result part is not followed by its hash chain");
    m.signature.hash_chain_result = std::string(parts->at(i).body);
    m.signature.hash_chain = std::string(parts->at(i + 1).body);
    i += 2;
  }
  if (i == parts->size()) return Error(make_error_code(errc::missing_signature), "the transport message has no signature part");
  const std::string last = type_of(i);
  if (last == kSignatureType) {
    m.signature.signature = std::string(parts->at(i).body);
  } else if (last == "text/xml") {
    auto fault = parse_soap_fault(parts->at(i).body);
    if (!fault) return invalid("the transport message ends with a text/xml part that is not a SOAP fault");
    m.fault = std::move(fault);
  } else {
    return invalid("unexpected part \"" + last + "\" in the transport message");
  }
  if (i + 1 != parts->size()) return invalid("the transport message has parts after its signature");
  return m;
}

}  // namespace roadside::proxy
