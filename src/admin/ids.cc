#include "admin/ids.h"

#include <vector>

namespace roadside::admin {

namespace {

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto colon = text.find(':');
    parts.push_back(text.substr(0, colon));
    if (colon == std::string_view::npos || parts.size() > 5) break;
    text.remove_prefix(colon + 1);
  }
  return parts;
}

}  // namespace

std::string api_id(const XRoadId& id) {
  std::string out =
      std::string(id.instance()) + ":" + std::string(id.member_class()) + ":" + std::string(id.member_code());
  if (id.type() == ObjectType::subsystem) out += ":" + std::string(id.subsystem_code());
  if (id.type() == ObjectType::server) out += ":" + std::string(id.server_code());
  return out;
}

std::optional<XRoadId> parse_client_id(std::string_view text) {
  const auto p = split(text);
  Result<XRoadId> id = p.size() == 3   ? XRoadId::member(p[0], p[1], p[2])
                       : p.size() == 4 ? XRoadId::subsystem(p[0], p[1], p[2], p[3])
                                       : Result<XRoadId>(Error(std::make_error_code(std::errc::invalid_argument), ""));
  if (!id.ok()) return std::nullopt;
  return *id;
}

std::optional<XRoadId> parse_server_id(std::string_view text) {
  const auto p = split(text);
  if (p.size() != 4) return std::nullopt;
  auto id = XRoadId::server(p[0], p[1], p[2], p[3]);
  if (!id.ok()) return std::nullopt;
  return *id;
}

}  // namespace roadside::admin
