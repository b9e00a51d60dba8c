// Fuzz target: the global configuration's shared and private parameters as a configuration
// source serves them (globalconf/parameters.h), and the file a part's Content-location names
// in the configuration cache (globalconf/parts.h part_path). Beyond not crashing:
//   - a refusal says why (fuzz_checks.h);
//   - what parses writes out (to_xml, as the test instance publishes it) to a document that
//     parses and writes out the same again: nothing read is lost or changed on the way;
//   - a Content-location taken as a path is relative, names a file below the parts folder
//     (never the folder itself, never above it), and has no "." or ".." left in it.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "fuzz_checks.h"
#include "globalconf/parameters.h"
#include "globalconf/parts.h"

namespace {

using roadside::fuzz::check;
using roadside::fuzz::check_refusal;
namespace fs = std::filesystem;

template <typename Parameters>
void check_round_trip(std::string_view input) {
  auto parsed = Parameters::parse(input);
  check_refusal(parsed);
  if (!parsed.ok()) return;
  const std::string written = parsed->to_xml();
  auto again = Parameters::parse(written);
  check(again.ok());
  check(again->to_xml() == written);
}

void check_part_path(std::string_view location) {
  auto rel = roadside::globalconf::part_path(location);
  check_refusal(rel);
  if (!rel.ok()) return;
  check(rel->is_relative() && !rel->has_root_name() && !rel->has_root_directory() && !rel->empty());
  for (const auto& segment : *rel) check(segment != "." && segment != "..");
  const fs::path root = "/cache/gen-1/parts";
  const fs::path file = (root / *rel).lexically_normal();
  const fs::path below = file.lexically_relative(root);
  check(!below.empty() && below != "." && *below.begin() != "..");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_round_trip<roadside::globalconf::SharedParameters>(input);
  check_round_trip<roadside::globalconf::PrivateParameters>(input);
  check_part_path(input.substr(0, 1024));
  return 0;
}
