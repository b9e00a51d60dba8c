#include "base/identifiers.h"

#include <algorithm>
#include <array>
#include <compare>
#include <vector>

#include "base/errors.h"

namespace roadside {
namespace {

constexpr std::array<std::pair<ObjectType, std::string_view>, 6> kTypeNames{{
    {ObjectType::member, "MEMBER"},
    {ObjectType::subsystem, "SUBSYSTEM"},
    {ObjectType::server, "SERVER"},
    {ObjectType::global_group, "GLOBALGROUP"},
    {ObjectType::local_group, "LOCALGROUP"},
    {ObjectType::service, "SERVICE"},
}};

Error invalid(std::string detail) { return make_error(base::errc::invalid_identifier, std::move(detail)); }

// Which parts each type requires (R), allows (O) or forbids (-).
enum class Need { forbidden, required, optional };
struct Shape {
  Need instance, member_class, member_code, subsystem_code, group_code, service_code, service_version,
      server_code;
};

Shape shape_of(ObjectType t) {
  using enum Need;
  switch (t) {
    case ObjectType::member: return {required, required, required, forbidden, forbidden, forbidden, forbidden, forbidden};
    case ObjectType::subsystem: return {required, required, required, required, forbidden, forbidden, forbidden, forbidden};
    case ObjectType::server: return {required, required, required, forbidden, forbidden, forbidden, forbidden, required};
    case ObjectType::global_group: return {required, forbidden, forbidden, forbidden, required, forbidden, forbidden, forbidden};
    case ObjectType::local_group: return {forbidden, forbidden, forbidden, forbidden, required, forbidden, forbidden, forbidden};
    case ObjectType::service: return {required, required, required, optional, forbidden, required, optional, forbidden};
  }
  return {};
}

Status check_part(ObjectType type, std::string_view name, Need need, const std::optional<std::string>& value) {
  const std::string_view tname = to_string(type);
  if (!value) {
    if (need == Need::required) return invalid(std::string(tname) + " identifier is missing " + std::string(name));
    return {};
  }
  if (need == Need::forbidden) {
    return invalid(std::string(tname) + " identifier must not have " + std::string(name));
  }
  if (value->empty()) return invalid(std::string(tname) + " identifier has an empty " + std::string(name));
  if (value->size() > kMaxIdentifierPartLength) {
    return invalid(std::string(name) + " is longer than " + std::to_string(kMaxIdentifierPartLength) + " characters");
  }
  for (unsigned char c : *value) {
    if (!is_valid_identifier_part(std::string_view(reinterpret_cast<const char*>(&c), 1))) {
      std::string shown = (c >= 0x20 && c < 0x7f) ? "'" + std::string(1, static_cast<char>(c)) + "'"
                                                   : "byte 0x" + std::string(1, "0123456789abcdef"[c >> 4]) +
                                                         std::string(1, "0123456789abcdef"[c & 15]);
      return invalid(std::string(name) + " \"" + *value + "\" contains " + shown +
                     ", which X-Road identifiers do not allow (allowed: A-Z a-z 0-9 and '()+,-.=?)");
    }
  }
  return {};
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(text.substr(start));
      return out;
    }
    out.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

std::optional<std::string> opt(std::string_view s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(std::string(s));
}

// Assigns split segments to the parts of `type`; the number of segments must fit.
Result<XRoadId> from_segments(ObjectType type, const std::vector<std::string>& seg, bool rest) {
  XRoadId::Parts p;
  const std::string tname(to_string(type));
  auto count_error = [&](const char* expected) {
    return invalid(tname + " identifier needs " + expected + ", got " + std::to_string(seg.size()) +
                   " part" + (seg.size() == 1 ? "" : "s"));
  };
  auto s = [&](std::size_t i) { return std::optional<std::string>(seg[i]); };
  switch (type) {
    case ObjectType::member:
      if (seg.size() != 3) return count_error("3 parts (instance/class/code)");
      p.instance = s(0), p.member_class = s(1), p.member_code = s(2);
      break;
    case ObjectType::subsystem:
      if (seg.size() != 4) return count_error("4 parts (instance/class/code/subsystem)");
      p.instance = s(0), p.member_class = s(1), p.member_code = s(2), p.subsystem_code = s(3);
      break;
    case ObjectType::server:
      if (seg.size() != 4) return count_error("4 parts (instance/class/code/serverCode)");
      p.instance = s(0), p.member_class = s(1), p.member_code = s(2), p.server_code = s(3);
      break;
    case ObjectType::global_group:
      if (seg.size() != 2) return count_error("2 parts (instance/groupCode)");
      p.instance = s(0), p.group_code = s(1);
      break;
    case ObjectType::local_group:
      if (seg.size() != 1) return count_error("1 part (groupCode)");
      p.group_code = s(0);
      break;
    case ObjectType::service:
      if (rest) {
        if (seg.size() != 5) return count_error("5 parts (instance/class/code/subsystem/service)");
        p.instance = s(0), p.member_class = s(1), p.member_code = s(2), p.subsystem_code = s(3),
        p.service_code = s(4);
        break;
      }
      if (seg.size() < 4 || seg.size() > 6) {
        return count_error("4 to 6 parts (instance/class/code[/subsystem]/service[/version])");
      }
      p.instance = s(0), p.member_class = s(1), p.member_code = s(2);
      if (seg.size() == 4) {
        p.service_code = s(3);
      } else {
        // An empty subsystem part marks a member-level service ("DEV/COM/1234//svc/v1").
        if (seg.size() == 6 && seg[3].empty()) {
          p.subsystem_code = std::nullopt;
        } else {
          p.subsystem_code = s(3);
        }
        p.service_code = s(4);
        if (seg.size() == 6) p.service_version = s(5);
      }
      break;
  }
  return XRoadId::create(type, std::move(p));
}

}  // namespace

std::string_view to_string(ObjectType type) noexcept {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type) return name;
  }
  return "UNKNOWN";
}

