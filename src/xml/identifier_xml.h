// The XML form of X-Road identifiers (identifiers.xsd, PR-MESS Annex A):
//
//   <xrd:client xmlns:id="http://x-road.eu/xsd/identifiers" id:objectType="SUBSYSTEM">
//     <id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass>
//     <id:memberCode>1234</id:memberCode><id:subsystemCode>SUB</id:subsystemCode>
//   </xrd:client>
//
// Child elements are in the identifiers namespace, in the schema's order, each at most
// once; the objectType attribute is in the identifiers namespace too.
#pragma once

#include <string>
#include <string_view>

#include "base/identifiers.h"
#include "base/result.h"
#include "xml/dom.h"

namespace roadside::xml {

inline constexpr std::string_view kIdentifiersNs = "http://x-road.eu/xsd/identifiers";
inline constexpr std::string_view kXRoadNs = "http://x-road.eu/xsd/xroad.xsd";
// Identifier documents larger than this are refused before parsing.
inline constexpr std::size_t kMaxIdentifierXml = 64 * 1024;

struct ElementName {
  std::string_view prefix = "id";
  std::string_view local = "identifier";
  std::string_view ns = kIdentifiersNs;
};

// A standalone element (no XML declaration) holding `id`; an empty `ns` gives an unqualified
// element (as in keyconf.xml's memberId and shared-params' groupMember).
std::string identifier_to_xml(const XRoadId& id, ElementName element = {});

// Reads an identifier from a document whose root element is the identifier element.
Result<XRoadId> identifier_from_xml(std::string_view xml);
// Reads an identifier from an element of a parsed document (a SOAP header, shared-params).
Result<XRoadId> identifier_from_element(const Element& element);

}  // namespace roadside::xml
