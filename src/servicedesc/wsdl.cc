#include "servicedesc/wsdl.h"

#include <algorithm>
#include <map>

#include "servicedesc/services.h"
#include "xml/dom.h"

namespace roadside::servicedesc {
namespace {

constexpr std::string_view kWsdlNs = "http://schemas.xmlsoap.org/wsdl/";
constexpr std::string_view kSoapNs = "http://schemas.xmlsoap.org/wsdl/soap/";
constexpr std::string_view kSoap12Ns = "http://schemas.xmlsoap.org/wsdl/soap12/";
constexpr std::string_view kSoapOverHttp = "http://schemas.xmlsoap.org/soap/http";

Failure invalid(std::string_view url, const std::string& why) {
  // X-Road's metadata for a WSDL its parser refuses is the parser's message.
  return {errc::invalid_wsdl, "WSDL from " + std::string(url) + ": " + why, {why}};
}

// Java's String.trim(): every character up to U+0020 at either end.
std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && static_cast<unsigned char>(s[b]) <= ' ') ++b;
  while (e > b && static_cast<unsigned char>(s[e - 1]) <= ' ') --e;
  return std::string(s.substr(b, e - b));
}

bool is_wsdl(const xml::Element& e, std::string_view name) {
  return e.ns() == kWsdlNs && e.name() == name;
}

// A qualified name in an attribute ("tns:binding") as namespace URI and local name.
struct QName {
  std::optional<std::string> ns;
  std::string local;
};
QName resolve_qname(const xml::Element& at, std::string_view text) {
  const auto colon = text.find(':');
  const std::string_view prefix = colon == std::string_view::npos ? std::string_view() : text.substr(0, colon);
  return {at.namespace_uri(prefix), std::string(colon == std::string_view::npos ? text : text.substr(colon + 1))};
}

// The top-level definitions of one kind (wsdl:binding, wsdl:portType) by name. wsdl4j keeps
// them by qualified name in the document's target namespace; with imports off, there is no
// other namespace a reference could find one in.
std::map<std::string, xml::Element, std::less<>> definitions_named(const xml::Element& root, std::string_view kind) {
  std::map<std::string, xml::Element, std::less<>> out;
  for (const auto& e : root.children()) {
    if (!is_wsdl(e, kind)) continue;
    if (auto name = e.attribute("name")) out.emplace(*name, e);
  }
  return out;
}

const xml::Element* find_definition(const std::map<std::string, xml::Element, std::less<>>& defs,
                                    const xml::Element& at, const std::optional<std::string>& reference,
                                    std::string_view target_ns) {
  if (!reference) return nullptr;
  const QName q = resolve_qname(at, *reference);
  if (q.ns.value_or("") != target_ns) return nullptr;
  const auto it = defs.find(q.local);
  return it == defs.end() ? nullptr : &it->second;
}

// Extensibility elements are a WSDL element's children from other namespaces; wsdl4j reads
// the first soap:binding or soap12:binding and takes the port only for SOAP over HTTP.
bool soap_over_http(const xml::Element& binding) {
  for (const auto& e : binding.children()) {
    if (e.name() == "binding" && (e.ns() == kSoapNs || e.ns() == kSoap12Ns)) {
      return e.attribute("transport").value_or("") == kSoapOverHttp;
    }
  }
  return false;
}

std::optional<std::string> soap_address(const xml::Element& port) {
  for (const auto& e : port.children()) {
    if (e.name() == "address" && (e.ns() == kSoapNs || e.ns() == kSoap12Ns)) return e.attribute("location");
  }
  return std::nullopt;
}

// X-Road's getValue: an element's text, trimmed; std::nullopt for an element without content.
std::optional<std::string> value_of(const xml::Element& e) {
  std::string text = trim(e.text());
  if (text.empty()) return std::nullopt;
  return text;
}

std::optional<std::string> version_of(const xml::Element& operation) {
  for (const auto& e : operation.children()) {
    if (e.ns() != kWsdlNs && e.name() == "version") return value_of(e);
  }
  return std::nullopt;
}

// The title of the port type operation a binding operation implements: the first element
// named "title" in its wsdl:documentation.
std::optional<std::string> title_of(const xml::Element* port_type, std::string_view operation) {
  if (!port_type) return std::nullopt;
  for (const auto& op : port_type->children()) {
    if (!is_wsdl(op, "operation") || op.attribute("name") != operation) continue;
    for (const auto& doc : op.children()) {
      if (!is_wsdl(doc, "documentation")) continue;
      if (auto title = doc.child("title")) return value_of(*title);
      return std::nullopt;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::string WsdlService::full_code() const {
  return version ? code + "." + *version : code;
}

Outcome<std::vector<WsdlService>> parse_wsdl(std::string_view bytes, std::string_view url, const WsdlLimits& limits) {
  if (bytes.size() > limits.max_bytes) {
    return invalid(url, "Size exceeds " + std::to_string(limits.max_bytes) + " bytes.");
  }
  if (static_cast<std::size_t>(std::count(bytes.begin(), bytes.end(), '<')) > limits.max_markup) {
    return invalid(url, "more than " + std::to_string(limits.max_markup) + " tags");
  }
  auto doc = xml::Document::parse(bytes, limits.max_bytes);
  if (!doc.ok()) return invalid(url, doc.error().detail());
  const xml::Element root = doc->root();
  if (!is_wsdl(root, "definitions")) {
    return invalid(url, "Expected element '{" + std::string(kWsdlNs) + "}definitions', found '{" +
                            std::string(root.ns()) + "}" + std::string(root.name()) + "'");
  }
  const std::string target_ns = root.attribute("targetNamespace").value_or("");
  const auto bindings = definitions_named(root, "binding");
  const auto port_types = definitions_named(root, "portType");

  std::vector<WsdlService> services;
  std::map<std::string, std::size_t> index;  // code + version -> position, as X-Road's map key
  for (const auto& service : root.children()) {
    if (!is_wsdl(service, "service")) continue;
    for (const auto& port : service.children()) {
      if (!is_wsdl(port, "port")) continue;
      const xml::Element* binding = find_definition(bindings, port, port.attribute("binding"), target_ns);
      if (!binding || !soap_over_http(*binding)) continue;
      const std::optional<std::string> address = soap_address(port);
      const xml::Element* port_type = find_definition(port_types, *binding, binding->attribute("type"), target_ns);
      for (const auto& operation : binding->children()) {
        if (!is_wsdl(operation, "operation")) continue;
        auto name = operation.attribute("name");
        if (!name)
          return invalid(url, "an operation of binding " + binding->attribute("name").value_or("") + " has no name");
        WsdlService s{*name, version_of(operation), title_of(port_type, *name), address};
        const std::string key = s.code + '\n' + s.version.value_or("");
        if (auto [it, fresh] = index.emplace(key, services.size()); !fresh) {
          services[it->second] = std::move(s);
        } else {
          services.push_back(std::move(s));
        }
      }
    }
  }
  if (auto bad = check_service_identifiers(services)) return std::move(*bad);
  return services;
}

}  // namespace roadside::servicedesc
