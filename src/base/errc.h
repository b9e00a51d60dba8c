// A table-driven FaultCategory, so each module declares its error enum in a few lines:
//
//   // foo/errors.h
//   namespace roadside::foo {
//   enum class errc { bad_input = 1, unavailable };
//   const FaultCategory& foo_category() noexcept;
//   inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), foo_category()}; }
//   }
//   ROADSIDE_ERRC_ENUM(roadside::foo::errc)
//
//   // foo/errors.cc
//   const FaultCategory& foo_category() noexcept {
//     static const TableCategory<errc> c("foo", {{errc::bad_input, "bad_request", "bad input"}, ...});
//     return c;
//   }
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/result.h"

namespace roadside {

template <typename E>
class TableCategory final : public FaultCategory {
 public:
  struct Entry {
    E value;
    std::string_view fault_code;  // X-Road fault code, 7.8 snake_case form
    std::string_view message;     // generic description
  };

  TableCategory(const char* name, std::initializer_list<Entry> entries) : name_(name), entries_(entries) {}

  const char* name() const noexcept override { return name_; }

  std::string message(int value) const override {
    const Entry* e = find(value);
    return e ? std::string(e->message) : std::string(name_) + " error " + std::to_string(value);
  }

  std::string_view fault_code(int value) const noexcept override {
    const Entry* e = find(value);
    return e ? e->fault_code : std::string_view("internal_error");
  }

 private:
  const Entry* find(int value) const noexcept {
    for (const auto& e : entries_) {
      if (static_cast<int>(e.value) == value) return &e;
    }
    return nullptr;
  }

  const char* name_;
  std::vector<Entry> entries_;
};

}  // namespace roadside

#define ROADSIDE_ERRC_ENUM(E) \
  template <>                 \
  struct std::is_error_code_enum<E> : std::true_type {};
