// Fuzz target: tar archives, as a backup to import arrives (X-Road's, or anybody's). Whatever
// the bytes, reading must not crash or hang; a refusal explains itself; every member's name is
// a relative path that stays in the archive, and its data is never more than it declared.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "backup/tar.h"
#include "fuzz_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  roadside::backup::TarReader reader(in, {.max_members = 64, .max_member_bytes = 1 << 20, .max_name_bytes = 1024});
  for (int i = 0; i < 100; ++i) {
    auto header = reader.next();
    if (!header.ok()) {
      roadside::fuzz::check(!header.error().detail().empty());
      return 0;
    }
    if (!*header) return 0;
    roadside::fuzz::check(roadside::backup::safe_member_name((*header)->name));
    auto body = reader.read(1 << 20);
    if (!body.ok()) return 0;
    roadside::fuzz::check(body->size() == (*header)->size);
  }
  return 0;
}
