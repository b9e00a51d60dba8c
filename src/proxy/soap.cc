#include "proxy/soap.h"

#include <regex>

#include "crypto/crypto.h"
#include "mime/multipart.h"
#include "proxy/errors.h"
#include "xml/dom.h"
#include "xml/identifier_xml.h"

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
  if (!body) return bad(errc::invalid_soap, "the envelope has no Body");
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
  if (request && !env.header.service) return bad(errc::missing_header_field, "the SOAP header has no service");
  if (env.header.service && env.header.service->type() != ObjectType::service) {
    return bad(errc::bad_request, "the service must be a SERVICE identifier");
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
  if (request && !env.is_fault && env.body_element != env.header.service->service_code()) {
    return bad(errc::invalid_body, "the body element " + env.body_element + " is not named like the service code " +
                                        std::string(env.header.service->service_code()));
  }
  return env;
}

Result<SoapMessage> split_soap_message(std::string_view content_type, std::string body) {
  SoapMessage m;
  m.content_type = std::string(content_type);
  const auto ct = mime::HeaderValue::parse(content_type);
  if (ct.value == "text/xml") {
    m.soap_content_type = m.content_type;
    m.soap = std::move(body);
    if (m.soap.empty()) return bad(errc::missing_soap, "the request has no SOAP message");
    return m;
  }
  if (ct.value != "multipart/related") {
    return bad(errc::invalid_content_type, "a SOAP message is text/xml or multipart/related (SwA, MTOM), not \"" + ct.value + "\"");
  }
  auto boundary = ct.params.find("boundary");
  if (boundary == ct.params.end() || boundary->second.empty()) return bad(errc::invalid_content_type, "the multipart Content-Type has no boundary");
  auto parts = mime::parse_multipart(body, boundary->second);
  if (!parts.ok()) return bad(errc::mime_parsing_failed, "the multipart message cannot be read: " + parts.error().detail());
  if (parts->empty()) return bad(errc::missing_soap, "the multipart message has no parts");
  std::size_t root = 0;
  if (auto start = ct.params.find("start"); start != ct.params.end()) {
    for (std::size_t i = 0; i < parts->size(); ++i) {
      if (parts->at(i).headers.get("content-id").value_or("") == start->second) root = i;
    }
  }
  m.multipart = true;
  for (std::size_t i = 0; i < parts->size(); ++i) {
    HeaderList headers;
    for (const auto& h : parts->at(i).headers.list) headers.push_back({h.name, h.value});
    if (i == root) {
      m.soap_part_headers = std::move(headers);
      m.soap_content_type = parts->at(i).headers.get("content-type").value_or("text/xml");
      m.soap = std::string(parts->at(i).body);
    } else {
      m.attachments.push_back({std::move(headers), std::string(parts->at(i).body)});
    }
  }
  const auto root_type = mime::HeaderValue::parse(m.soap_content_type).value;
  if (root_type != "text/xml" && root_type != "application/xop+xml") {
    return bad(errc::invalid_content_type, "the root part is \"" + root_type + "\", not text/xml or application/xop+xml");
  }
  if (m.soap.find_first_not_of(" \t\r\n") == std::string::npos) return bad(errc::missing_soap, "the SOAP part is empty");
  return m;
}

std::string join_soap_message(const SoapMessage& m) {
  if (!m.multipart) return m.soap;
  const auto ct = mime::HeaderValue::parse(m.content_type);
  const std::string boundary = ct.params.count("boundary") ? ct.params.at("boundary") : std::string("xatt");
  std::string out;
  auto part = [&](const HeaderList& headers, const std::string& bytes) {
    out += "--" + boundary + "\r\n";
    for (const auto& h : headers) out += h.name + ": " + h.value + "\r\n";
    out += "\r\n" + bytes + "\r\n";
  };
  HeaderList root = m.soap_part_headers;
  if (root.empty()) {
    // The envelope part's own headers do not travel between servers: its type does, and the
    // Content-ID an MTOM message's start parameter names.
    root.push_back({"Content-Type", m.soap_content_type});
    if (auto start = ct.params.find("start"); start != ct.params.end()) root.push_back({"Content-ID", start->second});
  }
  part(root, m.soap);
  for (const auto& a : m.attachments) part(a.headers, a.body);
  out += "--" + boundary + "--\r\n";
  return out;
}

