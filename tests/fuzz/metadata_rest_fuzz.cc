// Fuzz target: the metadata-only REST header part the message log keeps when a body is not
// logged (messagelog/loggable.h). Beyond not crashing, it checks that:
//   - a refusal is a coded error (logging_failed);
//   - what it returns keeps only X-Road-* headers, no query and no LF inside a line;
//   - stripping it again gives the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_checks.h"
#include "messagelog/loggable.h"
#include "messagelog/rest_part.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside;
  using roadside::fuzz::check;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = messagelog::metadata_only_rest(text);
  if (!m.ok()) {
    fuzz::check_refusal(m);
    return 0;
  }
  const auto lines = messagelog::rest_part_lines(*m);
  if (!messagelog::is_rest_response_part(*m)) check(lines.second.find('?') == std::string_view::npos);
  for (const auto& h : lines.headers) {
    check(h.name.size() > 7);
    std::string prefix(h.name.substr(0, 7));
    for (auto& c : prefix) c = static_cast<char>(c | 0x20);
    check(prefix == "x-road-");
    check(h.value.find('\n') == std::string_view::npos);
  }
  auto again = messagelog::metadata_only_rest(*m);
  check(again.ok() && *again == *m);
  return 0;
}
