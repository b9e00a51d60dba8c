// Reading an OpenAPI 3 description as X-Road's admin service does (OpenApiParser over
// swagger-parser): the base URL of the service it describes, its endpoints as X-Road stores
// them, and warnings the user may choose to ignore.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "servicedesc/document.h"
#include "servicedesc/errors.h"

namespace roadside::servicedesc {

// An operation as an X-Road endpoint: the method in upper case and the path with each
// template parameter ({id}, up to the last '}' before the next '/') replaced by '*'.
struct Endpoint {
  std::string method;                                            // GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, TRACE
  std::string path;                                              // "/pets/*"
  std::string to_string() const { return method + " " + path; }  // X-Road's endpoint code
  bool operator==(const Endpoint&) const = default;
};

struct OpenApiDescription {
  std::string version;   // the "openapi" field
  std::string base_url;  // the service's URL (see parse_openapi)
  std::vector<Endpoint> endpoints;
  std::vector<std::string> warnings;  // swagger-parser's kind of messages ("attribute info is missing")
  // X-Road's warning for these: openapi_validation_warnings with them, when there are any.
  std::vector<Warning> validation_warnings() const;
};

struct OpenApiLimits {
  std::size_t max_bytes = 10 * 1024 * 1024;  // X-Road's MAX_DESCRIPTION_SIZE
  DocumentLimits document;
};

// The OpenAPI description `bytes` (JSON or YAML, UTF-8) fetched from `url`.
// Base URL: servers[0].url (the default server "/" without servers), resolved against `url`;
// an absolute URL with template variables ("https://{host}/r1") is kept as written, as X-Road
// keeps it (variables are not replaced by their defaults), a relative one is resolved.
// Endpoints: every operation of every path item, in document order; a path item's local
// $ref ("#/...") is followed. Warnings (not refusals, as in X-Road): missing info, title,
// version or (3.0) paths and responses, keys the specification does not define (x-* aside),
// and path template parameters no path parameter declares (local $refs followed).
// Refusals:
//   openapi_parsing_error (metadata: the cause): `url` not http(s) ("Invalid protocol"), over
//     a limit, not UTF-8, not JSON or YAML, a key twice in one mapping (duplicateendpoint.yaml:
//     two "get" under one path), not a mapping, no "openapi" field, the same method and path
//     twice once templates are '*', or a base URL that is not http(s) with a host.
//   unsupported_openapi_version: "openapi" neither 3.0.x nor 3.1.0 (X-Road's test: 3.1.1 is
//     refused).
Outcome<OpenApiDescription> parse_openapi(std::string_view bytes, std::string_view url,
                                          const OpenApiLimits& limits = {});

// What a refresh does to a description's endpoints.
struct EndpointChanges {
  std::vector<Endpoint> added;    // in the new description only
  std::vector<Endpoint> removed;  // in the old one only
  bool empty() const { return added.empty() && removed.empty(); }
};
EndpointChanges diff_endpoints(const std::vector<Endpoint>& before, const std::vector<Endpoint>& after);

// adding_endpoints and deleting_endpoints, each with its endpoints as "GET /path", when not
// empty (the warnings X-Road's OpenAPI refresh gives).
std::vector<Warning> change_warnings(const EndpointChanges& changes);

}  // namespace roadside::servicedesc
