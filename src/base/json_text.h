// JSON text written straight into a string, for lines made per message, where building a tree
// (nlohmann::json) and serializing it costs more than the work they record.
//
//   json::Members f;
//   f.add("proxy", "client");
//   f.add("request_bytes", 925);
//   f.text()  ->  "proxy":"client","request_bytes":925
//
// Strings come out exactly as nlohmann::json::dump(-1, ' ', false, error_handler_t::replace)
// writes them: UTF-8 kept, '"', '\' and control characters escaped, the bytes of text that is
// not UTF-8 replaced with U+FFFD. Safe for untrusted text.
//
// And untrusted JSON read into nlohmann::json within a nesting limit (parse_untrusted).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace roadside::json {

// Whether `text` nests arrays and objects at most `max_depth` deep (brackets in strings do not
// count), checked before untrusted text is parsed with nlohmann::json: its parser keeps its
// own stack, but copying or comparing a document recurses once per level, and a text of
// brackets would overflow the stack of the thread that copies it.
bool nests_within(std::string_view text, std::size_t max_depth);

// Untrusted `text` parsed once it nests_within `max_depth`; otherwise nullopt, and `why` says
// of the text "nests deeper than N" or "is not JSON".
std::optional<nlohmann::json> parse_untrusted(std::string_view text, std::size_t max_depth, std::string* why = nullptr);

// Appends `s` as a JSON string, quotes included.
void append_string(std::string& out, std::string_view s);

// The members of one JSON object, in the order added, without the braces.
class Members {
 public:
  void add(std::string_view key, std::string_view value);
  // Integers only: a bool or a double is not silently made a number.
  template <std::integral T>
  requires(!std::same_as<T, bool>) void add(std::string_view k, T value) {
    key(k);
    text_ += std::to_string(value);
  }

  bool empty() const noexcept { return text_.empty(); }
  const std::string& text() const noexcept { return text_; }

 private:
  void key(std::string_view k);
  std::string text_;
};

}  // namespace roadside::json
