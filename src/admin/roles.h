// X-Road's five administrator roles and the permissions each grants, as X-Road's Security
// Server admin API has them (admin-service permissions.yml): an API key holds roles, an
// endpoint requires one permission, and a caller may use the endpoint when one of its roles
// grants that permission.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace roadside::admin {

enum class Role : std::uint8_t {
  security_officer,
  registration_officer,
  service_administrator,
  system_administrator,
  securityserver_observer,
};

// X-Road's names: "XROAD_SECURITY_OFFICER", ...
std::string_view role_name(Role role) noexcept;
std::optional<Role> parse_role(std::string_view name) noexcept;

// A set of roles.
class Roles {
 public:
  Roles() = default;
  static Roles all() noexcept;
  // Roles from X-Road's names; std::nullopt names the first unknown one in `unknown`.
  static std::optional<Roles> parse(std::span<const std::string> names, std::string* unknown = nullptr);
  // From the stored form: names joined by commas (what to_string gives).
  static std::optional<Roles> from_string(std::string_view joined);

  Roles& add(Role role) noexcept {
    bits_ |= bit(role);
    return *this;
  }
  bool has(Role role) const noexcept { return (bits_ & bit(role)) != 0; }
  // Whether the two sets share a role.
  bool overlaps(Roles other) const noexcept { return (bits_ & other.bits_) != 0; }
  bool empty() const noexcept { return bits_ == 0; }
  // X-Road's names in alphabetical order, as X-Road lists a key's roles.
  std::vector<std::string> names() const;
  std::string to_string() const;

  friend bool operator==(Roles, Roles) = default;

 private:
  static constexpr std::uint8_t bit(Role role) noexcept {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(role));
  }
  std::uint8_t bits_ = 0;
};

// Whether one of `roles` grants `permission` (X-Road's permission names: "view_clients",
// "generate_key", ...). A name X-Road does not have grants nothing.
bool permits(Roles roles, std::string_view permission) noexcept;
// Whether one of `roles` grants any of `permissions`, written "a|b|c".
bool permits_any(Roles roles, std::string_view permissions) noexcept;
// Every permission one of `roles` grants, sorted (X-Road's User.permissions: what the console
// shows a caller).
std::vector<std::string> permissions_of(Roles roles);
// Whether X-Road has a permission of that name (routes are checked against it in tests).
bool known_permission(std::string_view permission) noexcept;

}  // namespace roadside::admin
