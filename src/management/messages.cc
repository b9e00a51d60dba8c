#include "management/messages.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <utility>
#include <vector>

#include "crypto/encoding.h"
#include "management/errors.h"

namespace roadside::management {
namespace {

// ---- the request types -------------------------------------------------------------------

enum class Field { server, client, address, auth_cert, dry_run, subsystem_name, message, request_id };

struct FieldRule {
  Field field;
  bool required;
};

struct TypeInfo {
  RequestType type;
  std::string_view code;
  Signatures signatures;
  bool client_request;
  std::vector<FieldRule> fields;  // request.xsd's sequence, requestId last
};

const std::vector<TypeInfo>& type_table() {
  using enum Field;
  static const std::vector<TypeInfo> table{
      {RequestType::client_reg,
       "clientReg",
       Signatures::owner,
       true,
       {{server, true}, {client, true}, {subsystem_name, false}, {request_id, false}}},
      {RequestType::client_deletion,
       "clientDeletion",
       Signatures::none,
       false,
       {{server, true}, {client, true}, {request_id, false}}},
      {RequestType::auth_cert_reg,
       "authCertReg",
       Signatures::auth_and_owner,
       false,
       {{server, true}, {address, false}, {auth_cert, true}, {dry_run, false}, {request_id, false}}},
      {RequestType::auth_cert_deletion,
       "authCertDeletion",
       Signatures::none,
       false,
       {{server, true}, {auth_cert, true}, {request_id, false}}},
      {RequestType::owner_change,
       "ownerChange",
       Signatures::owner,
       true,
       {{server, true}, {client, true}, {request_id, false}}},
      {RequestType::address_change,
       "addressChange",
       Signatures::owner,
       false,
       {{server, true}, {address, true}, {request_id, false}}},
      {RequestType::client_disable,
       "clientDisable",
       Signatures::owner,
       true,
       {{server, true}, {client, true}, {request_id, false}}},
      {RequestType::client_enable,
       "clientEnable",
       Signatures::owner,
       true,
       {{server, true}, {client, true}, {request_id, false}}},
      {RequestType::client_rename,
       "clientRename",
       Signatures::owner,
       true,
       {{server, true}, {client, true}, {subsystem_name, true}, {request_id, false}}},
      {RequestType::maintenance_mode_enable,
       "maintenanceModeEnable",
       Signatures::owner,
       false,
       {{server, true}, {message, false}, {request_id, false}}},
      {RequestType::maintenance_mode_disable,
       "maintenanceModeDisable",
       Signatures::owner,
       false,
       {{server, true}, {request_id, false}}},
  };
  return table;
}

const TypeInfo& info(RequestType type) {
  for (const auto& t : type_table()) {
    if (t.type == type) return t;
  }
  return type_table().front();  // every enumerator is in the table
}

std::string_view field_name(Field f) {
  switch (f) {
    case Field::server:
      return "server";
    case Field::client:
      return "client";
    case Field::address:
      return "address";
    case Field::auth_cert:
      return "authCert";
    case Field::dry_run:
      return "dryRun";
    case Field::subsystem_name:
      return "subsystemName";
    case Field::message:
      return "message";
    case Field::request_id:
      return "requestId";
  }
  return "";
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

Error invalid_request(std::string detail) {
  return make_error(errc::invalid_request, std::move(detail));
}
Error invalid_argument(std::string detail) {
  return make_error(errc::invalid_argument, std::move(detail));
}

// ---- writing -----------------------------------------------------------------------------

// <xroad:NAME id:objectType="TYPE"><id:xRoadInstance>...</id:xRoadInstance>...</xroad:NAME>
void append_id(std::string& out, std::string_view name, const XRoadId& id) {
  out += "<xroad:";
  out += name;
  out += " id:objectType=\"";
  out += to_string(id.type());
  out += "\">";
  const auto& p = id.parts();
  const std::pair<std::string_view, const std::optional<std::string>*> children[] = {
      {"xRoadInstance", &p.instance},         {"memberClass", &p.member_class}, {"memberCode", &p.member_code},
      {"subsystemCode", &p.subsystem_code},   {"groupCode", &p.group_code},     {"serviceCode", &p.service_code},
      {"serviceVersion", &p.service_version}, {"serverCode", &p.server_code}};
  for (const auto& [child, value] : children) {
    if (!*value) continue;
    out += "<id:";
    out += child;
    out += ">";
    out += xml::escape(**value);
    out += "</id:";
    out += child;
    out += ">";
  }
  out += "</xroad:";
  out += name;
  out += ">";
}

void append_text(std::string& out, std::string_view name, std::string_view text) {
  out += "<xroad:";
  out += name;
  out += ">";
  out += xml::escape(text);
  out += "</xroad:";
  out += name;
  out += ">";
}

void append_body_fields(std::string& out, const RequestBody& b) {
  for (const FieldRule& rule : info(b.type).fields) {
    const std::string_view name = field_name(rule.field);
    switch (rule.field) {
      case Field::server:
        append_id(out, name, b.server);
        break;
      case Field::client:
        if (b.client) append_id(out, name, *b.client);
        break;
      case Field::address:
        if (b.address) append_text(out, name, *b.address);
        break;
      case Field::auth_cert:
        if (b.auth_cert) append_text(out, name, crypto::base64_encode(*b.auth_cert));
        break;
      case Field::dry_run:
        if (b.dry_run) append_text(out, name, *b.dry_run ? "true" : "false");
        break;
      case Field::subsystem_name:
        if (b.subsystem_name) append_text(out, name, *b.subsystem_name);
        break;
      case Field::message:
        if (b.message) append_text(out, name, *b.message);
        break;
      case Field::request_id:
        if (b.request_id) append_text(out, name, std::to_string(*b.request_id));
        break;
    }
  }
}

std::string envelope(const MessageHeader& h, std::string_view body_name, const RequestBody& body) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:id=\"http://x-road.eu/xsd/identifiers\" xmlns:xroad=\"http://x-road.eu/xsd/xroad.xsd\">"
      "<SOAP-ENV:Header>";
  append_id(out, "client", h.client);
  append_id(out, "service", h.service);
  append_text(out, "id", h.id);
  append_text(out, "protocolVersion", h.protocol_version);
  out += "</SOAP-ENV:Header><SOAP-ENV:Body><xroad:";
  out += body_name;
  out += ">";
  append_body_fields(out, body);
  out += "</xroad:";
  out += body_name;
  out += "></SOAP-ENV:Body></SOAP-ENV:Envelope>";
  return out;
}

// ---- reading identifiers -----------------------------------------------------------------

// An identifier as written, before Roadside's identifier rules judge its parts.
struct RawId {
  std::string object_type;
  XRoadId::Parts parts;
  friend bool operator==(const RawId&, const RawId&) = default;
};

using PartField = std::optional<std::string> XRoadId::Parts::*;
struct IdChild {
  std::string_view name;
  PartField field;
  bool required;
};

// identifiers.xsd's restricted content models.
const std::vector<IdChild> kServerShape{{"xRoadInstance", &XRoadId::Parts::instance, true},
                                        {"memberClass", &XRoadId::Parts::member_class, true},
                                        {"memberCode", &XRoadId::Parts::member_code, true},
                                        {"serverCode", &XRoadId::Parts::server_code, true}};
const std::vector<IdChild> kClientShape{{"xRoadInstance", &XRoadId::Parts::instance, true},
                                        {"memberClass", &XRoadId::Parts::member_class, true},
                                        {"memberCode", &XRoadId::Parts::member_code, true},
                                        {"subsystemCode", &XRoadId::Parts::subsystem_code, false}};
const std::vector<IdChild> kServiceShape{
    {"xRoadInstance", &XRoadId::Parts::instance, true},   {"memberClass", &XRoadId::Parts::member_class, true},
    {"memberCode", &XRoadId::Parts::member_code, true},   {"subsystemCode", &XRoadId::Parts::subsystem_code, false},
    {"serviceCode", &XRoadId::Parts::service_code, true}, {"serviceVersion", &XRoadId::Parts::service_version, false}};

bool known_object_type(std::string_view t) {
  return parse_object_type(t).has_value();
}

// Reads `e` as identifiers.xsd's restricted type `shape` (with objectType fixed to `fixed`
// when given): only id:objectType as attribute, the children in order, text only.
Result<RawId> read_id(const xml::Element& e, const std::vector<IdChild>& shape, std::string_view fixed) {
  const std::string where = "<" + std::string(e.name()) + ">";
  for (const auto& [ns, name] : e.attributes()) {
    if (ns != kIdentifiersNs || name != "objectType") {
      return invalid_request(where + " has an attribute the schema does not allow: " + name.substr(0, 60));
    }
  }
  auto type = e.attribute("objectType", kIdentifiersNs);
  if (!type) return invalid_request(where + " has no id:objectType");
  if (!known_object_type(*type)) return invalid_request(where + " has an unknown id:objectType");
  if (!fixed.empty() && *type != fixed) {
    return invalid_request(where + " must have id:objectType " + std::string(fixed));
  }
  if (e.has_direct_text()) return invalid_request(where + " has text between its elements");
  RawId out{*type, {}};
  std::size_t next = 0;
  for (const xml::Element& c : e.children()) {
    if (c.ns() != kIdentifiersNs) return invalid_request(where + " has an element outside the identifiers namespace");
    std::size_t i = next;
    while (i < shape.size() && shape[i].name != c.name()) {
      if (shape[i].required) break;
      ++i;
    }
    if (i >= shape.size() || shape[i].name != c.name()) {
      return invalid_request(where + " has <" + std::string(c.name()).substr(0, 60) + "> out of place");
    }
    if (!c.children().empty() || !c.attributes().empty()) {
      return invalid_request(where + ": <" + std::string(c.name()) + "> must be text only");
    }
    out.parts.*(shape[i].field) = c.text();
    next = i + 1;
  }
  for (std::size_t i = next; i < shape.size(); ++i) {
    if (shape[i].required) return invalid_request(where + " lacks <id:" + std::string(shape[i].name) + ">");
  }
  return out;
}

// ---- reading the body ---------------------------------------------------------------------

bool is_xml_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view collapse(std::string_view s) {
  while (!s.empty() && is_xml_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_xml_space(s.back())) s.remove_suffix(1);
  return s;
}

// xs:base64Binary's lexical space (whitespace between characters allowed), then decoded.
Result<std::string> read_base64(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (!is_xml_space(c)) clean += c;
  }
  std::size_t pad = 0;
  for (std::size_t i = 0; i < clean.size(); ++i) {
    const char c = clean[i];
    const bool alnum =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (c == '=') {
      ++pad;
    } else if (!alnum || pad > 0) {
      return invalid_request("authCert is not base64");
    }
  }
  if (clean.size() % 4 != 0 || pad > 2) return invalid_request("authCert is not base64 (bad length or padding)");
  auto der = crypto::base64_decode(clean);
  if (!der.ok()) return invalid_request("authCert is not base64: " + der.error().detail());
  return std::move(der).value();
}

// xs:integer (after whitespace collapse) that fits in 64 bits.
std::optional<std::int64_t> read_integer(std::string_view text) {
  text = collapse(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

Result<std::string> read_text_field(const xml::Element& c) {
  if (!c.children().empty() || !c.attributes().empty()) {
    return invalid_request("<" + std::string(c.name()) + "> must be text only");
  }
  std::string text = c.text();
  if (text.size() > kMaxTextField) {
    return invalid_request("<" + std::string(c.name()) + "> is longer than " + std::to_string(kMaxTextField) +
                           " bytes");
  }
  return text;
}

Result<XRoadId> strict_id(const RawId& raw, std::string_view what) {
  auto type = parse_object_type(raw.object_type);
  auto id = XRoadId::create(*type, raw.parts);
  if (!id.ok()) {
    return make_error(errc::invalid_client_identifier, "the management request contains an invalid identifier (" +
                                                           std::string(what) + "): " + id.error().detail());
  }
  return id;
}

// request.xsd's content model of the body element of `type`, checked by hand.
Result<RequestBody> check_body(RequestType type, const xml::Element& e) {
  const TypeInfo& t = info(type);
  const std::string where = "<" + std::string(t.code) + ">";
  if (!e.attributes().empty()) return invalid_request(where + " has attributes the schema does not allow");
  if (e.has_direct_text()) return invalid_request(where + " has text between its elements");
  RequestBody body;
  body.type = type;
  std::optional<RawId> server, client;
  std::size_t next = 0;
  for (const xml::Element& c : e.children()) {
    if (c.ns() != kXRoadNs) return invalid_request(where + " has an element outside the xroad namespace");
    std::size_t i = next;
    while (i < t.fields.size() && field_name(t.fields[i].field) != c.name()) {
      if (t.fields[i].required) break;
      ++i;
    }
    if (i >= t.fields.size() || field_name(t.fields[i].field) != c.name()) {
      return invalid_request(where + " has <" + std::string(c.name()).substr(0, 60) + "> out of place");
    }
    next = i + 1;
    switch (t.fields[i].field) {
      case Field::server: {
        ROADSIDE_TRY(server, read_id(c, kServerShape, "SERVER"));
        break;
      }
      case Field::client: {
        ROADSIDE_TRY(client, read_id(c, kClientShape, {}));
        break;
      }
      case Field::address: {
        ROADSIDE_TRY(body.address, read_text_field(c));
        break;
      }
      case Field::auth_cert: {
        ROADSIDE_TRY(std::string text, read_text_field(c));
        ROADSIDE_TRY(body.auth_cert, read_base64(text));
        break;
      }
      case Field::dry_run: {
        ROADSIDE_TRY(std::string text, read_text_field(c));
        const std::string_view v = collapse(text);
        if (v == "true" || v == "1") {
          body.dry_run = true;
        } else if (v == "false" || v == "0") {
          body.dry_run = false;
        } else {
          return invalid_request(where + ": dryRun is not a boolean");
        }
        break;
      }
      case Field::subsystem_name: {
        ROADSIDE_TRY(body.subsystem_name, read_text_field(c));
        break;
      }
      case Field::message: {
        ROADSIDE_TRY(body.message, read_text_field(c));
        break;
      }
      case Field::request_id: {
        ROADSIDE_TRY(std::string text, read_text_field(c));
        body.request_id = read_integer(text);
        if (!body.request_id) return invalid_request(where + ": requestId is not an integer of 64 bits");
        break;
      }
    }
  }
  for (std::size_t i = next; i < t.fields.size(); ++i) {
    if (t.fields[i].required) {
      return invalid_request(where + " lacks <" + std::string(field_name(t.fields[i].field)) + ">");
    }
  }
  ROADSIDE_TRY(body.server, strict_id(*server, "server"));
  if (client) {
    ROADSIDE_TRY(body.client, strict_id(*client, "client"));
    if (!body.client->is_client()) {
      return make_error(errc::invalid_client_identifier, "the request's client must be a MEMBER or a SUBSYSTEM");
    }
  }
  return body;
}

// ---- reading the envelope ------------------------------------------------------------------

struct Envelope {
  xml::Document doc;
  std::optional<xml::Element> header;
  xml::Element body_element;
};

Result<Envelope> read_envelope(std::string_view soap) {
  auto doc = xml::Document::parse(soap, kMaxSoapBytes);
  if (!doc.ok()) return invalid_request("the SOAP message is not XML: " + doc.error().detail());
  const xml::Element root = doc->root();
  if (root.ns() != kSoapEnvNs || root.name() != "Envelope") return invalid_request("not a SOAP 1.1 envelope");
  if (root.has_direct_text()) return invalid_request("the SOAP envelope has text between its elements");
  std::optional<xml::Element> header, body;
  for (const xml::Element& c : root.children()) {
    if (c.ns() == kSoapEnvNs && c.name() == "Header" && !header && !body) {
      header = c;
    } else if (c.ns() == kSoapEnvNs && c.name() == "Body" && !body) {
      body = c;
    } else {
      return invalid_request("the SOAP envelope holds <" + std::string(c.name()).substr(0, 60) + "> out of place");
    }
  }
  if (!body) return invalid_request("the SOAP envelope has no Body");
  if (body->has_direct_text()) return invalid_request("the SOAP Body has text beside its element");
  const auto kids = body->children();
  if (kids.size() != 1) return invalid_request("the SOAP Body must hold exactly one element");
  return Envelope{std::move(doc).value(), header, kids.front()};
}

// The X-Road header fields, as written.
struct RawHeader {
  std::optional<RawId> client, service;
  std::optional<std::string> id, protocol_version, user_id;
};

Result<RawHeader> read_header(const xml::Element& header) {
  RawHeader h;
  for (const xml::Element& c : header.children()) {
    if (c.ns() != kXRoadNs) continue;  // other headers (extensions) are not ours to judge
    const std::string_view name = c.name();
    auto once = [&](bool present) -> Status {
      if (present) return invalid_request("the SOAP header repeats <" + std::string(name) + ">");
      return {};
    };
    if (name == "client") {
      ROADSIDE_TRY_STATUS(once(h.client.has_value()));
      ROADSIDE_TRY(h.client, read_id(c, kClientShape, {}));
    } else if (name == "service") {
      ROADSIDE_TRY_STATUS(once(h.service.has_value()));
      ROADSIDE_TRY(h.service, read_id(c, kServiceShape, "SERVICE"));
    } else if (name == "id") {
      ROADSIDE_TRY_STATUS(once(h.id.has_value()));
      ROADSIDE_TRY(h.id, read_text_field(c));
    } else if (name == "protocolVersion") {
      ROADSIDE_TRY_STATUS(once(h.protocol_version.has_value()));
      ROADSIDE_TRY(h.protocol_version, read_text_field(c));
    } else if (name == "userId") {
      ROADSIDE_TRY_STATUS(once(h.user_id.has_value()));
      ROADSIDE_TRY(h.user_id, read_text_field(c));
    }
  }
  return h;
}

}  // namespace

std::string_view service_code(RequestType type) noexcept {
  return info(type).code;
}

std::optional<RequestType> request_type_by_service_code(std::string_view code) noexcept {
  for (const auto& t : type_table()) {
    if (iequals(t.code, code)) return t.type;
  }
  return std::nullopt;
}

Signatures signatures_of(RequestType type) noexcept {
  return info(type).signatures;
}
bool is_client_request(RequestType type) noexcept {
  return info(type).client_request;
}

// ---- RequestBuilder ------------------------------------------------------------------------

RequestBuilder::RequestBuilder(XRoadId owner, XRoadId management_service, Random& random)
    : owner_(std::move(owner)), management_service_(std::move(management_service)), random_(&random) {}

Result<std::string> RequestBuilder::build(const RequestBody& body) const {
  const TypeInfo& t = info(body.type);
  if (owner_.type() != ObjectType::member) return invalid_argument("the sender must be the server owner, a MEMBER");
  if (!management_service_.is_client()) {
    return invalid_argument("managementRequestServiceProviderId must be a MEMBER or a SUBSYSTEM");
  }
  if (body.server.type() != ObjectType::server) return invalid_argument("the server must be a SERVER identifier");
  if (body.request_id) return invalid_argument("a request has no requestId");
  for (const FieldRule& rule : t.fields) {
    bool present = false;
    switch (rule.field) {
      case Field::server:
        present = true;
        break;
      case Field::client:
        present = body.client.has_value();
        break;
      case Field::address:
        present = body.address.has_value();
        break;
      case Field::auth_cert:
        present = body.auth_cert.has_value();
        break;
      case Field::dry_run:
        present = body.dry_run.has_value();
        break;
      case Field::subsystem_name:
        present = body.subsystem_name.has_value();
        break;
      case Field::message:
        present = body.message.has_value();
        break;
      case Field::request_id:
        present = false;
        break;
    }
    if (rule.required && !present) {
      return invalid_argument(std::string(t.code) + " needs " + std::string(field_name(rule.field)));
    }
  }
  if (body.client && !body.client->is_client()) return invalid_argument("the client must be a MEMBER or a SUBSYSTEM");
  for (const auto* text : {&body.address, &body.subsystem_name, &body.message}) {
    if (*text && text->value().size() > kMaxTextField) return invalid_argument("a text field is too long");
  }
  auto service = XRoadId::service(management_service_.instance(), management_service_.member_class(),
                                  management_service_.member_code(), management_service_.subsystem_code(), t.code);
  if (!service.ok()) return invalid_argument("the management service's identifier: " + service.error().detail());
  // Only the fields request.xsd gives this type are written.
  RequestBody clean;
  clean.type = body.type;
  clean.server = body.server;
  for (const FieldRule& rule : t.fields) {
    switch (rule.field) {
      case Field::client:
        clean.client = body.client;
        break;
      case Field::address:
        clean.address = body.address;
        break;
      case Field::auth_cert:
        clean.auth_cert = body.auth_cert;
        break;
      case Field::dry_run:
        clean.dry_run = body.dry_run;
        break;
      case Field::subsystem_name:
        clean.subsystem_name = body.subsystem_name;
        break;
      case Field::message:
        clean.message = body.message;
        break;
      case Field::server:
      case Field::request_id:
        break;
    }
  }
  const MessageHeader header{owner_, std::move(service).value(), random_->uuid(), "4.0"};
  return envelope(header, t.code, clean);
}

Result<std::string> RequestBuilder::client_reg(const XRoadId& server, const XRoadId& client,
                                               std::optional<std::string> subsystem_name) const {
  return build({.type = RequestType::client_reg,
                .server = server,
                .client = client,
                .subsystem_name = std::move(subsystem_name)});
}
Result<std::string> RequestBuilder::client_deletion(const XRoadId& server, const XRoadId& client) const {
  return build({.type = RequestType::client_deletion, .server = server, .client = client});
}
Result<std::string> RequestBuilder::auth_cert_reg(const XRoadId& server, std::string address,
                                                  std::string auth_cert_der) const {
  return build({.type = RequestType::auth_cert_reg,
                .server = server,
                .address = std::move(address),
                .auth_cert = std::move(auth_cert_der)});
}
Result<std::string> RequestBuilder::auth_cert_deletion(const XRoadId& server, std::string auth_cert_der) const {
  return build({.type = RequestType::auth_cert_deletion, .server = server, .auth_cert = std::move(auth_cert_der)});
}
Result<std::string> RequestBuilder::owner_change(const XRoadId& server, const XRoadId& new_owner) const {
  return build({.type = RequestType::owner_change, .server = server, .client = new_owner});
}
Result<std::string> RequestBuilder::address_change(const XRoadId& server, std::string address) const {
  return build({.type = RequestType::address_change, .server = server, .address = std::move(address)});
}
Result<std::string> RequestBuilder::client_disable(const XRoadId& server, const XRoadId& client) const {
  return build({.type = RequestType::client_disable, .server = server, .client = client});
}
Result<std::string> RequestBuilder::client_enable(const XRoadId& server, const XRoadId& client) const {
  return build({.type = RequestType::client_enable, .server = server, .client = client});
}
Result<std::string> RequestBuilder::client_rename(const XRoadId& server, const XRoadId& client,
                                                  std::string subsystem_name) const {
  return build({.type = RequestType::client_rename,
                .server = server,
                .client = client,
                .subsystem_name = std::move(subsystem_name)});
}
Result<std::string> RequestBuilder::maintenance_mode_enable(const XRoadId& server,
                                                            std::optional<std::string> message) const {
  return build({.type = RequestType::maintenance_mode_enable, .server = server, .message = std::move(message)});
}
Result<std::string> RequestBuilder::maintenance_mode_disable(const XRoadId& server) const {
  return build({.type = RequestType::maintenance_mode_disable, .server = server});
}

// ---- reading a request ---------------------------------------------------------------------

Result<SoapRequest> parse_soap_request(std::string_view soap) {
  ROADSIDE_TRY(Envelope env, read_envelope(soap));
  if (!env.header) return invalid_request("the SOAP message has no Header");
  ROADSIDE_TRY(RawHeader raw, read_header(*env.header));
  if (!raw.client) return invalid_request("the SOAP header has no client");
  if (!raw.service) return invalid_request("the SOAP header has no service");
  if (!raw.id || raw.id->empty()) return invalid_request("the SOAP header has no id");
  if (!raw.protocol_version) return invalid_request("the SOAP header has no protocolVersion");
  if (raw.protocol_version->substr(0, 2) != "4.") {
    return invalid_request("unsupported protocolVersion \"" + raw.protocol_version->substr(0, 20) +
                           "\" (4.x expected)");
  }
  auto client = XRoadId::create(*parse_object_type(raw.client->object_type), raw.client->parts);
  if (!client.ok() || !client->is_client())
    return invalid_request("the SOAP header's client is not a valid member or subsystem");
  auto service = XRoadId::create(ObjectType::service, raw.service->parts);
  if (!service.ok()) return invalid_request("the SOAP header's service is not valid: " + service.error().detail());
  const auto type = request_type_by_service_code(service->service_code());
  if (!type)
    return invalid_request("unknown management service code \"" + std::string(service->service_code()).substr(0, 40) +
                           "\"");
  const xml::Element& b = env.body_element;
  if (b.ns() != kXRoadNs || b.name() != service_code(*type)) {
    return invalid_request("the SOAP body element <" + std::string(b.name()).substr(0, 60) +
                           "> is not <xroad:" + std::string(service_code(*type)) + "> as the service code says");
  }
  ROADSIDE_TRY(RequestBody body, check_body(*type, b));
  return SoapRequest{{std::move(client).value(), std::move(service).value(), *raw.id, *raw.protocol_version},
                     std::move(body)};
}

std::string build_response(const SoapRequest& request, std::int64_t request_id) {
  RequestBody body = request.body;
  body.request_id = request_id;
  return envelope(request.header, std::string(service_code(body.type)) + "Response", body);
}

std::string build_fault(const Error& error) {
  std::string text = error.detail();
  if (text.size() > kMaxTextField) {
    text.resize(kMaxTextField);
    // Never end inside a UTF-8 sequence: drop a cut multi-byte character whole.
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0x80) != 0) text.pop_back();
  }
  return std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?><SOAP-ENV:Envelope xmlns:SOAP-ENV=\"") +
         std::string(kSoapEnvNs) + "\"><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>" + xml::escape(error.fault_code()) +
         "</faultcode><faultstring>" + xml::escape(text) +
         "</faultstring><faultactor></faultactor></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>";
}