std::optional<ObjectType> parse_object_type(std::string_view text) noexcept {
  for (const auto& [t, name] : kTypeNames) {
    if (name == text) return t;
  }
  return std::nullopt;
}

bool is_valid_identifier_part(std::string_view part) noexcept {
  if (part.empty()) return false;
  for (char c : part) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    std::string_view("'()+,-.=?").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

Result<XRoadId> XRoadId::create(ObjectType type, Parts parts) {
  const Shape sh = shape_of(type);
  ROADSIDE_TRY_STATUS(check_part(type, "xRoadInstance", sh.instance, parts.instance));
  ROADSIDE_TRY_STATUS(check_part(type, "memberClass", sh.member_class, parts.member_class));
  ROADSIDE_TRY_STATUS(check_part(type, "memberCode", sh.member_code, parts.member_code));
  ROADSIDE_TRY_STATUS(check_part(type, "subsystemCode", sh.subsystem_code, parts.subsystem_code));
  ROADSIDE_TRY_STATUS(check_part(type, "groupCode", sh.group_code, parts.group_code));
  ROADSIDE_TRY_STATUS(check_part(type, "serviceCode", sh.service_code, parts.service_code));
  ROADSIDE_TRY_STATUS(check_part(type, "serviceVersion", sh.service_version, parts.service_version));
  ROADSIDE_TRY_STATUS(check_part(type, "serverCode", sh.server_code, parts.server_code));
  return XRoadId(type, std::move(parts));
}

Result<XRoadId> XRoadId::member(std::string_view instance, std::string_view member_class,
                                std::string_view member_code) {
  Parts p;
  p.instance = std::string(instance), p.member_class = std::string(member_class);
  p.member_code = std::string(member_code);
  return create(ObjectType::member, std::move(p));
}

Result<XRoadId> XRoadId::subsystem(std::string_view instance, std::string_view member_class,
                                   std::string_view member_code, std::string_view subsystem_code) {
  Parts p;
  p.instance = std::string(instance), p.member_class = std::string(member_class);
  p.member_code = std::string(member_code), p.subsystem_code = std::string(subsystem_code);
  return create(ObjectType::subsystem, std::move(p));
}

Result<XRoadId> XRoadId::server(std::string_view instance, std::string_view member_class,
                                std::string_view member_code, std::string_view server_code) {
  Parts p;
  p.instance = std::string(instance), p.member_class = std::string(member_class);
  p.member_code = std::string(member_code), p.server_code = std::string(server_code);
  return create(ObjectType::server, std::move(p));
}

Result<XRoadId> XRoadId::global_group(std::string_view instance, std::string_view group_code) {
  Parts p;
  p.instance = std::string(instance), p.group_code = std::string(group_code);
  return create(ObjectType::global_group, std::move(p));
}

Result<XRoadId> XRoadId::local_group(std::string_view group_code) {
  Parts p;
  p.group_code = std::string(group_code);
  return create(ObjectType::local_group, std::move(p));
}

Result<XRoadId> XRoadId::service(std::string_view instance, std::string_view member_class,
                                 std::string_view member_code, std::string_view subsystem_code,
                                 std::string_view service_code, std::string_view service_version) {
  Parts p;
  p.instance = std::string(instance), p.member_class = std::string(member_class);
  p.member_code = std::string(member_code), p.subsystem_code = opt(subsystem_code);
  p.service_code = std::string(service_code), p.service_version = opt(service_version);
  return create(ObjectType::service, std::move(p));
}

Result<XRoadId> XRoadId::parse(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return invalid("identifier \"" + std::string(text) + "\" has no object type (expected e.g. SUBSYSTEM:DEV/COM/1234/SUB)");
  }
  const std::string_view type_text = text.substr(0, colon);
  const auto type = parse_object_type(type_text);
  if (!type) {
    return invalid("unknown object type \"" + std::string(type_text) +
                   "\" (expected MEMBER, SUBSYSTEM, SERVER, GLOBALGROUP, LOCALGROUP or SERVICE)");
  }
  std::vector<std::string> seg;
  for (auto s : split(text.substr(colon + 1), '/')) seg.emplace_back(s);
  auto id = from_segments(*type, seg, /*rest=*/false);
  if (!id.ok()) return std::move(id).error().context("identifier \"" + std::string(text) + "\"");
  return id;
}

