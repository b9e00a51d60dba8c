#include "xml/dom.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <optional>

#include <boost/algorithm/string/predicate.hpp>

#include "base/errors.h"
#include "xml/markup.h"

namespace roadside::xml {
namespace {

const xmlNode* N(const void* p) { return static_cast<const xmlNode*>(p); }
std::string_view S(const xmlChar* s) { return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view(); }

}  // namespace

std::string_view Element::name() const { return S(N(node_)->name); }
std::string_view Element::ns() const { return N(node_)->ns ? S(N(node_)->ns->href) : std::string_view(); }
std::string_view Element::prefix() const {
  return N(node_)->ns && N(node_)->ns->prefix ? S(N(node_)->ns->prefix) : std::string_view();
}

std::string Element::text() const {
  xmlChar* c = xmlNodeGetContent(N(node_));
  std::string out(S(c));
  xmlFree(c);
  return out;
}

std::optional<std::string> Element::attribute(std::string_view name, std::string_view ns) const {
  const std::string n(name), s(ns);
  xmlChar* v = ns.empty() ? xmlGetNoNsProp(N(node_), reinterpret_cast<const xmlChar*>(n.c_str()))
                          : xmlGetNsProp(N(node_), reinterpret_cast<const xmlChar*>(n.c_str()),
                                         reinterpret_cast<const xmlChar*>(s.c_str()));
  if (!v) return std::nullopt;
  std::string out(S(v));
  xmlFree(v);
  return out;
}

std::vector<Element> Element::children() const {
  std::vector<Element> out;
  for (const xmlNode* c = N(node_)->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) out.emplace_back(c);
  }
  return out;
}

std::vector<Element> Element::children(std::string_view name) const {
  std::vector<Element> out;
  for (const auto& c : children()) {
    if (c.name() == name) out.push_back(c);
  }
  return out;
}

std::optional<Element> Element::child(std::string_view name) const {
  for (const xmlNode* c = N(node_)->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE && S(c->name) == name) return Element(c);
  }
  return std::nullopt;
}

std::optional<std::string> Element::child_text(std::string_view name) const {
  auto c = child(name);
  if (!c) return std::nullopt;
  return c->text();
}

bool Element::has_direct_text() const {
  for (const xmlNode* c = N(node_)->children; c; c = c->next) {
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && !xmlIsBlankNode(const_cast<xmlNode*>(c))) {
      return true;
    }
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> Element::attributes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const xmlAttr* a = N(node_)->properties; a; a = a->next) {
    out.emplace_back(a->ns ? std::string(S(a->ns->href)) : std::string(), std::string(S(a->name)));
  }
  return out;
}

std::optional<std::string> Element::namespace_uri(std::string_view prefix) const {
  // The "xml" prefix is bound by definition; asked for it, xmlSearchNs would add its
  // declaration to the document, and a parsed Document is never written to (threads share it).
  if (prefix == "xml") return std::string("http://www.w3.org/XML/1998/namespace");
  const std::string p(prefix);
  // For any other prefix xmlSearchNs only reads the tree; it takes a non-const node all the same.
  auto* node = const_cast<xmlNode*>(N(node_));
  const xmlNs* ns = xmlSearchNs(node->doc, node, p.empty() ? nullptr : reinterpret_cast<const xmlChar*>(p.c_str()));
  if (!ns || !ns->href) return std::nullopt;
  return std::string(S(ns->href));
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      // A parser turns a literal CR into LF, and tab, CR and LF in an attribute value into
      // spaces; a character reference reads back as the character.
      case '\t':
        out += "&#9;";
        break;
      case '\n':
        out += "&#10;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default: out += c;
    }
  }
  return out;
}

namespace {

void ignore_error(void*, const char*, ...) {}

}  // namespace

void ensure_initialized() {
  static const bool init = [] {
    xmlInitParser();
    xmlThrDefSetGenericErrorFunc(nullptr, ignore_error);
    return true;
  }();
  // libxml2 reports encoding and I/O errors on its generic channel, stderr by default, even
  // with XML_PARSE_NOERROR: text from untrusted input outside the JSON log. Each call's
  // result carries the error; the channel stays silent (its handler is per thread).
  thread_local const bool quiet = [] {
    xmlSetGenericErrorFunc(nullptr, ignore_error);
    return true;
  }();
  (void)init;
  (void)quiet;
}

