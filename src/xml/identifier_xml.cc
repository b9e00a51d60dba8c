#include "xml/identifier_xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <array>
#include <memory>

#include "base/errors.h"

namespace roadside::xml {
namespace {

Error invalid(std::string detail) { return make_error(base::errc::invalid_identifier, std::move(detail)); }

const xmlChar* X(std::string_view s) { return reinterpret_cast<const xmlChar*>(s.data()); }
std::string_view S(const xmlChar* s) { return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view(); }

struct DocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using DocPtr = std::unique_ptr<xmlDoc, DocDeleter>;

// Schema order of the child elements, with the Parts field each fills.
using PartField = std::optional<std::string> XRoadId::Parts::*;
constexpr std::array<std::pair<std::string_view, PartField>, 8> kChildren{{
    {"xRoadInstance", &XRoadId::Parts::instance},
    {"memberClass", &XRoadId::Parts::member_class},
    {"memberCode", &XRoadId::Parts::member_code},
    {"subsystemCode", &XRoadId::Parts::subsystem_code},
    {"groupCode", &XRoadId::Parts::group_code},
    {"serviceCode", &XRoadId::Parts::service_code},
    {"serviceVersion", &XRoadId::Parts::service_version},
    {"serverCode", &XRoadId::Parts::server_code},
}};

bool in_ns(const xmlNode* n, std::string_view ns) { return n->ns && S(n->ns->href) == ns; }

}  // namespace

std::string identifier_to_xml(const XRoadId& id, ElementName element) {
  ensure_initialized();
  DocPtr doc(xmlNewDoc(X("1.0")));
  xmlNode* root = xmlNewDocNode(doc.get(), nullptr, X(std::string(element.local)), nullptr);
  xmlDocSetRootElement(doc.get(), root);
  xmlNs* id_ns = xmlNewNs(root, X(kIdentifiersNs), X("id"));
  if (element.ns == kIdentifiersNs) {
    xmlSetNs(root, id_ns);
  } else if (!element.ns.empty()) {
    xmlSetNs(root, xmlNewNs(root, X(std::string(element.ns)), X(std::string(element.prefix))));
  }
  xmlNewNsProp(root, id_ns, X("objectType"), X(std::string(to_string(id.type()))));
  for (const auto& [name, field] : kChildren) {
    const auto& value = id.parts().*field;
    if (value) xmlNewTextChild(root, id_ns, X(std::string(name)), X(*value));
  }
  xmlBuffer* buf = xmlBufferCreate();
  xmlNodeDump(buf, doc.get(), root, 0, 0);
  std::string out(reinterpret_cast<const char*>(xmlBufferContent(buf)), static_cast<std::size_t>(xmlBufferLength(buf)));
  xmlBufferFree(buf);
  return out;
}

Result<XRoadId> identifier_from_xml(std::string_view xml) {
  if (xml.size() > kMaxIdentifierXml) {
    return invalid("identifier XML is larger than " + std::to_string(kMaxIdentifierXml) + " bytes");
  }
  auto doc = Document::parse(xml, kMaxIdentifierXml);
  if (!doc.ok()) return invalid("identifier is " + doc.error().detail());
  return identifier_from_element(doc->root());
}

Result<XRoadId> identifier_from_element(const Element& element) {
  const xmlNode* root = static_cast<const xmlNode*>(element.native());
  const xmlChar* type_attr = xmlGetNsProp(root, X("objectType"), X(kIdentifiersNs));
  if (!type_attr) return invalid("identifier element <" + std::string(S(root->name)) + "> has no id:objectType attribute");
  const std::string type_text(S(type_attr));
  xmlFree(const_cast<xmlChar*>(type_attr));
  const auto type = parse_object_type(type_text);
  if (!type) return invalid("unknown id:objectType \"" + type_text + "\"");

  XRoadId::Parts parts;
  std::size_t next = 0;  // index in kChildren the next element may have
  for (const xmlNode* n = root->children; n; n = n->next) {
    if (n->type == XML_COMMENT_NODE) continue;
    if (n->type == XML_TEXT_NODE) {
      if (!xmlIsBlankNode(const_cast<xmlNode*>(n))) return invalid("unexpected text in identifier element");
      continue;
    }
    if (n->type != XML_ELEMENT_NODE) return invalid("unexpected content in identifier element");
    if (!in_ns(n, kIdentifiersNs)) {
      return invalid("element <" + std::string(S(n->name)) + "> is not in the identifiers namespace");
    }
    const std::string_view name = S(n->name);
    std::size_t i = 0;
    while (i < kChildren.size() && kChildren[i].first != name) ++i;
    if (i == kChildren.size()) return invalid("unknown identifier element <" + std::string(name) + ">");
    if (i < next) return invalid("identifier element <" + std::string(name) + "> is out of order or repeated");
    next = i + 1;
    for (const xmlNode* c = n->children; c; c = c->next) {
      if (c->type == XML_ELEMENT_NODE) return invalid("<" + std::string(name) + "> must hold text only");
    }
    xmlChar* content = xmlNodeGetContent(n);
    parts.*(kChildren[i].second) = std::string(S(content));
    xmlFree(content);
  }
  return XRoadId::create(*type, std::move(parts));
}

}  // namespace roadside::xml
