// Fuzz target: the global configuration's signed-directory and anchor parsers. Any input
// must parse or fail cleanly; a parsed directory's parts must have decoded hashes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "globalconf/directory.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto d = roadside::globalconf::SignedDirectory::parse(input); d.ok()) {
    for (const auto& p : d->parts) {
      if (p.hash.empty()) std::abort();
    }
    if (d->signature.empty()) std::abort();
  }
  (void)roadside::globalconf::Anchor::parse(input);
  return 0;
}