namespace {

// A document type declaration stops the parser as soon as it is seen, before any entity it
// declares is read: X-Road refuses a DOCTYPE in every message, and without one no entity
// can expand (an internal entity referenced a thousand times turns kilobytes into a gigabyte
// when the text is read).
void refuse_doctype(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) { xmlStopParser(static_cast<xmlParserCtxtPtr>(ctx)); }

// The encoding named in the XML declaration, if the document starts with one that names it.
std::optional<std::string_view> declared_encoding(std::string_view bytes) {
  if (bytes.substr(0, 6) != "<?xml " && bytes.substr(0, 6) != "<?xml\t" && bytes.substr(0, 6) != "<?xml\n" &&
      bytes.substr(0, 6) != "<?xml\r") {
    return std::nullopt;
  }
  const std::size_t end = bytes.substr(0, 1024).find("?>");
  if (end == std::string_view::npos) return std::nullopt;  // not a declaration libxml2 accepts either
  const std::string_view declaration = bytes.substr(0, end);
  const auto range = attribute_value_range(declaration, "encoding");
  if (!range) return std::nullopt;
  return declaration.substr(range->first, range->second - range->first);
}

}  // namespace

Result<Document> Document::parse(std::string_view bytes, std::size_t max_bytes) {
  ensure_initialized();
  if (bytes.size() > max_bytes) {
    return make_error(base::errc::invalid_argument, "XML document larger than " + std::to_string(max_bytes) + " bytes");
  }
  std::unique_ptr<xmlParserCtxt, void (*)(xmlParserCtxtPtr)> ctxt(xmlNewParserCtxt(), xmlFreeParserCtxt);
  if (!ctxt) return make_error(base::errc::invalid_argument, "cannot make an XML parser (out of memory)");
  // X-Road's messages are UTF-8, and so is every byte-level scan of a document here (the
  // metaservice envelope, the request hash, the WSDL rewrite): the bytes are read as UTF-8
  // whatever their declaration says, so the parser and the scans never see two different
  // documents in one. A UTF-16 byte-order mark is refused by name; any other byte that is not
  // UTF-8 is a well-formedness error.
  if (bytes.substr(0, 2) == "\xFE\xFF" || bytes.substr(0, 2) == "\xFF\xFE") {
    return make_error(base::errc::invalid_argument, "the XML document is not UTF-8 (it is UTF-16 or UTF-32); X-Road's messages are UTF-8");
  }
  // XML allows no NUL (UTF-16 and UTF-32 text without a byte-order mark has them), and
  // libxml2 takes one for the end of the input: whatever follows it would be unseen by the
  // parser and seen by the byte-level scans.
  if (const auto nul = bytes.find('\0'); nul != std::string_view::npos) {
    return make_error(base::errc::invalid_argument, "the XML document has a NUL byte at offset " + std::to_string(nul) +
                                                        " (XML allows none; is it UTF-16?)");
  }
  if (auto declared = declared_encoding(bytes); declared && !boost::algorithm::iequals(*declared, "UTF-8")) {
    return make_error(base::errc::invalid_argument,
                      "the XML document declares encoding \"" + std::string(declared->substr(0, 40)) + "\"; X-Road's messages are UTF-8");
  }
  ctxt->sax->internalSubset = refuse_doctype;
  xmlDoc* doc = xmlCtxtReadMemory(ctxt.get(), bytes.data(), static_cast<int>(bytes.size()), nullptr, "UTF-8",
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_IGNORE_ENC);
  if (ctxt->errNo == XML_ERR_USER_STOP) {
    if (doc) xmlFreeDoc(doc);
    return make_error(base::errc::invalid_argument, "the XML document has a DOCTYPE (document type declarations are not allowed)");
  }
  if (!doc) {
    const xmlError* e = xmlCtxtGetLastError(ctxt.get());
    std::string why = e && e->message ? e->message : "parse error";
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return make_error(base::errc::invalid_argument,
                      "not well-formed XML" + (e ? " (line " + std::to_string(e->line) + ": " + why + ")" : ""));
  }
  if (!xmlDocGetRootElement(doc)) {
    xmlFreeDoc(doc);
    return make_error(base::errc::invalid_argument, "XML document has no root element");
  }
  return Document(std::shared_ptr<void>(doc, [](void* d) { xmlFreeDoc(static_cast<xmlDoc*>(d)); }));
}

Element Document::root() const { return Element(xmlDocGetRootElement(static_cast<xmlDoc*>(doc_.get()))); }

}  // namespace roadside::xml
