#include "proxy/soap.h"

#include <algorithm>

#include "crypto/crypto.h"
#include "mime/multipart.h"
#include "mime/multipart_stream.h"
#include "net/errors.h"
#include "proxy/errors.h"
#include "xml/dom.h"
#include "xml/identifier_xml.h"
#include "xml/markup.h"

namespace roadside::proxy {

namespace {

Error bad(errc e, std::string detail) { return Error(make_error_code(e), std::move(detail)); }

}  // namespace

Result<SoapEnvelope> parse_soap(std::string_view text, bool request) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return bad(errc::invalid_soap, "the SOAP message is empty");
  auto doc = xml::Document::parse(text, kMaxSoapBytes);
  if (!doc.ok()) return bad(errc::invalid_soap, "the SOAP message is not well-formed XML: " + doc.error().detail());
  const xml::Element root = doc->root();
  if (root.name() != "Envelope" || root.ns() != kSoapEnvNs) {
    return bad(errc::invalid_soap, "the message is not a SOAP 1.1 envelope (root element " + std::string(root.name()) + ")");
  }
  SoapEnvelope env;
  std::optional<xml::Element> header, body;
  for (const auto& child : root.children()) {
    if (child.ns() != kSoapEnvNs) return bad(errc::invalid_soap, "unexpected element " + std::string(child.name()) + " in the envelope");
    if (child.name() == "Header" && !header && !body) header = child;
    else if (child.name() == "Body" && !body) body = child;
    else return bad(errc::invalid_soap, "unexpected element " + std::string(child.name()) + " in the envelope");
  }
  if (!body) return bad(errc::missing_body, "the envelope has no Body");
  const auto body_children = body->children();
  if (body_children.size() == 1 && body_children[0].name() == "Fault" && body_children[0].ns() == kSoapEnvNs) {
    env.is_fault = true;
  }
  if (header) {
    env.has_header = true;
    for (const auto& h : header->children()) {
      if (h.ns() != xml::kXRoadNs) continue;  // other headers pass unchanged
      const std::string_view n = h.name();
      if (n == "client" || n == "service" || n == "securityServer") {
        auto id = xml::identifier_from_element(h);
        if (!id.ok()) return bad(request ? errc::bad_request : errc::invalid_message, "header " + std::string(n) + ": " + id.error().detail());
        if (n == "client") env.header.client = *id;
        else if (n == "service") env.header.service = *id;
        else env.header.security_server = *id;
      } else if (n == "id") {
        env.header.id = h.text();
      } else if (n == "userId") {
        env.header.user_id = h.text();
      } else if (n == "issue") {
        env.header.issue = h.text();
      } else if (n == "protocolVersion") {
        env.header.protocol_version = h.text();
      } else if (n == "requestHash") {
        env.header.request_hash = h.text();
      }
    }
  }
  if (env.is_fault && !request) return env;  // a fault need not carry the headers
  if (!env.has_header) return bad(errc::missing_header, "the SOAP message has no Header with the X-Road headers");
  if (!env.header.client) return bad(errc::missing_header_field, "the SOAP header has no client");
  if (env.header.client->type() != ObjectType::member && env.header.client->type() != ObjectType::subsystem) {
    return bad(errc::bad_request, "the client must be a MEMBER or SUBSYSTEM");
  }
  if (!env.header.service) return bad(errc::missing_header_field, "the SOAP header has no service");
  if (env.header.service->type() != ObjectType::service) {
    return bad(errc::bad_request, "the service must be a SERVICE identifier");
  }
  if (request && env.header.security_server && env.header.security_server->type() != ObjectType::server) {
    return bad(errc::bad_request, "the securityServer must be a SERVER identifier");
  }
  if (env.header.id.empty()) return bad(errc::missing_header_field, "the SOAP header has no id");
  if (env.header.protocol_version.empty()) return bad(errc::missing_header_field, "the SOAP header has no protocolVersion");
  if (env.header.protocol_version.rfind("4.", 0) != 0) {
    return bad(errc::invalid_protocol_version, "protocolVersion " + env.header.protocol_version + " is not supported (4.x)");
  }
  if (body_children.size() != 1) {
    return bad(errc::invalid_body, "the SOAP Body must hold exactly one element, not " + std::to_string(body_children.size()));
  }
  env.body_element = std::string(body_children[0].name());
  // X-Road's SoapUtils.validateServiceName: the element starts with the service code
  // (getState, getStateResponse), in requests and responses alike.
  if (!env.is_fault && !env.body_element.starts_with(env.header.service->service_code())) {
    return bad(errc::inconsistent_headers, "the body element " + env.body_element + " does not start with the service code " +
                                               std::string(env.header.service->service_code()));
  }
  return env;
}

