// Fuzz target: a Java Security Server's backup archive (X-Road's labelled GNU tar, after gpg) as
// `roadside import-xroad` reads it: the wanted files of etc/xroad and the database dump, then the
// takeover that checks they agree. Whatever the bytes: no crash or hang, a refusal that explains
// itself, and a takeover only of a server whose label and database agree, with an
// authentication key.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_checks.h"
#include "xroadimport/takeover.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto files =
      roadside::xroadimport::read_backup_tar(bytes, {.max_file = 1 << 20, .max_files = 64, .max_dump = 4 << 20});
  if (!files.ok()) {
    roadside::fuzz::check(!files.error().detail().empty());
    return 0;
  }
  for (const auto& [path, content] : files->etc) roadside::fuzz::check(roadside::xroadimport::wanted_file(path));
  auto t = roadside::xroadimport::read_takeover(*files);
  if (!t.ok()) {
    roadside::fuzz::check(!t.error().detail().empty());
    return 0;
  }
  roadside::fuzz::check(t->token_keys > 0 && t->token_files.contains("keyconf.xml"));
  roadside::fuzz::check(roadside::xroadimport::server_of_label(files->label).has_value());
  return 0;
}
