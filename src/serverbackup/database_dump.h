// The part of Roadside's database a backup holds: the server's configuration and keys, as rows.
// These tables, in this order (a table's rows only refer to those of tables before it):
//   settings                the instance's identity, the internal TLS key, the token PIN's verifier
//   server_configuration    every revision of the server configuration
//   administrators, api_keys  (PBKDF2 hashes, never the passwords or keys)
//   token_keys, token_certificates, token_csrs   keys still sealed under the token PIN
// Not the message log, operational monitoring data or cached OCSP responses: they are records
// and caches, not configuration (X-Road's backups leave them out as well).
//
// The dump is logical and the same for SQLite and PostgreSQL: a JSON document per line, first
// the header, then each table's header and its rows. Read back, it is loaded into a database
// of any schema version up to this binary's by way of an in-memory SQLite database at the
// dump's version, which migrations bring up to date (load()).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/store.h"

namespace roadside::serverbackup {

// The tables a backup holds, in order.
std::span<const std::string_view> backed_up_tables();

struct TableDump {
  std::string name;
  std::vector<std::string> columns;
  std::vector<storage::Row> rows;
};

struct DatabaseDump {
  int schema_version = 0;
  storage::Dialect dialect = storage::Dialect::sqlite;
  std::vector<TableDump> tables;  // those of backed_up_tables() the schema has, in order
  std::size_t row_count() const;
};

// The tables of `connection`, read in one transaction (a consistent snapshot on both databases).
Result<DatabaseDump> dump(storage::Connection& connection);

std::string to_jsonl(const DatabaseDump& dump);
struct DumpLimits {
  std::size_t max_rows = 1'000'000;
  std::size_t max_line = 64u << 20;
};
// errc::invalid_argument for anything to_jsonl would not have written, naming the line.
Result<DatabaseDump> from_jsonl(std::string_view text, const DumpLimits& limits = {});

// `dump` as this binary's schema has it: loaded into an in-memory SQLite database migrated to
// the dump's version, migrated to the newest, and read again. storage::errc::schema_too_new for
// a dump of a newer Roadside.
Result<DatabaseDump> upgrade(const DatabaseDump& dump);

// Replaces the rows of the backed-up tables of `connection` (at `dump.schema_version`) with
// those of `dump`, in the caller's transaction: each table must have the dump's columns (in any
// order). On PostgreSQL the id sequences then continue after the restored ids.
Status replace_rows(storage::Connection& connection, const DatabaseDump& dump);

}  // namespace roadside::serverbackup