Result<HeaderList> envelope_part_headers(HeaderList headers) {
  if (auto cte = last_header(headers, "content-transfer-encoding")) {
    const auto encoding = mime::HeaderValue::parse(*cte).value;
    if (encoding != "7bit" && encoding != "8bit" && encoding != "binary") {
      return bad(errc::invalid_content_type, "the SOAP part's Content-Transfer-Encoding is " + encoding.substr(0, 40) + ", not 7bit, 8bit or binary");
    }
  }
  remove_header(headers, "content-type");
  remove_header(headers, "content-length");
  return headers;
}

Status check_soap_content_type(std::string_view content_type) {
  if (content_type.empty()) return bad(errc::invalid_content_type, "the message has no Content-Type");
  const auto type = mime::HeaderValue::parse(content_type).value;
  if (type != "text/xml" && type != "multipart/related") {
    return bad(errc::invalid_content_type, "a SOAP message is text/xml or multipart/related (SwA, MTOM), not \"" + type + "\"");
  }
  return {};
}

namespace {

// The envelope part of a spooled body, read into memory within its limit and `memory`.
Result<std::string> read_envelope(const net::Payload& part, net::BudgetShare* memory, bool spooled) {
  if (part.size() > kMaxSoapBytes) {
    return Error(net::make_error_code(net::errc::too_large), "the SOAP part of " + std::to_string(part.size()) +
                                                                 " bytes is over the limit of " + std::to_string(kMaxSoapBytes) + " bytes");
  }
  if (memory && spooled && !memory->grow(part.size())) {
    return Error(net::make_error_code(net::errc::overloaded), "the server holds as many SOAP messages in memory as it may; try again later");
  }
  return part.read_all(kMaxSoapBytes);
}

}  // namespace

Result<SoapMessage> split_soap_message(std::string_view content_type, std::string body) {
  return split_soap_message(content_type, net::Payload(std::move(body)));
}

Result<SoapMessage> split_soap_message(std::string_view content_type, net::Payload body, net::BudgetShare* memory) {
  if (auto st = check_soap_content_type(content_type); !st.ok()) return st.error();
  SoapMessage m;
  m.content_type = std::string(content_type);
  const bool spooled = !body.in_memory();
  const auto ct = mime::HeaderValue::parse(content_type);
  if (ct.value == "text/xml") {
    m.soap_content_type = m.content_type;
    if (spooled || body.size() > kMaxSoapBytes) {
      ROADSIDE_TRY(m.soap, read_envelope(body, memory, spooled));
    } else {
      m.soap = std::move(body).take_bytes();
    }
    if (m.soap.empty()) return bad(errc::invalid_soap, "the SOAP message is empty");
    return m;
  }
  auto boundary = ct.params.find("boundary");
  if (boundary == ct.params.end() || boundary->second.empty()) return bad(errc::invalid_content_type, "the multipart Content-Type has no boundary");
  // One parser for a body in memory and a spooled one: a message is taken or refused alike
  // whatever its size.
  auto read = [&body](std::uint64_t offset, std::span<char> into) { return body.read_at(offset, into); };
  auto parts = mime::parse_multipart_stream(read, boundary->second);
  // No part at all (an empty body, or none of its boundary): X-Road finds no SOAP message.
  if (!parts.ok() && parts.error().code() == make_error_code(mime::errc::no_parts))
    return bad(errc::missing_soap, "the multipart message has no parts: " + parts.error().detail());
  if (!parts.ok() && parts.error().code() == make_error_code(mime::errc::malformed))
    return bad(errc::mime_parsing_failed, "the multipart message cannot be read: " + parts.error().detail());
  if (!parts.ok()) return std::move(parts).error();
  if (parts->empty()) return bad(errc::missing_soap, "the multipart message has no parts");
  std::size_t root = 0;
  if (auto start = ct.params.find("start"); start != ct.params.end()) {
    for (std::size_t i = 0; i < parts->size(); ++i) {
      if (parts->at(i).headers.get("content-id").value_or("") == start->second) root = i;
    }
  }
  m.multipart = true;
  for (std::size_t i = 0; i < parts->size(); ++i) {
    // Every part says what it is (X-Road's SoapMessageDecoder, the envelope part too).
    if (!parts->at(i).headers.get("content-type")) {
      return bad(errc::invalid_content_type, "MIME part " + std::to_string(i + 1) + " has no Content-Type");
    }
  }
  for (std::size_t i = 0; i < parts->size(); ++i) {
    HeaderList headers;
    for (const auto& h : parts->at(i).headers.list) headers.push_back({h.name, h.value});
    if (i == root) {
      ROADSIDE_TRY(m.soap_part_headers, envelope_part_headers(std::move(headers)));
      m.soap_content_type = *parts->at(i).headers.get("content-type");
    } else {
      m.attachments.push_back({std::move(headers), body.slice(parts->at(i).body_offset, parts->at(i).body_size)});
    }
  }
  const auto root_type = mime::HeaderValue::parse(m.soap_content_type).value;
  if (root_type != "text/xml" && root_type != "application/xop+xml") {
    return bad(errc::invalid_content_type, "the root part is \"" + root_type + "\", not text/xml or application/xop+xml");
  }
  ROADSIDE_TRY(m.soap, read_envelope(body.slice(parts->at(root).body_offset, parts->at(root).body_size), memory, spooled));
  if (m.soap.find_first_not_of(" \t\r\n") == std::string::npos) return bad(errc::missing_soap, "the SOAP part is empty");
  return m;
}

