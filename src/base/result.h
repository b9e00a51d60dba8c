// Result<T>: the value of an operation or the Error that stopped it.
//
// Errors carry a std::error_code whose category belongs to the module that raised it
// (one `enum class errc` per module). Each module's category also knows the X-Road fault
// code of each value (`server.serverproxy.access_denied`), so a front end can turn any
// Error into a SOAP fault, a REST error or an HTTP status in one place.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace roadside {

// A std::error_category that also names X-Road fault codes.
class FaultCategory : public std::error_category {
 public:
  // The X-Road fault code (7.8 snake_case form) for `value`, e.g. "server.clientproxy.bad_request".
  virtual std::string_view fault_code(int value) const noexcept = 0;
};

class Error {
 public:
  Error() = default;
  Error(std::error_code code, std::string detail) : code_(code), detail_(std::move(detail)) {}

  const std::error_code& code() const noexcept { return code_; }
  // Human-readable cause: what failed and why, naming the input at fault.
  const std::string& detail() const noexcept { return detail_; }
  // X-Road fault code, or "internal_error" for categories that do not define one.
  std::string fault_code() const;
  // "detail (fault_code)"
  std::string to_string() const;

  // Prefixes the detail with context, keeping the code: "reading config.yaml: <detail>".
  Error& context(std::string_view what);

 private:
  std::error_code code_;
  std::string detail_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  // Holds an empty Error; exists for frameworks that need default construction (co_spawn).
  Result() : v_(std::in_place_index<1>, Error()) {}
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // REQUIRES: ok()
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // REQUIRES: !ok()
  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const& { assert(!ok_); return error_; }
  Error&& error() && { assert(!ok_); return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

// Builds an Error from any module's errc enum (see ROADSIDE_DECLARE_ERRC).
template <typename E>
  requires std::is_error_code_enum_v<E>
Error make_error(E e, std::string detail) {
  return Error(make_error_code(e), std::move(detail));
}

}  // namespace roadside

// Propagates an error: `ROADSIDE_TRY(auto x, parse(s));` or `ROADSIDE_TRY_STATUS(store.put(k, v));`
#define ROADSIDE_CONCAT_INNER(a, b) a##b
#define ROADSIDE_CONCAT(a, b) ROADSIDE_CONCAT_INNER(a, b)
// `tmp` is a name and `decl` a declaration (`auto x`): neither can be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ROADSIDE_TRY_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                       \
  if (!tmp.ok()) return std::move(tmp).error(); \
  decl = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
#define ROADSIDE_TRY(decl, expr) ROADSIDE_TRY_IMPL(ROADSIDE_CONCAT(roadside_try_, __LINE__), decl, expr)
#define ROADSIDE_TRY_STATUS(expr)                                   \
  do {                                                              \
    auto roadside_status_ = (expr);                                 \
    if (!roadside_status_.ok()) return std::move(roadside_status_).error(); \
  } while (0)
