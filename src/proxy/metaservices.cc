#include "proxy/metaservices.h"

#include <nlohmann/json.hpp>

#include "base/random.h"
#include "crypto/encoding.h"
#include "proxy/errors.h"
#include "proxy/soap.h"
#include "xml/dom.h"
#include "xml/identifier_xml.h"
#include "xml/markup.h"

namespace roadside::proxy {

namespace {

Error bad(errc e, std::string detail) {
  return Error(make_error_code(e), std::move(detail));
}

}  // namespace

bool is_soap_metaservice(std::string_view code) {
  return code == "listMethods" || code == "allowedMethods" || code == "getWsdl";
}
bool is_rest_metaservice(std::string_view code) {
  return code == "listMethods" || code == "allowedMethods" || code == "getOpenAPI";
}

std::vector<const serverconf::Service*> listed_services(const serverconf::ServerConf& conf, const XRoadId& provider,
                                                        bool soap, const XRoadId* caller,
                                                        const globalconf::SharedParameters* shared) {
  std::vector<const serverconf::Service*> out;
  for (const auto* s : conf.services_of(provider)) {
    if ((s->type == serverconf::ServiceType::wsdl) != soap) continue;
    if (caller && !conf.allowed_service(*caller, s->id, shared)) continue;
    out.push_back(s);
  }
  return out;
}

std::string soap_service_list(std::string_view metaservice, const std::vector<const serverconf::Service*>& services) {
  std::string out = "<xrd:" + std::string(metaservice) + "Response xmlns:xrd=\"" + std::string(xml::kXRoadNs) +
                    "\" xmlns:id=\"" + std::string(xml::kIdentifiersNs) + "\">";
  for (const auto* s : services) out += xml::identifier_to_xml(s->id, {"xrd", "service", xml::kXRoadNs});
  return out + "</xrd:" + std::string(metaservice) + "Response>";
}

std::string rest_service_list(const std::vector<const serverconf::Service*>& services) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto* s : services) {
    nlohmann::json endpoints = nlohmann::json::array();
    for (const auto& e : s->endpoints) {
      if (!e.is_base()) endpoints.push_back({{"method", e.method}, {"path", e.path}});  // as X-Road lists them
    }
    list.push_back({{"member_class", s->id.member_class()},
                    {"member_code", s->id.member_code()},
                    {"object_type", "SERVICE"},
                    {"service_code", s->id.service_code()},
                    {"service_type", s->type == serverconf::ServiceType::openapi ? "OPENAPI" : "REST"},
                    {"subsystem_code", s->id.subsystem_code()},
                    {"xroad_instance", s->id.instance()},
                    {"endpoint_list", endpoints}});
  }
  return nlohmann::json{{"service", list}}.dump();
}

Result<std::string> soap_response_envelope(std::string_view request, std::string_view body_xml) {
  // The Envelope's start tag and its Header element, found in one linear pass over the tags.
  std::optional<xml::Tag> envelope;
  std::size_t header_begin = std::string_view::npos, header_end = std::string_view::npos;
  const bool well_formed = xml::scan_tags(request, [&](const xml::Tag& t) {
    if (!envelope) {
      envelope = t;
      return t.kind == xml::Tag::Kind::start;
    }
    if (t.depth != 1 || t.local_name() != "Header") return true;
    if (t.kind != xml::Tag::Kind::end) header_begin = t.begin;
    if (t.kind != xml::Tag::Kind::start) header_end = t.end;
    return t.kind == xml::Tag::Kind::start;
  });
  if (!well_formed || !envelope || envelope->local_name() != "Envelope" || envelope->kind != xml::Tag::Kind::start) {
    return bad(errc::invalid_soap, "no Envelope start tag in the request");
  }
  if (header_begin == std::string_view::npos || header_end == std::string_view::npos)
    return bad(errc::missing_header, "no Header in the request");
  const std::string prefix = envelope->prefix().empty() ? std::string() : std::string(envelope->prefix()) + ":";
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
         std::string(request.substr(envelope->begin, envelope->end - envelope->begin)) +
         std::string(request.substr(header_begin, header_end - header_begin)) + "<" + prefix + "Body>" +
         std::string(body_xml) + "</" + prefix + "Body></" + prefix + "Envelope>";
}

Result<SoapMessage> soap_answer(std::string_view request, std::string_view body_xml) {
  SoapMessage out;
  ROADSIDE_TRY(out.soap, soap_response_envelope(request, body_xml));
  out.soap_content_type = "text/xml; charset=UTF-8";
  out.content_type = out.soap_content_type;
  return out;
}

void attach(SoapMessage& answer, HeaderList headers, net::Payload body) {
  if (!answer.multipart) {
    answer.multipart = true;
    answer.content_type = "multipart/related; type=\"text/xml\"; charset=UTF-8; boundary=xatt" +
                          crypto::to_hex(Random::system().bytes(12));
  }
  answer.attachments.push_back({std::move(headers), std::move(body)});
}

Result<std::pair<std::string, std::string>> get_wsdl_target(std::string_view request) {
  auto doc = xml::Document::parse(request, kMaxSoapBytes);
  if (!doc.ok()) return bad(errc::invalid_soap, "the getWsdl request is not XML");
  auto body = doc->root().child("Body");
  auto call = body ? body->child("getWsdl") : std::nullopt;
  if (!call) return bad(errc::invalid_body, "the getWsdl request has no getWsdl element");
  auto code = call->child_text("serviceCode");
  if (!code || code->empty()) return bad(errc::invalid_body, "getWsdl names no serviceCode");
  return std::make_pair(*code, call->child_text("serviceVersion").value_or(""));
}

Result<std::string> rewrite_wsdl_endpoints(std::string_view wsdl) {
  auto doc = xml::Document::parse(wsdl, kMaxSoapBytes);
  if (!doc.ok()) return bad(errc::service_invalid_response, "the WSDL is not usable XML: " + doc.error().detail());
  constexpr std::string_view kEndpoint = "http://example.org/xroad-endpoint";
  std::string out;
  out.reserve(wsdl.size());
  std::size_t copied = 0;
  xml::scan_tags(wsdl, [&](const xml::Tag& t) {
    // Every address element's location, whatever its prefix or namespace (soap:, soap12:,
    // http:, a default namespace): the point is that no internal URL leaves this server.
    if (t.kind == xml::Tag::Kind::end || t.local_name() != "address") return true;
    auto value = xml::attribute_value_range(wsdl.substr(t.begin, t.end - t.begin), "location");
    if (!value) return true;
    out.append(wsdl.substr(copied, t.begin + value->first - copied));
    out.append(kEndpoint);
    copied = t.begin + value->second;
    return true;
  });
  out.append(wsdl.substr(copied));
  return out;
}

}  // namespace roadside::proxy
