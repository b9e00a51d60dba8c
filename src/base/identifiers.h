// X-Road identifiers (PR-MESS §2.1, identifiers.xsd) and their text and REST forms.
//
// Six object types, each with a fixed set of parts:
//   MEMBER       instance/class/code
//   SUBSYSTEM    instance/class/code/subsystem
//   SERVER       instance/class/code/serverCode
//   GLOBALGROUP  instance/groupCode
//   LOCALGROUP   groupCode
//   SERVICE      instance/class/code[/subsystem]/serviceCode[/serviceVersion]
//
// Every part is non-empty, at most 255 characters, and uses only X-Road's allowed
// characters: A-Z a-z 0-9 and ' ( ) + , - . = ? (PR-MESS §2.7, PR-REST §4.8).
//
// Text form, as X-Road writes identifiers in logs: "SUBSYSTEM:DEV/COM/1234/SUB".
// A SERVICE of five parts reads as instance/class/code/subsystem/service; a member-level
// service that has a version is written with an empty subsystem part
// ("SERVICE:DEV/COM/1234//getState/v1") so that it reads back unchanged.
//
// REST form (PR-REST §4.1, §4.3): the same parts without the type prefix, each
// percent-encoded, joined with "/"; the type comes from where the text is found
// (X-Road-Client: a client; X-Road-Security-Server: a server; /r1/...: a service).
// A REST service target always names a subsystem and never a version.
//
// The XML form (identifiers.xsd) lives in xml/identifier_xml.h.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace roadside {

enum class ObjectType { member, subsystem, server, global_group, local_group, service };

// "MEMBER", "SUBSYSTEM", "SERVER", "GLOBALGROUP", "LOCALGROUP", "SERVICE"
std::string_view to_string(ObjectType type) noexcept;
std::optional<ObjectType> parse_object_type(std::string_view text) noexcept;

// True when every character of `part` is in X-Road's allowed set (and it is non-empty).
bool is_valid_identifier_part(std::string_view part) noexcept;
inline constexpr std::size_t kMaxIdentifierPartLength = 255;

class XRoadId {
 public:
  // Every part as found; absent parts are std::nullopt. Used by parsers of all forms.
  struct Parts {
    std::optional<std::string> instance, member_class, member_code, subsystem_code, group_code,
        service_code, service_version, server_code;
    friend bool operator==(const Parts&, const Parts&) = default;
  };

  // An empty placeholder (a MEMBER without parts), only for aggregates that are filled in
  // later; every factory below returns a well-formed identifier.
  XRoadId() = default;

  // Validates that `parts` has exactly the parts `type` requires and allows, all well formed.
  static Result<XRoadId> create(ObjectType type, Parts parts);

  static Result<XRoadId> member(std::string_view instance, std::string_view member_class,
                                std::string_view member_code);
  static Result<XRoadId> subsystem(std::string_view instance, std::string_view member_class,
                                   std::string_view member_code, std::string_view subsystem_code);
  static Result<XRoadId> server(std::string_view instance, std::string_view member_class,
                                std::string_view member_code, std::string_view server_code);
  static Result<XRoadId> global_group(std::string_view instance, std::string_view group_code);
  static Result<XRoadId> local_group(std::string_view group_code);
  // `subsystem_code` and `service_version` may be empty, meaning absent.
  static Result<XRoadId> service(std::string_view instance, std::string_view member_class,
                                 std::string_view member_code, std::string_view subsystem_code,
                                 std::string_view service_code, std::string_view service_version = {});

  // Text form: "SUBSYSTEM:DEV/COM/1234/SUB".
  static Result<XRoadId> parse(std::string_view text);
  std::string to_string() const;

  ObjectType type() const noexcept { return type_; }
  const Parts& parts() const noexcept { return parts_; }
  // Absent parts read as "".
  std::string_view instance() const noexcept { return get(parts_.instance); }
  std::string_view member_class() const noexcept { return get(parts_.member_class); }
  std::string_view member_code() const noexcept { return get(parts_.member_code); }
  std::string_view subsystem_code() const noexcept { return get(parts_.subsystem_code); }
  std::string_view group_code() const noexcept { return get(parts_.group_code); }
  std::string_view service_code() const noexcept { return get(parts_.service_code); }
  std::string_view service_version() const noexcept { return get(parts_.service_version); }
  std::string_view server_code() const noexcept { return get(parts_.server_code); }

  bool is_client() const noexcept { return type_ == ObjectType::member || type_ == ObjectType::subsystem; }
  // The member a SUBSYSTEM, SERVER or SERVICE belongs to (a MEMBER is its own).
  // REQUIRES: type() is not GLOBALGROUP or LOCALGROUP.
  XRoadId owner_member() const;
  // The client (member or subsystem) that provides a SERVICE. REQUIRES: type() == SERVICE.
  XRoadId service_provider() const;

  friend bool operator==(const XRoadId& a, const XRoadId& b) { return a.type_ == b.type_ && a.parts_ == b.parts_; }
  friend std::strong_ordering operator<=>(const XRoadId& a, const XRoadId& b);

 private:
  XRoadId(ObjectType type, Parts parts) : type_(type), parts_(std::move(parts)) {}
  static std::string_view get(const std::optional<std::string>& p) noexcept {
    return p ? std::string_view(*p) : std::string_view();
  }

  ObjectType type_ = ObjectType::member;
  Parts parts_;
};

// ---- REST forms (PR-REST) -------------------------------------------------------------

// Percent-encodes one path segment: everything but A-Z a-z 0-9 - . _ ~ becomes %XX.
std::string percent_encode_segment(std::string_view text);
// Decodes %XX escapes; "+" stays "+". Fails on a truncated or non-hex escape.
Result<std::string> percent_decode(std::string_view text);

// The parts of `id` percent-encoded and joined with "/": "DEV/COM/1234/SUB".
// For a SERVICE this is the REST target form, which needs a subsystem and no version;
// a service without a subsystem or with a version has no REST form and yields an error.
Result<std::string> to_rest_path(const XRoadId& id);
// Reads the REST form of an identifier of the given type.
Result<XRoadId> parse_rest_path(ObjectType type, std::string_view text);

// X-Road-Client header: a MEMBER (3 parts) or SUBSYSTEM (4 parts).
Result<XRoadId> parse_rest_client(std::string_view header_value);

// A REST request target: "/r1/INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/path][?query]".
struct RestTarget {
  XRoadId service;
  std::string path;   // "" or "/..." as sent (still percent-encoded)
  std::string query;  // "" or the text after "?" (without it)
};
Result<RestTarget> parse_rest_target(std::string_view request_target);
Result<std::string> format_rest_target(const XRoadId& service, std::string_view path = {},
                                       std::string_view query = {});

}  // namespace roadside
