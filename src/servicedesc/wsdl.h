// Reading a WSDL as X-Road's admin service does (WsdlParser, wsdl4j with imports off): the
// SOAP services it describes, each with the code, version, title and address X-Road stores.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "servicedesc/errors.h"

namespace roadside::servicedesc {

// One service of a WSDL: an operation of a binding that a port of a wsdl:service offers over
// SOAP 1.1 or 1.2 on HTTP.
struct WsdlService {
  std::string code;                    // the binding operation's name
  std::optional<std::string> version;  // its <xroad:version> (any element named "version" there, as
                                       // X-Road reads it); std::nullopt when absent or empty
  std::optional<std::string> title;    // <xroad:title> in the port type operation's wsdl:documentation
  std::optional<std::string> url;      // the port's soap:address (or soap12:address) location

  // "code.version", or "code" without a version: X-Road's full service code.
  std::string full_code() const;
  bool operator==(const WsdlService&) const = default;
};

struct WsdlLimits {
  std::size_t max_bytes = 10 * 1024 * 1024;  // X-Road's MAX_DESCRIPTION_SIZE
  // Markup ('<' characters: an upper bound on elements) a document may have, so a small
  // document cannot make the DOM many times its size. libxml2 refuses nesting past 256.
  std::size_t max_markup = 500'000;
};

// The services of the WSDL `bytes` fetched from `url` (named in details only), in document
// order; a service code.version offered by several ports appears once, with the last port's
// values, as in X-Road. Then the check X-Road makes of every WSDL it reads,
// check_service_identifiers (services.h).
// Not followed, as in X-Road: wsdl:import and XML Schema imports. Unlike X-Road, the bytes
// must be UTF-8 (X-Road's messages are; xml::Document reads nothing else).
// Refusals:
//   invalid_wsdl: over a limit, not well-formed, a DOCTYPE (so no entity, external or not, is
//     ever read), a root other than WSDL 1.1 wsdl:definitions (a SOAP fault, WSDL 2.0), or a
//     binding operation without a name. Metadata: the cause, as X-Road gives its parser's.
//   invalid_wsdl_service_identifier: see check_service_identifiers.
Outcome<std::vector<WsdlService>> parse_wsdl(std::string_view bytes, std::string_view url,
                                             const WsdlLimits& limits = {});

}  // namespace roadside::servicedesc
