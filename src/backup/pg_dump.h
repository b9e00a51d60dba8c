// PostgreSQL's custom-format archive (`pg_dump -F c`), which is how X-Road's backups hold the
// server configuration database (var/lib/xroad/dbdump.dat): read here without pg_restore, so a
// dump made by a newer PostgreSQL than the host's (pg_restore refuses those) is read too.
//
// What is read: the header (archive versions 1.12 to 1.16: pg_dump 9.5 to 18), the table of
// contents, and the data of every TABLE DATA entry, decompressed (none or gzip; LZ4 and zstd
// are refused by name) and parsed as COPY text into rows. Definitions (DDL), sequences and large
// objects are not interpreted. From bytes nobody vouched for: every length, count and
// decompressed size is bounded, and a malformed archive is errc::invalid_argument naming the
// entry and what is wrong.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace roadside::backup {

// A row of COPY text: each column's value, std::nullopt for NULL (\N).
using PgRow = std::vector<std::optional<std::string>>;

struct PgTable {
  std::string schema;
  std::string name;
  std::vector<std::string> columns;  // from the entry's COPY statement, in the rows' order
  std::vector<PgRow> rows;
  // The index of `column` in columns, or std::nullopt.
  std::optional<std::size_t> column(std::string_view column) const;
};

struct PgDump {
  int version_major = 0, version_minor = 0;  // the archive format's version (1.14, ...)
  std::string database;
  std::string server_version;   // of the server dumped ("15.8 (Debian ...)")
  std::string pg_dump_version;  // of the pg_dump that wrote it
  std::vector<PgTable> tables;  // every TABLE DATA entry, in the archive's order
  const PgTable* table(std::string_view schema, std::string_view name) const;
};

struct PgDumpLimits {
  std::size_t max_entries = 100'000;
  std::size_t max_string = 16 << 20;          // one string of the header or the TOC
  std::size_t max_table_bytes = 64u << 20;    // one table's COPY text, decompressed
  std::size_t max_total_bytes = 256u << 20;   // all of them
  std::size_t max_columns = 1'600;            // PostgreSQL's own limit
  // Values of all rows (each costs a string's bookkeeping however short: a row of empty values
  // is many of them in few bytes).
  std::size_t max_values = 4'000'000;
};

Result<PgDump> read_pg_dump(std::string_view archive, const PgDumpLimits& limits = {});

// COPY's text format (rows of `columns` tab-separated values, \N for NULL, backslash escapes,
// an optional "\." line at the end) into rows. errc::invalid_argument for a row with another
// number of columns, or more than `max_values` values in all.
Result<std::vector<PgRow>> parse_copy_text(std::string_view text, std::size_t columns,
                                           std::size_t max_values = 4'000'000);

// The column names of a COPY statement as pg_dump writes it:
// `COPY schema.table (a, "b c") FROM stdin;` gives {"a", "b c"}.
Result<std::vector<std::string>> copy_columns(std::string_view copy_statement);

// A bytea value as COPY text gives it in the default hex output ("\x3082..."), decoded;
// std::nullopt for anything else (the escape output format is not read).
std::optional<std::string> decode_bytea_hex(std::string_view value);

}  // namespace roadside::backup
