// Helpers the fuzz targets share: how a violated invariant ends a run, and which XML texts
// the byte-offset editors (xml::scan_tags and its callers) promise to read as the parser does.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace roadside::fuzz {

// A violated invariant is a finding: libFuzzer saves the input that led to it.
inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

// No NUL byte (UTF-16 and UCS-4 have one in every ASCII character), not EBCDIC, and an XML
// declaration, if any, that names no encoding or UTF-8: text whose markup bytes are ASCII,
// as X-Road's messages are (UTF-8).
inline bool ascii_compatible(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return false;
  if (!text.starts_with("<?xml")) return !text.starts_with("\x4c\x6f\xa7\x94");  // "<?xm" in EBCDIC
  const std::string_view decl = text.substr(0, text.find("?>"));
  const auto at = decl.find("encoding");
  if (at == std::string_view::npos) return true;
  const auto quote = decl.find_first_of("\"'", at);
  if (quote == std::string_view::npos) return false;
  std::string name(decl.substr(quote + 1, 5));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name == "utf-8";
}

}  // namespace roadside::fuzz
