// Fuzz target: a pg_dump custom-format archive, as var/lib/xroad/dbdump.dat arrives in a Java
// Security Server's backup, read and taken as X-Road's serverconf database. Whatever the bytes,
// reading must not crash, hang or grow past its limits; a refusal explains itself; what is read
// has rows of its table's width, and a configuration read from it names its server.
#include <cstddef>
#include <cstdint>
#include <string>

#include "backup/pg_dump.h"
#include "fuzz_checks.h"
#include "xroadimport/serverconf_dump.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  roadside::backup::PgDumpLimits limits;
  limits.max_entries = 1000;
  limits.max_string = 1 << 16;
  limits.max_table_bytes = 1 << 20;
  limits.max_total_bytes = 4 << 20;
  auto dump = roadside::backup::read_pg_dump(bytes, limits);
  if (!dump.ok()) {
    roadside::fuzz::check(!dump.error().detail().empty());
    return 0;
  }
  for (const auto& t : dump->tables) {
    for (const auto& row : t.rows) roadside::fuzz::check(row.size() == t.columns.size());
  }
  roadside::xroadimport::Report report;
  auto conf = roadside::xroadimport::server_conf_from_dump(*dump, report);
  if (!conf.ok()) {
    roadside::fuzz::check(!conf.error().detail().empty());
    return 0;
  }
  roadside::fuzz::check(conf->owner.type() == roadside::ObjectType::member && !conf->server_code.empty());
  roadside::fuzz::check(!report.imported.empty());
  return 0;
}
