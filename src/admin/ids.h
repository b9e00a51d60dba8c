// Identifiers as X-Road's admin API writes them in paths and bodies: a client (member or
// subsystem) "INSTANCE:CLASS:CODE[:SUBSYSTEM]", a security server
// "INSTANCE:CLASS:CODE:SERVERCODE". (X-Road's own parts may not contain ':'.)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/identifiers.h"

namespace roadside::admin {

std::string api_id(const XRoadId& id);
// A client: 3 parts a member, 4 a subsystem. nullopt for anything else.
std::optional<XRoadId> parse_client_id(std::string_view text);
// A security server: 4 parts.
std::optional<XRoadId> parse_server_id(std::string_view text);

}  // namespace roadside::admin
