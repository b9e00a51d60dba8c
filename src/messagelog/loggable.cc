#include "messagelog/loggable.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "base/errors.h"
#include "messagelog/rest_part.h"
#include "messagelog/zip.h"
#include "xml/dom.h"
#include "xml/identifier_xml.h"

namespace roadside::messagelog {
namespace {

constexpr std::string_view kSoapNs = "http://schemas.xmlsoap.org/soap/envelope/";
constexpr std::string_view kReprNs = "http://x-road.eu/xsd/representation.xsd";
// The envelope of a SOAP message the proxies take is parsed in memory up to this size.
constexpr std::size_t kMaxSoapBytes = 64u << 20;

Error log_failed(std::string detail) {
  return Error(make_error_code(errc::log_failed), std::move(detail));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// An XML name without a prefix, ASCII only (a service code may hold characters that are not).
bool is_ncname(std::string_view s) {
  if (s.empty()) return false;
  auto start = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  return start(s.front()) && std::all_of(s.begin() + 1, s.end(), [&](char c) {
           return start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
         });
}

std::optional<xml::Element> first_child(const xml::Element& parent, std::string_view ns, std::string_view name) {
  for (const auto& c : parent.children(name)) {
    if (c.ns() == ns) return c;
  }
  return std::nullopt;
}

// A text-only header field as X-Road's JAXB marshaller writes it.
std::string text_field(std::string_view name, const std::string& text) {
  const std::string n = "xroad:" + std::string(name);
  return "<" + n + ">" + xml::escape(text) + "</" + n + ">";
}

// The header fields X-Road keeps, in its SoapHeader's order.
Result<std::string> metadata_header(const xml::Element& header, std::string* service_code) {
  std::string out;
  const std::string ns(xml::kXRoadNs);
  for (std::string_view id_field : {"client", "service"}) {
    auto e = first_child(header, ns, id_field);
    if (!e) continue;
    auto id = xml::identifier_from_element(*e);
    if (!id.ok()) return log_failed("the SOAP header's " + std::string(id_field) + ": " + id.error().detail());
    if (id_field == "service") *service_code = std::string(id->service_code());
    out += xml::identifier_to_xml(*id, {"xroad", id_field, xml::kXRoadNs});
  }
  if (auto e = first_child(header, ns, "userId")) out += text_field("userId", e->text());
  if (auto e = first_child(header, kReprNs, "representedParty")) {
    out += "<repr:representedParty xmlns:repr=\"" + std::string(kReprNs) + "\">";
    for (std::string_view part : {"partyClass", "partyCode"}) {
      if (auto p = first_child(*e, kReprNs, part)) {
        out += "<repr:" + std::string(part) + ">" + xml::escape(p->text()) + "</repr:" + std::string(part) + ">";
      }
    }
    out += "</repr:representedParty>";
  }
  if (auto e = first_child(header, ns, "issue")) out += text_field("issue", e->text());
  if (auto e = first_child(header, ns, "id")) out += text_field("id", e->text());
  if (auto e = first_child(header, ns, "requestHash")) {
    out += "<xroad:requestHash";
    if (auto alg = e->attribute("algorithmId")) out += " algorithmId=\"" + xml::escape(*alg) + "\"";
    out += ">" + xml::escape(e->text()) + "</xroad:requestHash>";
  }
  if (auto e = first_child(header, ns, "protocolVersion")) out += text_field("protocolVersion", e->text());
  return out;
}

// PR-REST §4.3's headers, with the targeting extension's.
constexpr std::array<std::string_view, 10> kXRoadRestHeaders = {
    "X-Road-Client",       "X-Road-Service",    "X-Road-Id",    "X-Road-UserId",          "X-Road-Issue",
    "X-Road-Request-Hash", "X-Road-Request-Id", "X-Road-Error", "X-Road-Security-Server", "X-Road-Represented-Party"};

bool is_xroad_rest_header(std::string_view name) {
  return std::any_of(kXRoadRestHeaders.begin(), kXRoadRestHeaders.end(),
                     [&](std::string_view h) { return iequals(h, name); });
}

Error invalid_option(std::string_view option, const Error& e) {
  return Error(make_error_code(base::errc::invalid_argument), "messagelog." + std::string(option) + ": " + e.detail());
}

}  // namespace

Result<std::vector<XRoadId>> parse_subsystem_list(std::string_view text) {
  std::vector<XRoadId> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find(',', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view entry = trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (entry.empty()) continue;
    std::vector<std::string_view> parts;
    std::size_t p = 0;
    while (true) {
      const std::size_t slash = entry.find('/', p);
      parts.push_back(trim(entry.substr(p, slash == std::string_view::npos ? std::string_view::npos : slash - p)));
      if (slash == std::string_view::npos) break;
      p = slash + 1;
    }
    const std::string shown(entry.substr(0, 300));
    if (parts.size() != 4) {
      return Error(
          make_error_code(base::errc::invalid_argument),
          "each entry must be a subsystem id of four slash-separated parts, as \"FI/ORG/1234567-1/subsystem1\": \"" +
              shown + "\"");
    }
    auto id = XRoadId::subsystem(parts[0], parts[1], parts[2], parts[3]);
    if (!id.ok())
      return Error(make_error_code(base::errc::invalid_argument), "\"" + shown + "\": " + id.error().detail());
    out.push_back(std::move(id).value());
  }
  return out;
}

Result<LoggingPolicy> LoggingPolicy::from_options(const LoggingOptions& o) {
  struct List {
    std::string_view option;
    const std::string& text;
    bool enabled;  // an enabled-* list (used while body logging is off)
    bool local;
  };
  const List lists[] = {
      {"enabled_body_logging_local_producer_subsystems", o.enabled_local_producers, true, true},
      {"enabled_body_logging_remote_producer_subsystems", o.enabled_remote_producers, true, false},
      {"disabled_body_logging_local_producer_subsystems", o.disabled_local_producers, false, true},
      {"disabled_body_logging_remote_producer_subsystems", o.disabled_remote_producers, false, false}};
  LoggingPolicy policy;
  policy.body_logging = o.body_logging;
  policy.max_loggable_body_bytes = o.max_loggable_body_bytes;
  policy.truncated_body_allowed = o.truncated_body_allowed;
  for (const auto& l : lists) {
    auto ids = parse_subsystem_list(l.text);
    if (!ids.ok()) return invalid_option(l.option, ids.error());
    if (ids->empty()) continue;
    if (l.enabled == o.body_logging) {
      return Error(make_error_code(base::errc::invalid_argument),
                   "messagelog." + std::string(l.option) + " must not be set when messagelog.body_logging is " +
                       (o.body_logging ? "true" : "false"));
    }
    auto& into = l.local ? policy.local_producer_overrides : policy.remote_producer_overrides;
    into = std::move(ids).value();
  }
  return policy;
}

bool body_logged(const LoggingPolicy& policy, const XRoadId& service_provider, bool server_side) {
  const auto& overrides = server_side ? policy.local_producer_overrides : policy.remote_producer_overrides;
  const bool overridden = std::find(overrides.begin(), overrides.end(), service_provider) != overrides.end();
  return policy.body_logging != overridden;
}

Result<std::string> metadata_only_soap(std::string_view soap, bool response) {
  auto doc = xml::Document::parse(soap, kMaxSoapBytes);
  if (!doc.ok()) return log_failed("the SOAP message to log: " + doc.error().detail());
  const xml::Element envelope = doc->root();
  auto header = first_child(envelope, kSoapNs, "Header");
  auto body = first_child(envelope, kSoapNs, "Body");
  if (envelope.name() != "Envelope" || envelope.ns() != kSoapNs || !header || !body) {
    return log_failed("the message to log is not a SOAP 1.1 envelope with a header and a body");
  }
  std::string service_code;
  auto fields = metadata_header(*header, &service_code);
  if (!fields.ok()) return fields.error();
  // X-Road's SoapBuilder names the body's element after the service code; a code that is not
  // an XML name (identifiers allow "(", "+", ...) keeps the original element's name.
  std::string element = service_code.empty() ? std::string() : service_code + (response ? "Response" : "");
  if (!is_ncname(element)) {
    const auto children = body->children();
    element = children.empty() ? std::string() : std::string(children.front().name());
    // (A name the parser let through that is no XML name, "prod:2etRandom" say, is not kept.)
    if (!is_ncname(element)) element = "body";
  }
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" + std::string(kSoapNs) +
         "\" xmlns:id=\"" + std::string(xml::kIdentifiersNs) + "\" xmlns:xroad=\"" + std::string(xml::kXRoadNs) +
         "\"><SOAP-ENV:Header>" + *fields + "</SOAP-ENV:Header><SOAP-ENV:Body><xroad:" + element +
         "/></SOAP-ENV:Body></SOAP-ENV:Envelope>";
}

Result<std::string> metadata_only_rest(std::string_view part) {
  const RestPartLines lines = rest_part_lines(part);
  std::string out(lines.first);
  out += "\r\n";
  if (is_rest_response_part(part)) {
    out += lines.second;
  } else {
    const std::string_view target = lines.second.substr(0, lines.second.find('?'));
    auto t = parse_rest_target(target);
    if (!t.ok()) return log_failed("the REST request to log: " + t.error().detail());
    out += target.substr(0, target.size() - t->path.size());
  }
  out += "\r\n";
  for (const auto& h : lines.headers) {
    if (!is_xroad_rest_header(h.name)) continue;
    out.append(h.name).append(":").append(h.value).append("\r\n");
  }
  return out;
}

BodyDecision loggable_body(std::uint64_t size, std::uint64_t max, bool truncated_allowed) {
  using A = BodyDecision::Action;
  if (max == 0) return {A::drop, 0};
  if (size <= max) return {A::keep, size};
  if (truncated_allowed) return {A::truncate, max};
  return {A::refuse, 0};
}

Result<MessageRecordInput> loggable_record(const LoggingPolicy& policy, LogEntry entry) {
  MessageRecordInput r = std::move(entry.record);
  r.body_logged = body_logged(policy, entry.service_provider, entry.server_side);
  if (!r.body_logged) {
    auto message = entry.rest ? metadata_only_rest(r.message) : metadata_only_soap(r.message, r.response);
    if (!message.ok()) return message.error();
    r.message = std::move(message).value();
    r.attachments.clear();
    return r;
  }
  if (!entry.rest && r.hash_chain_result) {
    r.attachments.clear();
    return r;
  }
  std::vector<net::Payload> kept;
  for (auto& a : r.attachments) {
    const BodyDecision d = loggable_body(a.size(), policy.max_loggable_body_bytes, policy.truncated_body_allowed);
    switch (d.action) {
      case BodyDecision::Action::keep:
        kept.push_back(std::move(a));
        break;
      case BodyDecision::Action::truncate:
        kept.push_back(a.slice(0, d.bytes));
        break;
      case BodyDecision::Action::drop:
        break;
      case BodyDecision::Action::refuse:
        return Error(make_error_code(errc::body_too_large),
                     "a message body of " + std::to_string(a.size()) + " bytes is over the largest loggable size (" +
                         std::to_string(policy.max_loggable_body_bytes) + " bytes)");
    }
  }
  r.attachments = std::move(kept);
  return r;
}

}  // namespace roadside::messagelog
