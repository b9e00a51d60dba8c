// URI references as RFC 3986 resolves them, for an OpenAPI server URL relative to the address
// its description came from.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace roadside::servicedesc {

// The scheme of `uri` in lower case, or "" when it has none (a relative reference).
std::string uri_scheme(std::string_view uri);

// `reference` resolved against `base` (RFC 3986 section 5.2, dot segments removed);
// std::nullopt when `base` has no scheme.
std::optional<std::string> resolve_uri(std::string_view base, std::string_view reference);

}  // namespace roadside::servicedesc
