// Small helpers for text read from requests and files.
#pragma once

#include <string_view>

namespace roadside {

// `s` without the spaces and tabs around it (HTTP's optional whitespace, a list's padding).
inline std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace roadside
