#include "serverbackup/database_dump.h"

#include <algorithm>
#include <array>

#include <nlohmann/json.hpp>

#include "crypto/encoding.h"

namespace roadside::serverbackup {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 7> kTables = {"settings",   "server_configuration", "administrators", "api_keys",
                                                     "token_keys", "token_certificates",   "token_csrs"};
// Tables whose id a PostgreSQL sequence gives (BIGSERIAL): restored ids must not be given again.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kSerials = {
    {{"api_keys", "id"}, {"token_certificates", "cert_id"}}};

Error bad(const std::string& what) {
  return Error(std::make_error_code(std::errc::invalid_argument), "database dump: " + what);
}

// The table's columns in their order; empty when the schema has no such table.
Result<std::vector<std::string>> columns_of(storage::Connection& c, std::string_view table) {
  std::vector<std::string> out;
  if (c.dialect() == storage::Dialect::sqlite) {
    ROADSIDE_TRY(auto rows, c.query("PRAGMA table_info(" + std::string(table) + ")"));
    for (const auto& r : rows) out.push_back(storage::as_text(r.at(1)).value_or(""));
  } else {
    const storage::Value name[] = {std::string(table)};
    ROADSIDE_TRY(auto rows, c.query("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                    "current_schema() AND table_name = ? ORDER BY ordinal_position",
                                    name));
    for (const auto& r : rows) out.push_back(storage::as_text(r.at(0)).value_or(""));
  }
  return out;
}

std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + c;
  return out;
}

json value_json(const storage::Value& v) {
  return std::visit(
      [](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, storage::Blob>) {
          return json{{"base64", crypto::base64_encode(x.bytes)}};
        } else {
          return x;
        }
      },
      v);
}

Result<storage::Value> json_value(const json& j) {
  if (j.is_null()) return storage::Value(nullptr);
  if (j.is_number_integer()) return storage::Value(j.get<std::int64_t>());
  if (j.is_number_float()) return storage::Value(j.get<double>());
  if (j.is_string()) return storage::Value(j.get<std::string>());
  if (j.is_object() && j.size() == 1 && j.contains("base64") && j["base64"].is_string()) {
    ROADSIDE_TRY(std::string bytes, crypto::base64_decode(j["base64"].get<std::string>()));
    return storage::Value(storage::Blob{std::move(bytes)});
  }
  return bad("a value that is not null, a number, a string or {\"base64\": ...}");
}

Result<DatabaseDump> read_tables(storage::Connection& c, int schema_version) {
  DatabaseDump d;
  d.schema_version = schema_version;
  d.dialect = c.dialect();
  for (std::string_view table : kTables) {
    ROADSIDE_TRY(auto columns, columns_of(c, table));
    if (columns.empty()) continue;
    TableDump t{std::string(table), columns, {}};
    ROADSIDE_TRY(t.rows, c.query("SELECT " + column_list(columns) + " FROM " + std::string(table) + " ORDER BY 1"));
    d.tables.push_back(std::move(t));
  }
  return d;
}

Result<int> schema_version_of(storage::Connection& c) {
  ROADSIDE_TRY(auto rows, c.query("SELECT MAX(version) FROM roadside_schema"));
  if (rows.empty()) return 0;
  return static_cast<int>(storage::as_int(rows[0].at(0)).value_or(0));
}

}  // namespace

std::span<const std::string_view> backed_up_tables() {
  return kTables;
}

std::size_t DatabaseDump::row_count() const {
  std::size_t n = 0;
  for (const auto& t : tables) n += t.rows.size();
  return n;
}

Result<DatabaseDump> dump(storage::Connection& c) {
  // (PostgreSQL: one snapshot for every SELECT; SQLite: a deferred transaction that only reads
  // sees one state and keeps no writer waiting.)
  ROADSIDE_TRY_STATUS(c.execute_script(c.dialect() == storage::Dialect::postgresql
                                           ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                           : "BEGIN DEFERRED"));
  auto read = [&]() -> Result<DatabaseDump> {
    ROADSIDE_TRY(int version, schema_version_of(c));
    return read_tables(c, version);
  }();
  (void)c.rollback();
  return read;
}

std::string to_jsonl(const DatabaseDump& d) {
  std::string out = json{{"format", "roadside-database"},
                         {"schema", d.schema_version},
                         {"dialect", std::string(storage::to_string(d.dialect))}}
                        .dump() +
                    "\n";
  for (const auto& t : d.tables) {
    out += json{{"table", t.name}, {"columns", t.columns}, {"rows", t.rows.size()}}.dump() + "\n";
    for (const auto& row : t.rows) {
      json line = json::array();
      for (const auto& v : row) line.push_back(value_json(v));
      out += line.dump() + "\n";
    }
  }
  return out;
}

