#include "base/json_text.h"

#include <nlohmann/json.hpp>

#include "base/utf8.h"

namespace roadside::json {

bool nests_within(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // an escaped quote stays in the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

std::optional<nlohmann::json> parse_untrusted(std::string_view text, std::size_t max_depth, std::string* why) {
  if (!nests_within(text, max_depth)) {
    if (why) *why = "nests deeper than " + std::to_string(max_depth);
    return std::nullopt;
  }
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    if (why) *why = "is not JSON";
    return std::nullopt;
  }
  return parsed;
}

void append_string(std::string& out, std::string_view s) {
  if (!is_utf8(s)) {  // rare: let nlohmann find and replace what is not UTF-8
    out += nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xf];
          out += kHex[static_cast<unsigned char>(c) & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void Members::key(std::string_view k) {
  if (!text_.empty()) text_ += ',';
  append_string(text_, k);
  text_ += ':';
}

void Members::add(std::string_view k, std::string_view value) {
  key(k);
  append_string(text_, value);
}

}  // namespace roadside::json