std::string XRoadId::to_string() const {
  std::string out(roadside::to_string(type_));
  out += ':';
  bool first = true;
  auto add = [&](const std::optional<std::string>& p) {
    if (!p) return;
    if (!first) out += '/';
    out += *p;
    first = false;
  };
  add(parts_.instance);
  add(parts_.member_class);
  add(parts_.member_code);
  if (type_ == ObjectType::service && !parts_.subsystem_code && parts_.service_version) {
    out += '/';  // empty subsystem part keeps a versioned member-level service unambiguous
  }
  add(parts_.subsystem_code);
  add(parts_.group_code);
  add(parts_.service_code);
  add(parts_.service_version);
  add(parts_.server_code);
  return out;
}

XRoadId XRoadId::owner_member() const {
  Parts p;
  p.instance = parts_.instance, p.member_class = parts_.member_class, p.member_code = parts_.member_code;
  return XRoadId(ObjectType::member, std::move(p));
}

XRoadId XRoadId::service_provider() const {
  Parts p;
  p.instance = parts_.instance, p.member_class = parts_.member_class, p.member_code = parts_.member_code;
  p.subsystem_code = parts_.subsystem_code;
  return XRoadId(p.subsystem_code ? ObjectType::subsystem : ObjectType::member, std::move(p));
}

