// Fuzz target: a Roadside backup file, as `backup verify`/`restore` and the admin API's upload
// read one, and the database dump inside one (its signature keeps mutations of a whole backup
// from reaching the dump, so the dump is also read on its own). Whatever the bytes: no crash, no
// hang, a refusal that explains itself; a backup that reads has its manifest's server and a
// dump whose rows are as wide as their tables. Seeds: serverbackup_test with
// ROADSIDE_WRITE_BACKUP_SEEDS=tests/fuzz/corpus/backup_file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_checks.h"
#include "serverbackup/archive.h"
#include "serverbackup/database_dump.h"

namespace {

void check_dump(std::string_view text) {
  auto dump = roadside::serverbackup::from_jsonl(text, {.max_rows = 10'000, .max_line = 1 << 20});
  if (!dump.ok()) {
    roadside::fuzz::check(!dump.error().detail().empty());
    return;
  }
  for (const auto& t : dump->tables) {
    for (const auto& row : t.rows) roadside::fuzz::check(row.size() == t.columns.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_dump(bytes);
  auto opened = roadside::serverbackup::read_backup(bytes, {.max_database = 4 << 20, .max_small = 64 << 10});
  if (!opened.ok()) {
    roadside::fuzz::check(!opened.error().detail().empty());
    return 0;
  }
  roadside::fuzz::check(opened->manifest.server.type() == roadside::ObjectType::server);
  check_dump(opened->database);
  return 0;
}