std::vector<net::Payload> soap_message_pieces(const SoapMessage& m) {
  std::vector<net::Payload> pieces;
  if (!m.multipart) {
    pieces.emplace_back(m.soap);
    return pieces;
  }
  const auto ct = mime::HeaderValue::parse(m.content_type);
  const std::string boundary = ct.params.count("boundary") ? ct.params.at("boundary") : std::string("xatt");
  std::string out;
  auto part = [&](const HeaderList& headers) {
    out += "--" + boundary + "\r\n";
    for (const auto& h : headers) out += h.name + ": " + h.value + "\r\n";
    out += "\r\n";
  };
  HeaderList root = m.soap_part_headers;
  remove_header(root, "content-type");
  root.insert(root.begin(), {"Content-Type", m.soap_content_type});
  if (auto start = ct.params.find("start"); start != ct.params.end() && !last_header(root, "content-id")) {
    root.push_back({"Content-ID", start->second});
  }
  part(root);
  out += m.soap + "\r\n";
  for (const auto& a : m.attachments) {
    part(a.headers);
    if (a.body.in_memory()) {
      out += a.body.bytes();
    } else {
      // A spooled attachment is sent from its file, between the pieces before and after it.
      pieces.emplace_back(std::move(out));
      out.clear();
      pieces.push_back(a.body);
    }
    out += "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  pieces.emplace_back(std::move(out));
  return pieces;
}

std::string join_soap_message(const SoapMessage& m) {
  std::string out;
  for (const auto& p : soap_message_pieces(m)) out += p.read_all(UINT64_MAX).value_or("");
  return out;
}

std::string soap_request_hash(std::string_view soap) { return crypto::base64_encode(crypto::sha512(soap)); }

namespace {

// The start of the whitespace that ends just before `at`, no further back than `floor`.
std::size_t whitespace_before(std::string_view s, std::size_t at, std::size_t floor) {
  while (at > floor && xml::is_space(s[at - 1])) --at;
  return at;
}

// Where the header's elements are in the response's text.
struct HeaderLayout {
  std::size_t header_open_end = std::string_view::npos;  // just past <P:Header ...>
  std::optional<xml::Tag> id_start;                       // the id element's start (or empty) tag
  std::size_t id_end = std::string_view::npos;            // just past the id element
  std::vector<std::pair<std::size_t, std::size_t>> request_hashes;  // each requestHash element
};

// One linear pass over the tags: the Envelope's Header (depth 1), and in it (depth 2) the
// id and any requestHash with the id's prefix.
Result<HeaderLayout> header_layout(std::string_view s, std::string_view prefix) {
  HeaderLayout out;
  bool in_header = false, header_done = false;
  std::optional<std::size_t> hash_begin;
  const std::string id_name = std::string(prefix) + "id", hash_name = std::string(prefix) + "requestHash";
  const bool well_formed = xml::scan_tags(s, [&](const xml::Tag& t) {
    if (t.depth == 1 && t.local_name() == "Header") {
      if (t.kind == xml::Tag::Kind::start && !header_done) {
        in_header = true;
        out.header_open_end = t.end;
      } else {
        in_header = false;
        header_done = true;
      }
      return !header_done;
    }
    if (!in_header || t.depth != 2) return true;
    if (t.qname == id_name) {
      if (t.kind != xml::Tag::Kind::end && !out.id_start) out.id_start = t;
      if (t.kind != xml::Tag::Kind::start && out.id_end == std::string_view::npos) out.id_end = t.end;
    } else if (t.qname == hash_name) {
      if (t.kind == xml::Tag::Kind::start) hash_begin = t.begin;
      if (t.kind == xml::Tag::Kind::empty) out.request_hashes.emplace_back(t.begin, t.end);
      if (t.kind == xml::Tag::Kind::end && hash_begin) out.request_hashes.emplace_back(*hash_begin, t.end);
    }
    return true;
  });
  if (!well_formed || !header_done) return bad(errc::invalid_soap, "the response's Header was not found in its text");
  if (!out.id_start || out.id_end == std::string_view::npos) return bad(errc::invalid_soap, "the id header's tags were not found");
  return out;
}

}  // namespace

Result<std::string> insert_request_hash(std::string_view xml_text, std::string_view hash_base64) {
  // The prefix the header's id element uses for the X-Road namespace.
  auto doc = xml::Document::parse(xml_text, kMaxSoapBytes);
  if (!doc.ok()) return bad(errc::invalid_soap, "the response is not well-formed XML: " + doc.error().detail());
  std::optional<xml::Element> id;
  if (auto header = doc->root().child("Header")) {
    for (const auto& h : header->children()) {
      if (h.ns() == xml::kXRoadNs && h.name() == "id") id = h;
    }
  }
  if (!id) return bad(errc::missing_header_field, "the response has no id header to put the requestHash after");
  const std::string p(id->prefix());
  const std::string prefix = p.empty() ? std::string() : p + ":";
  ROADSIDE_TRY(HeaderLayout layout, header_layout(xml_text, prefix));

  // The requestHash goes after the id, indented like it; when the id element declares its own
  // prefix (as zeep writes it), so does the requestHash.
  const std::string_view id_tag = xml_text.substr(layout.id_start->begin, layout.id_start->end - layout.id_start->begin);
  const std::string declaration = p.empty() ? "xmlns" : "xmlns:" + p;
  const std::string own_ns = xml::attribute_value_range(id_tag, declaration) ? " " + declaration + "=\"" + std::string(xml::kXRoadNs) + "\"" : "";
  const std::size_t indent_from = whitespace_before(xml_text, layout.id_start->begin, layout.header_open_end);
  const std::string inserted = std::string(xml_text.substr(indent_from, layout.id_start->begin - indent_from)) + "<" + prefix + "requestHash" +
                               own_ns + " algorithmId=\"" + std::string(crypto::kSha512Uri) + "\">" + std::string(hash_base64) + "</" +
                               prefix + "requestHash>";

  // Edits in text order: the insertion, and every requestHash the service sent dropped with
  // the whitespace before it.
  struct Edit {
    std::size_t from, to;
    std::string_view with;
  };
  std::vector<Edit> edits{{layout.id_end, layout.id_end, inserted}};
  for (const auto& [from, to] : layout.request_hashes) edits.push_back({whitespace_before(xml_text, from, layout.header_open_end), to, {}});
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.from != b.from ? a.from < b.from : a.to < b.to; });
  std::string out;
  out.reserve(xml_text.size() + inserted.size());
  std::size_t at = 0;
  for (const auto& e : edits) {
    const std::size_t from = std::max(e.from, at);
    out.append(xml_text.substr(at, from - at));
    out.append(e.with);
    at = std::max(at, e.to);
  }
  out.append(xml_text.substr(at));
  return out;
}

}  // namespace roadside::proxy