std::strong_ordering operator<=>(const XRoadId& a, const XRoadId& b) {
  if (auto c = a.type_ <=> b.type_; std::is_neq(c)) return c;
  return a.to_string() <=> b.to_string();
}

// ---- REST ---------------------------------------------------------------------------

std::string percent_encode_segment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<std::string> percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) {
      return invalid("truncated percent escape in \"" + std::string(text) + "\"");
    }
    const int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0) return invalid("bad percent escape in \"" + std::string(text) + "\"");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

Result<std::string> to_rest_path(const XRoadId& id) {
  const auto& p = id.parts();
  if (id.type() == ObjectType::service) {
    if (!p.subsystem_code) {
      return invalid(id.to_string() + " has no REST form: REST services belong to a subsystem");
    }
    if (p.service_version) {
      return invalid(id.to_string() + " has no REST form: REST services have no version");
    }
  }
  std::string out;
  for (const auto* part : {&p.instance, &p.member_class, &p.member_code, &p.subsystem_code, &p.group_code,
                           &p.service_code, &p.service_version, &p.server_code}) {
    if (!*part) continue;
    if (!out.empty()) out += '/';
    out += percent_encode_segment(**part);
  }
  return out;
}

Result<XRoadId> parse_rest_path(ObjectType type, std::string_view text) {
  std::vector<std::string> seg;
  for (auto s : split(text, '/')) {
    ROADSIDE_TRY(std::string decoded, percent_decode(s));
    seg.push_back(std::move(decoded));
  }
  return from_segments(type, seg, /*rest=*/true);
}

Result<XRoadId> parse_rest_client(std::string_view header_value) {
  const std::size_t parts = static_cast<std::size_t>(std::count(header_value.begin(), header_value.end(), '/')) + 1;
  if (parts != 3 && parts != 4) {
    return invalid("X-Road-Client \"" + std::string(header_value) +
                   "\" must be INSTANCE/CLASS/MEMBER or INSTANCE/CLASS/MEMBER/SUBSYSTEM");
  }
  auto id = parse_rest_path(parts == 3 ? ObjectType::member : ObjectType::subsystem, header_value);
  if (!id.ok()) return std::move(id).error().context("X-Road-Client");
  return id;
}

Result<RestTarget> parse_rest_target(std::string_view target) {
  constexpr std::string_view kPrefix = "/r1/";
  if (target.substr(0, kPrefix.size()) != kPrefix) {
    return invalid("REST request target must start with /r1/");
  }
  std::string_view rest = target.substr(kPrefix.size());
  std::string query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  // The service identifier is the first five segments; the rest is the service's own path.
  std::size_t pos = std::string_view::npos;
  for (int slashes = 0, i = 0; i < static_cast<int>(rest.size()); ++i) {
    if (rest[static_cast<std::size_t>(i)] == '/' && ++slashes == 5) {
      pos = static_cast<std::size_t>(i);
      break;
    }
  }
  std::string_view id_text = pos == std::string_view::npos ? rest : rest.substr(0, pos);
  std::string path = pos == std::string_view::npos ? "" : std::string(rest.substr(pos));
  auto id = parse_rest_path(ObjectType::service, id_text);
  if (!id.ok()) return std::move(id).error().context("REST service in \"" + std::string(target) + "\"");
  return RestTarget{std::move(id).value(), std::move(path), std::move(query)};
}

Result<std::string> format_rest_target(const XRoadId& service, std::string_view path, std::string_view query) {
  if (service.type() != ObjectType::service) {
    return invalid(service.to_string() + " is not a SERVICE");
  }
  ROADSIDE_TRY(std::string ids, to_rest_path(service));
  std::string out = "/r1/" + ids;
  if (!path.empty()) {
    if (path.front() != '/') out += '/';
    out += path;
  }
  if (!query.empty()) {
    out += '?';
    out += query;
  }
  return out;
}

}  // namespace roadside