// ---- reading a response ----------------------------------------------------------------------

std::optional<std::string> response_fault_code(std::string_view response) {
  auto env = read_envelope(response);
  if (!env.ok()) return std::nullopt;
  const xml::Element& b = env->body_element;
  if (b.ns() != kSoapEnvNs || b.name() != "Fault") return std::nullopt;
  return b.child_text("faultcode").value_or("").substr(0, 200);
}

Result<ResponseInfo> parse_response(std::string_view content_type, std::string_view response,
                                    std::optional<std::string_view> request_soap) {
  std::string_view base = content_type.substr(0, content_type.find(';'));
  base = collapse(base);
  if (!iequals(base, "text/xml")) {
    return make_error(errc::http_error, "unexpected or no content type (" + std::string(base.substr(0, 60)) +
                                            ") in the central server's response");
  }
  ROADSIDE_TRY(Envelope env, read_envelope(response));
  const xml::Element& b = env.body_element;
  if (b.ns() == kSoapEnvNs && b.name() == "Fault") {
    const std::string code = b.child_text("faultcode").value_or("");
    const std::string text = b.child_text("faultstring").value_or("");
    return make_error(errc::service_failed,
                      "the central server answered with a fault: " + code.substr(0, 200) + ": " + text.substr(0, 500));
  }
  if (!env.header) return invalid_request("the response has no SOAP header");
  ROADSIDE_TRY(RawHeader got, read_header(*env.header));
  const std::string_view name = b.name();
  constexpr std::string_view kSuffix = "Response";
  std::optional<RequestType> type;
  if (b.ns() == kXRoadNs && name.size() > kSuffix.size() && name.substr(name.size() - kSuffix.size()) == kSuffix) {
    type = request_type_by_service_code(name.substr(0, name.size() - kSuffix.size()));
  }
  if (!type || name.substr(0, name.size() - kSuffix.size()) != service_code(*type)) {
    return invalid_request("<" + std::string(name).substr(0, 60) + "> is not the response of a management service");
  }
  if (request_soap) {
    ROADSIDE_TRY(Envelope req, read_envelope(*request_soap));
    if (!req.header) return invalid_request("the request has no SOAP header");
    ROADSIDE_TRY(RawHeader sent, read_header(*req.header));
    auto differ = [](std::string_view field) {
      return make_error(errc::inconsistent_headers,
                        "field '" + std::string(field) + "' does not match in request and response");
    };
    if (sent.client != got.client) return differ("client");
    if (sent.service != got.service) return differ("service");
    if (sent.user_id != got.user_id) return differ("userId");
    if (sent.id != got.id) return differ("queryId");
  }
  ResponseInfo out;
  out.type = *type;
  // getElementsByTagNameNS(xroad, "requestId") on the body: the first in document order.
  std::vector<xml::Element> stack{b};
  std::size_t visited = 0;
  while (!stack.empty() && visited < 10000) {
    const xml::Element e = stack.back();
    stack.pop_back();
    ++visited;
    if (e.ns() == kXRoadNs && e.name() == "requestId") {
      // Integer.parseInt: an optional sign and digits, no whitespace, 32 bits.
      std::string text = e.text();
      std::string_view v = text;
      if (!v.empty() && v.front() == '+') v.remove_prefix(1);
      std::int32_t id = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
      if (ec == std::errc() && end == v.data() + v.size() && !v.empty()) out.request_id = id;
      break;
    }
    auto kids = e.children();
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back(*it);
  }
  return out;
}

}  // namespace roadside::management
