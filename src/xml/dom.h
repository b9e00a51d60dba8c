// A small read-only DOM over libxml2, for every XML document Roadside reads (SOAP messages,
// WSDLs, anchors, global configuration parts, signatures). Parsing never touches the
// network, refuses a document type declaration (so no entity is ever declared or expanded),
// and refuses documents over a size limit.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace roadside::xml {

// A view of one element; valid while its Document lives.
class Element {
 public:
  std::string_view name() const;       // local name
  std::string_view ns() const;         // namespace URI, "" if none
  std::string_view prefix() const;     // namespace prefix as written, "" if none
  std::string text() const;            // concatenated text content
  std::optional<std::string> attribute(std::string_view name, std::string_view ns = {}) const;
  std::vector<Element> children() const;                     // element children, in order
  std::vector<Element> children(std::string_view name) const;  // ... with this local name
  std::optional<Element> child(std::string_view name) const;   // the first with this local name
  // Text of the first child with this local name, or std::nullopt.
  std::optional<std::string> child_text(std::string_view name) const;
  // Whether a direct child is text (or CDATA) other than whitespace: mixed content, which
  // element-only schema types refuse.
  bool has_direct_text() const;
  // Every attribute as {namespace URI ("" if none), local name}; namespace declarations
  // are not attributes.
  std::vector<std::pair<std::string, std::string>> attributes() const;
  // The namespace URI `prefix` names where this element stands ("" asks for the default
  // namespace), for attribute values that are qualified names (a WSDL's binding="tns:x");
  // std::nullopt when no declaration in scope binds it.
  std::optional<std::string> namespace_uri(std::string_view prefix) const;

  explicit Element(const void* node) : node_(node) {}
  const void* native() const { return node_; }  // xmlNode*, for xml/ internals

 private:
  const void* node_;  // xmlNode*
};

// `text` escaped for XML character data and attribute values (&, <, >, "; tab, LF and CR as
// character references), so that it reads back the same in either.
std::string escape(std::string_view text);

// Initializes libxml2 once per process; every entry point of this module calls it first.
void ensure_initialized();

class Document {
 public:
  // errc::invalid_argument: over max_bytes, not well-formed, a DOCTYPE, or no root element.
  static Result<Document> parse(std::string_view bytes, std::size_t max_bytes = 16 * 1024 * 1024);
  Element root() const;
  const std::shared_ptr<void>& native() const { return doc_; }  // xmlDoc*, for xml/ internals

 private:
  explicit Document(std::shared_ptr<void> doc) : doc_(std::move(doc)) {}
  std::shared_ptr<void> doc_;
};

}  // namespace roadside::xml
