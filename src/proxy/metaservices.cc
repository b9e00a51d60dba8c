#include "proxy/metaservices.h"

#include <regex>

#include <nlohmann/json.hpp>

#include "proxy/errors.h"
#include "proxy/soap.h"
#include "xml/dom.h"
#include "xml/identifier_xml.h"

namespace roadside::proxy {

namespace {

Error bad(errc e, std::string detail) { return Error(make_error_code(e), std::move(detail)); }

}  // namespace

bool is_soap_metaservice(std::string_view code) { return code == "listMethods" || code == "allowedMethods" || code == "getWsdl"; }
bool is_rest_metaservice(std::string_view code) { return code == "listMethods" || code == "allowedMethods" || code == "getOpenAPI"; }

std::vector<const serverconf::Service*> listed_services(const serverconf::ServerConf& conf, const XRoadId& provider, bool soap,
                                                        const XRoadId* caller, const globalconf::SharedParameters* shared) {
  std::vector<const serverconf::Service*> out;
  for (const auto* s : conf.services_of(provider)) {
    if ((s->type == serverconf::ServiceType::wsdl) != soap) continue;
    if (caller && !conf.allowed(*caller, s->id, "", "", shared)) continue;
    out.push_back(s);
  }
  return out;
}

std::string soap_service_list(std::string_view metaservice, const std::vector<const serverconf::Service*>& services) {
  std::string out = "<xrd:" + std::string(metaservice) + "Response xmlns:xrd=\"" + std::string(xml::kXRoadNs) + "\" xmlns:id=\"" +
                    std::string(xml::kIdentifiersNs) + "\">";
  for (const auto* s : services) out += xml::identifier_to_xml(s->id, {"xrd", "service", xml::kXRoadNs});
  return out + "</xrd:" + std::string(metaservice) + "Response>";
}

std::string rest_service_list(const std::vector<const serverconf::Service*>& services) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto* s : services) {
    nlohmann::json endpoints = nlohmann::json::array();
    for (const auto& e : s->endpoints) endpoints.push_back({{"method", e.method}, {"path", e.path}});
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
  const std::string s(request);
  std::smatch env;
  if (!std::regex_search(s, env, std::regex("<([A-Za-z_][A-Za-z0-9_.-]*:)?Envelope[\\s>]"))) {
    return bad(errc::invalid_soap, "no Envelope start tag in the request");
  }
  const std::string prefix = env[1].str();
  const std::size_t env_start = static_cast<std::size_t>(env.position(0));
  const std::size_t env_end = s.find('>', env_start);
  const std::size_t header_start = s.find("<" + prefix + "Header", env_end);
  const std::string header_close = "</" + prefix + "Header>";
  const std::size_t header_end = s.find(header_close, header_start);
  if (header_start == std::string::npos || header_end == std::string::npos) return bad(errc::missing_header, "no Header in the request");
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + s.substr(env_start, env_end + 1 - env_start) +
         s.substr(header_start, header_end + header_close.size() - header_start) + "<" + prefix + "Body>" + std::string(body_xml) + "</" +
         prefix + "Body></" + prefix + "Envelope>";
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

std::string rewrite_wsdl_endpoints(std::string wsdl) {
  static const std::regex address("(<[A-Za-z0-9_.-]+:address\\s[^>]*location\\s*=\\s*\")[^\"]*(\")");
  return std::regex_replace(wsdl, address, "$1http://example.org/xroad-endpoint$2");
}

}  // namespace roadside::proxy