std::string soap_request_hash(std::string_view soap) { return crypto::base64_encode(crypto::sha512(soap)); }

Result<std::string> insert_request_hash(std::string_view xml_text, std::string_view hash_base64) {
  // The prefix the header's id element uses for the X-Road namespace.
  auto doc = xml::Document::parse(xml_text, kMaxSoapBytes);
  if (!doc.ok()) return bad(errc::invalid_soap, "the response is not well-formed XML");
  std::optional<xml::Element> id;
  if (auto header = doc->root().child("Header")) {
    for (const auto& h : header->children()) {
      if (h.ns() == xml::kXRoadNs && h.name() == "id") id = h;
    }
  }
  if (!id) return bad(errc::missing_header_field, "the response has no id header to put the requestHash after");
  const std::string prefix = id->prefix().empty() ? std::string() : std::string(id->prefix()) + ":";

  std::string s(xml_text);
  const std::regex header_open("<([A-Za-z_][A-Za-z0-9_.-]*:)?Header[\\s>]");
  std::smatch hm;
  if (!std::regex_search(s, hm, header_open)) return bad(errc::invalid_soap, "no Header start tag in the response");
  const std::size_t header_start = static_cast<std::size_t>(hm.position(0));
  const std::string header_close = "</" + hm[1].str() + "Header>";
  std::size_t header_end = s.find(header_close, header_start);
  if (header_end == std::string::npos) return bad(errc::invalid_soap, "no Header end tag in the response");

  // Drop any requestHash the service sent.
  for (;;) {
    const std::string open = "<" + prefix + "requestHash";
    std::size_t at = s.find(open, header_start);
    if (at == std::string::npos || at > header_end) break;
    std::size_t end = s.find('>', at);
    if (end == std::string::npos) break;
    if (s[end - 1] != '/') {
      const std::string close = "</" + prefix + "requestHash>";
      end = s.find(close, at);
      if (end == std::string::npos || end > header_end) return bad(errc::invalid_soap, "an unterminated requestHash");
      end += close.size() - 1;
    }
    std::size_t from = at;
    while (from > header_start && (s[from - 1] == ' ' || s[from - 1] == '\t' || s[from - 1] == '\r' || s[from - 1] == '\n')) --from;
    s.erase(from, end + 1 - from);
    header_end = s.find(header_close, header_start);
  }

  // The id element: "<P:id>" or "<P:id attr...>", up to "</P:id>".
  std::size_t id_at = header_start;
  for (;;) {
    id_at = s.find("<" + prefix + "id", id_at);
    if (id_at == std::string::npos || id_at > header_end) return bad(errc::invalid_soap, "the id header's tag was not found");
    const char next = s[id_at + 1 + prefix.size() + 2];
    if (next == '>' || next == ' ' || next == '\t' || next == '\r' || next == '\n' || next == '/') break;
    ++id_at;
  }
  std::size_t id_end;
  const std::size_t gt = s.find('>', id_at);
  if (s[gt - 1] == '/') {
    id_end = gt + 1;
  } else {
    const std::string close = "</" + prefix + "id>";
    id_end = s.find(close, gt);
    if (id_end == std::string::npos) return bad(errc::invalid_soap, "the id header is not closed");
    id_end += close.size();
  }
  std::size_t indent_from = id_at;
  while (indent_from > header_start && (s[indent_from - 1] == ' ' || s[indent_from - 1] == '\t' || s[indent_from - 1] == '\r' ||
                                         s[indent_from - 1] == '\n')) {
    --indent_from;
  }
  const std::string indent = s.substr(indent_from, id_at - indent_from);
  // When the id element declares its own prefix (as zeep writes it), so must the requestHash.
  const std::string id_start_tag = s.substr(id_at, gt - id_at);
  const std::string declaration = prefix.empty() ? "xmlns=" : "xmlns:" + prefix.substr(0, prefix.size() - 1) + "=";
  const std::string own_ns =
      id_start_tag.find(declaration) != std::string::npos ? " " + declaration + "\"" + std::string(xml::kXRoadNs) + "\"" : "";
  s.insert(id_end, indent + "<" + prefix + "requestHash" + own_ns + " algorithmId=\"" + std::string(crypto::kSha512Uri) + "\">" +
                       std::string(hash_base64) + "</" + prefix + "requestHash>");
  return s;
}

}  // namespace roadside::proxy
