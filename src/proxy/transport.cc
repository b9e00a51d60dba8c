#include "proxy/transport.h"

#include <algorithm>

#include "base/random.h"
#include "crypto/crypto.h"
#include "mime/multipart.h"
#include "mime/multipart_stream.h"

namespace roadside::proxy {

namespace {

Error invalid(std::string detail) {
  return Error(make_error_code(errc::invalid_message), std::move(detail));
}

void add_part(std::string& out, const std::string& boundary, std::string_view type, std::string_view bytes, bool first,
              const HeaderList& more = {}) {
  if (!first) out += "\r\n";
  out += "--" + boundary + "\r\ncontent-type: ";
  out += type;
  out += "\r\n";
  for (const auto& h : more) out += h.name + ": " + h.value + "\r\n";
  out += "\r\n";
  out += bytes;
}

// Bodies in memory below this size are copied into the encoded message's text; larger ones,
// and spooled ones, are pieces of their own.
constexpr std::uint64_t kCopiedBelow = 4096;

bool copied(const net::Payload& body) {
  return body.in_memory() && body.size() < kCopiedBelow;
}

}  // namespace

const net::Payload* TransportMessage::payload_of(std::string_view uri) const {
  if (uri == "/attachment1" && body) return &*body;
  constexpr std::string_view kPrefix = "/attachment";
  if (uri.rfind(kPrefix, 0) == 0 && !attachments.empty()) {
    const std::string n(uri.substr(kPrefix.size()));
    if (n.empty() || n.size() > 6 || n.find_first_not_of("0123456789") != std::string::npos || n[0] == '0')
      return nullptr;
    const std::size_t i = std::stoul(n);
    if (i >= 1 && i <= attachments.size()) return &attachments[i - 1].body;
  }
  return nullptr;
}

std::optional<std::string> TransportMessage::part(std::string_view uri) const {
  if (uri == "/message.xml") return message;
  const net::Payload* p = payload_of(uri);
  if (!p || !p->in_memory()) return std::nullopt;
  return p->bytes();
}

std::optional<Result<std::string>> TransportMessage::part_digest(std::string_view uri, std::string_view method) const {
  if (uri == "/attachment1" && body) return body_digest(method);
  if (uri == "/message.xml") return crypto::digest(method, message);
  const net::Payload* p = payload_of(uri);
  if (!p) return std::nullopt;
  return payload_digest(*p, method);
}

trust::SignedMessage TransportMessage::signed_message() const {
  trust::SignedMessage sm{[this](std::string_view uri) { return part(uri); }, part_uris(), signature.hash_chain_result,
                          signature.hash_chain};
  sm.part_digests = [this](std::string_view uri, std::string_view method) { return part_digest(uri, method); };
  return sm;
}

Result<std::vector<std::string>> TransportMessage::attachment_digests() const {
  std::vector<std::string> out;
  if (body) {
    ROADSIDE_TRY(std::string d, body_digest(crypto::kSha512Uri));
    out.push_back(std::move(d));
  }
  for (const auto& a : attachments) {
    ROADSIDE_TRY(std::string d, payload_digest(a.body, crypto::kSha512Uri));
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::string> TransportMessage::body_digest(std::string_view method) const {
  if (!body) return Error(make_error_code(errc::invalid_message), "the message has no body");
  for (const auto& [m, d] : body_digests_) {
    if (m == method) return d;
  }
  ROADSIDE_TRY(std::string d, payload_digest(*body, method));
  body_digests_.emplace_back(std::string(method), d);
  return d;
}

Result<std::string> payload_digest(const net::Payload& p, std::string_view method) {
  if (p.in_memory()) return crypto::digest(method, p.bytes());
  ROADSIDE_TRY(crypto::Hasher h, crypto::Hasher::create(method));
  ROADSIDE_TRY_STATUS(p.for_each_piece([&h](std::string_view piece) -> Status {
    h.update(piece);
    return {};
  }));
  return h.finish();
}

std::vector<std::string> TransportMessage::part_uris() const {
  std::vector<std::string> out = {"/message.xml"};
  if (body) out.push_back("/attachment1");
  for (std::size_t i = 0; i < attachments.size(); ++i) out.push_back("/attachment" + std::to_string(i + 1));
  return out;
}

std::string mime_type_of(std::string_view content_type) {
  return mime::HeaderValue::parse(content_type).value;
}

EncodedMessage encode_transport(const TransportMessage& m) {
  const std::string boundary = "xtop" + crypto::to_hex(Random::system().bytes(16));
  EncodedMessage encoded{"multipart/mixed; charset=UTF-8; boundary=" + boundary, {}};
  // Room for the text: up to the first piece of its own, and after the last one for all that
  // follows; the text between two pieces (part heads, small attachments) grows as written.
  constexpr std::uint64_t kHeads = 2048;
  auto share = [](const Attachment& a) {  // of the nested multipart's text
    std::uint64_t n = 64 + (copied(a.body) ? a.body.size() : 0);
    for (const auto& h : a.headers) n += h.name.size() + h.value.size() + 4;
    return n;
  };
  std::uint64_t before_body = m.message.size(), after = m.signature.signature.size();
  for (const auto& ocsp : m.ocsp_responses) before_body += ocsp.size();
  if (m.body && copied(*m.body)) before_body += m.body->size();
  if (m.signature.hash_chain_result) after += m.signature.hash_chain_result->size();
  if (m.signature.hash_chain) after += m.signature.hash_chain->size();
  std::size_t pieces_left = m.body && !copied(*m.body) ? 1 : 0;
  for (const auto& a : m.attachments) {
    after += share(a);
    if (!copied(a.body)) ++pieces_left;
  }
  std::string out;
  out.reserve(static_cast<std::size_t>(before_body + kHeads + (pieces_left == 0 ? after : 0)));
  auto next_piece = [&](const net::Payload& body) {
    encoded.pieces.emplace_back(std::move(out));
    encoded.pieces.push_back(body);
    out = std::string();
    if (--pieces_left == 0) out.reserve(static_cast<std::size_t>(after + kHeads));
  };
  bool first = true;
  for (const auto& ocsp : m.ocsp_responses) {
    add_part(out, boundary, kOcspResponseType, ocsp, first);
    first = false;
  }
  add_part(out, boundary, m.message_type, m.message, first, m.message_headers);
  if (m.body && copied(*m.body)) {
    add_part(out, boundary, kRestBodyType, m.body->bytes(), false);
  } else if (m.body) {
    // A spooled body is sent from its file, a larger one in memory from where it is (shared,
    // not copied), between the pieces before and after it.
    add_part(out, boundary, kRestBodyType, "", false);
    next_piece(*m.body);
  }
  if (!m.attachments.empty()) {
    // A nested multipart; an attachment is a piece of its own when the REST body would be.
    const std::string inner = "xatt" + crypto::to_hex(Random::system().bytes(16));
    add_part(out, boundary, "multipart/mixed; charset=UTF-8; boundary=" + inner, "", false);
    for (std::size_t i = 0; i < m.attachments.size(); ++i) {
      if (i > 0) out += "\r\n";
      out += "--" + inner + "\r\n";
      for (const auto& h : m.attachments[i].headers) out += h.name + ": " + h.value + "\r\n";
      out += "\r\n";
      const net::Payload& body = m.attachments[i].body;
      after -= share(m.attachments[i]);
      if (copied(body)) {
        out += body.bytes();
      } else {
        next_piece(body);
      }
    }
    out += "\r\n--" + inner + "--";
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
  encoded.pieces.emplace_back(std::move(out));
  return encoded;
}

std::string EncodedMessage::joined() const {
  std::string out;
  for (const auto& p : pieces) out += p.read_all(UINT64_MAX).value_or("");
  return out;
}

namespace {

// One part of a multipart payload: its headers and its body, a slice of the payload.
struct PayloadPart {
  mime::Headers headers;
  net::Payload body;
};

// The parts of a payload that may be spooled: read in pieces, only the part headers in memory.
Result<std::vector<PayloadPart>> parse_multipart_payload(const net::Payload& body, const std::string& boundary) {
  auto read = [&body](std::uint64_t offset, std::span<char> into) { return body.read_at(offset, into); };
  auto ranges = mime::parse_multipart_stream(read, boundary);
  if (!ranges.ok()) {
    if (ranges.error().code() == make_error_code(mime::errc::no_parts))
      return Error(make_error_code(errc::missing_soap), "the transport message has no parts: " + ranges.error().detail());
    if (ranges.error().code() != make_error_code(mime::errc::malformed)) return std::move(ranges).error();
    return invalid("the transport message is not valid multipart: " + ranges.error().detail());
  }
  std::vector<PayloadPart> parts;
  for (auto& r : *ranges) parts.push_back({std::move(r.headers), body.slice(r.body_offset, r.body_size)});
  return parts;
}

// The SOAP attachments of a nested multipart part: in memory as parse_multipart splits it;
// spooled, read in pieces, each attachment a slice of the payload.
Result<std::vector<PayloadPart>> parse_attachments(const net::Payload& nested, const std::string& boundary) {
  std::vector<PayloadPart> out;
  if (nested.in_memory()) {
    auto parts = mime::parse_multipart(nested.bytes(), boundary);
    if (!parts.ok()) return invalid("the attachments part is not valid multipart: " + parts.error().detail());
    for (const auto& p : *parts) out.push_back({p.headers, net::Payload(std::string(p.body))});
    return out;
  }
  auto read = [&nested](std::uint64_t offset, std::span<char> into) { return nested.read_at(offset, into); };
  auto ranges = mime::parse_multipart_stream(read, boundary);
  if (!ranges.ok()) {
    if (ranges.error().code().category() != mime::mime_category()) return std::move(ranges).error();
    return invalid("the attachments part is not valid multipart: " + ranges.error().detail());
  }
  for (auto& r : *ranges) out.push_back({std::move(r.headers), nested.slice(r.body_offset, r.body_size)});
  return out;
}

Result<TransportMessage> decode_parts(std::vector<PayloadPart> parts, std::uint64_t max_in_memory_part) {
  TransportMessage m;
  std::size_t i = 0;
  auto type_of = [&](std::size_t k) {
    return mime::HeaderValue::parse(parts.at(k).headers.get("content-type").value_or("")).value;
  };
  auto bytes_of = [&](std::size_t k) -> Result<std::string> {
    auto b = parts.at(k).body.read_all(max_in_memory_part);
    if (!b.ok())
      return invalid("a " + type_of(k) + " part of " + std::to_string(parts.at(k).body.size()) +
                     " bytes is over the limit of " + std::to_string(max_in_memory_part) +
                     " bytes for parts that are parsed");
    return b;
  };
  for (; i < parts.size() && type_of(i) == kOcspResponseType; ++i) {
    ROADSIDE_TRY(std::string ocsp, bytes_of(i));
    m.ocsp_responses.push_back(std::move(ocsp));
  }
  if (i == parts.size()) return invalid("the transport message has no message part");
  m.message_type = parts.at(i).headers.get("content-type").value_or("");
  HeaderList message_headers;
  for (const auto& h : parts.at(i).headers.list) message_headers.push_back({h.name, h.value});
  auto kept = envelope_part_headers(std::move(message_headers));
  if (!kept.ok()) return invalid(kept.error().detail());
  m.message_headers = std::move(kept).value();
  ROADSIDE_TRY(m.message, bytes_of(i));
  ++i;
  if (i < parts.size() && type_of(i) == kRestBodyType) m.body = std::move(parts.at(i++).body);
  if (i < parts.size() && type_of(i) == "multipart/mixed") {
    // /attachment1 would name both: a REST body and SOAP attachments never travel together.
    if (m.body) return invalid("the transport message has both a REST body and SOAP attachments");
    const auto inner = mime::HeaderValue::parse(parts.at(i).headers.get("content-type").value_or(""));
    auto b = inner.params.find("boundary");
    if (b == inner.params.end() || b->second.empty()) return invalid("the attachments part has no boundary");
    ROADSIDE_TRY(std::vector<PayloadPart> nested, parse_attachments(parts.at(i).body, b->second));
    for (auto& a : nested) {
      HeaderList headers;
      for (const auto& h : a.headers.list) headers.push_back({h.name, h.value});
      m.attachments.push_back({std::move(headers), std::move(a.body)});
    }
    ++i;
  }
  if (i + 1 < parts.size() && type_of(i) == kHashChainResultType) {
    if (type_of(i + 1) != kHashChainType) return invalid("a hash-chain-result part is not followed by its hash chain");
    ROADSIDE_TRY(m.signature.hash_chain_result, bytes_of(i));
    ROADSIDE_TRY(m.signature.hash_chain, bytes_of(i + 1));
    i += 2;
  }
  if (i == parts.size())
    return Error(make_error_code(errc::missing_signature), "the transport message has no signature part");
  const std::string last = type_of(i);
  if (last == kSignatureType) {
    ROADSIDE_TRY(m.signature.signature, bytes_of(i));
  } else if (last == "text/xml") {
    ROADSIDE_TRY(std::string xml, bytes_of(i));
    auto fault = parse_soap_fault(xml);
    if (!fault) return invalid("the transport message ends with a text/xml part that is not a SOAP fault");
    m.fault = std::move(fault);
  } else {
    return Error(make_error_code(errc::invalid_content_type), "unexpected part \"" + last + "\" in the transport message");
  }
  if (i + 1 != parts.size()) return invalid("the transport message has parts after its signature");
  return m;
}

Result<std::string> transport_boundary(std::string_view content_type) {
  const auto ct = mime::HeaderValue::parse(content_type);
  // What the other server sent is not a transport message at all: X-Road reports it as
  // service_failed.invalid_content_type, on either side.
  if (ct.value != "multipart/mixed") {
    return service_failed(errc::invalid_content_type, "a transport message must be multipart/mixed, not \"" + ct.value + "\"");
  }
  auto boundary = ct.params.find("boundary");
  if (boundary == ct.params.end() || boundary->second.empty())
    return invalid("the transport message's Content-Type has no boundary");
  return boundary->second;
}

}  // namespace

Result<TransportMessage> decode_transport(std::string_view content_type, std::string_view body) {
  ROADSIDE_TRY(std::string boundary, transport_boundary(content_type));
  auto parts = mime::parse_multipart(body, boundary);
  if (!parts.ok() && parts.error().code() == make_error_code(mime::errc::no_parts))
    return Error(make_error_code(errc::missing_soap), "the transport message has no parts: " + parts.error().detail());
  if (!parts.ok()) return invalid("the transport message is not valid multipart: " + parts.error().detail());
  std::vector<PayloadPart> list;
  for (const auto& p : *parts) list.push_back({p.headers, net::Payload(std::string(p.body))});
  return decode_parts(std::move(list), UINT64_MAX);
}

Result<TransportMessage> decode_transport(std::string_view content_type, const net::Payload& body,
                                          std::uint64_t max_in_memory_part) {
  if (body.in_memory()) return decode_transport(content_type, std::string_view(body.bytes()));
  ROADSIDE_TRY(std::string boundary, transport_boundary(content_type));
  ROADSIDE_TRY(std::vector<PayloadPart> parts, parse_multipart_payload(body, boundary));
  return decode_parts(std::move(parts), max_in_memory_part);
}

}  // namespace roadside::proxy
