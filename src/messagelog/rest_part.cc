#include "messagelog/rest_part.h"

#include <algorithm>
#include <cctype>

namespace roadside::messagelog {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

RestPartLines rest_part_lines(std::string_view part) {
  RestPartLines out;
  std::size_t pos = 0;
  int line = 0;
  while (pos < part.size()) {
    std::size_t end = part.find('\n', pos);
    if (end == std::string_view::npos) end = part.size();
    std::string_view l = part.substr(pos, end - pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    pos = end + 1;
    switch (line++) {
      case 0:
        out.first = l;
        continue;
      case 1:
        out.second = l;
        continue;
      default:
        break;
    }
    const auto colon = l.find(':');
    if (colon == std::string_view::npos) continue;
    out.headers.push_back({l.substr(0, colon), l.substr(colon + 1)});
  }
  return out;
}

std::optional<std::string> rest_part_header(std::string_view part, std::string_view name) {
  for (const auto& h : rest_part_lines(part).headers) {
    if (iequals(h.name, name)) return std::string(h.value);
  }
  return std::nullopt;
}

bool is_rest_response_part(std::string_view part) {
  return !part.empty() && std::isdigit(static_cast<unsigned char>(part.front()));
}

}  // namespace roadside::messagelog