Result<DatabaseDump> from_jsonl(std::string_view text, const DumpLimits& limits) {
  std::size_t number = 0;
  auto next_line = [&]() -> Result<json> {
    const auto end = text.find('\n');
    if (end == std::string_view::npos) return bad("line " + std::to_string(number + 1) + " does not end");
    if (end > limits.max_line) return bad("line " + std::to_string(number + 1) + " is too long");
    auto line = text.substr(0, end);
    text.remove_prefix(end + 1);
    ++number;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded()) return bad("line " + std::to_string(number) + " is not JSON");
    return j;
  };
  ROADSIDE_TRY(json head, next_line());
  if (!head.is_object() || head["format"] != "roadside-database" || !head["schema"].is_number_integer() ||
      !head["dialect"].is_string())
    return bad("the first line is not a Roadside database dump's header");
  DatabaseDump d;
  d.schema_version = head["schema"].get<int>();
  const std::string dialect = head["dialect"].get<std::string>();
  if (dialect == "postgresql") {
    d.dialect = storage::Dialect::postgresql;
  } else if (dialect != "sqlite") {
    return bad("dialect '" + dialect.substr(0, 20) + "'");
  }
  std::size_t rows_total = 0;
  std::size_t next_table = 0;
  while (!text.empty()) {
    ROADSIDE_TRY(json th, next_line());
    if (!th.is_object() || !th["table"].is_string() || !th["columns"].is_array() || !th["rows"].is_number_unsigned())
      return bad("line " + std::to_string(number) + " is not a table's header");
    TableDump t;
    t.name = th["table"].get<std::string>();
    // Only the backed-up tables, in their order: nothing else is ever written to a database.
    while (next_table < kTables.size() && kTables[next_table] != t.name) ++next_table;
    if (next_table == kTables.size())
      return bad("table '" + t.name.substr(0, 40) + "' is not one a backup holds, or out of order");
    ++next_table;
    for (const auto& c : th["columns"]) {
      if (!c.is_string() || c.get<std::string>().empty() ||
          c.get<std::string>().find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos)
        return bad("table " + t.name + " has a column name that is not one");
      t.columns.push_back(c.get<std::string>());
    }
    const auto count = th["rows"].get<std::size_t>();
    if (count > limits.max_rows || rows_total + count > limits.max_rows)
      return bad("more than " + std::to_string(limits.max_rows) + " rows");
    rows_total += count;
    for (std::size_t i = 0; i < count; ++i) {
      ROADSIDE_TRY(json row, next_line());
      if (!row.is_array() || row.size() != t.columns.size())
        return bad("line " + std::to_string(number) + " is not a row of " + t.name);
      storage::Row r;
      for (const auto& v : row) {
        ROADSIDE_TRY(storage::Value value, json_value(v));
        r.push_back(std::move(value));
      }
      t.rows.push_back(std::move(r));
    }
    d.tables.push_back(std::move(t));
  }
  return d;
}

Result<DatabaseDump> upgrade(const DatabaseDump& d) {
  const auto known = storage::migrations();
  if (d.schema_version > static_cast<int>(known.size()))
    return Error(make_error_code(storage::errc::schema_too_new),
                 "the backup's database is of schema " + std::to_string(d.schema_version) + ", newer than this " +
                     "Roadside's (" + std::to_string(known.size()) + "): restore it with that version or later");
  if (d.schema_version < 1) return bad("schema version " + std::to_string(d.schema_version));
  ROADSIDE_TRY(auto conn, storage::open_sqlite({":memory:"}));
  storage::Store staging(std::move(conn));
  ROADSIDE_TRY(auto at_dump, staging.migrate(known.first(static_cast<std::size_t>(d.schema_version))));
  (void)at_dump;
  ROADSIDE_TRY_STATUS(staging.transaction([&](storage::Connection& c) { return replace_rows(c, d); }));
  ROADSIDE_TRY(auto newest, staging.migrate());
  (void)newest;
  return staging.with_connection([&](storage::Connection& c) -> Result<DatabaseDump> {
    ROADSIDE_TRY(int version, schema_version_of(c));
    ROADSIDE_TRY(DatabaseDump out, read_tables(c, version));
    out.dialect = d.dialect;
    return out;
  });
}

Status replace_rows(storage::Connection& c, const DatabaseDump& d) {
  for (auto table = kTables.rbegin(); table != kTables.rend(); ++table) {
    ROADSIDE_TRY(auto columns, columns_of(c, *table));
    if (!columns.empty()) ROADSIDE_TRY_STATUS(c.query("DELETE FROM " + std::string(*table)));
  }
  for (const auto& t : d.tables) {
    // The same columns, in any order: PostgreSQL adds a column at a table's end where SQLite's
    // migrations made the table anew.
    ROADSIDE_TRY(auto present, columns_of(c, t.name));
    auto sorted = [](std::vector<std::string> v) {
      std::sort(v.begin(), v.end());
      return v;
    };
    if (sorted(present) != sorted(t.columns))
      return bad("table " + t.name + " has columns (" + column_list(t.columns) + ") in the dump but (" +
                 column_list(present) + ") in the database");
    std::string marks;
    for (std::size_t i = 0; i < t.columns.size(); ++i) marks += i ? ", ?" : "?";
    const std::string sql = "INSERT INTO " + t.name + " (" + column_list(t.columns) + ") VALUES (" + marks + ")";
    for (const auto& row : t.rows) ROADSIDE_TRY_STATUS(c.query(sql, row));
  }
  if (c.dialect() == storage::Dialect::postgresql) {
    for (const auto& [table, column] : kSerials) {
      ROADSIDE_TRY(auto columns, columns_of(c, table));
      if (columns.empty()) continue;
      const std::string t(table), col(column);
      ROADSIDE_TRY_STATUS(c.query("SELECT setval(pg_get_serial_sequence('" + t + "', '" + col + "'), COALESCE(MAX(" +
                                  col + "), 1), MAX(" + col + ") IS NOT NULL) FROM " + t));
    }
  }
  return {};
}

}  // namespace roadside::serverbackup
