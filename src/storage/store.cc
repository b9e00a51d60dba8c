#include "storage/store.h"

#include <algorithm>
#include <cstdlib>

#include "base/clock.h"
#include "base/log.h"

namespace roadside::storage {
namespace {

Error err(errc e, std::string detail) { return Error(make_error_code(e), std::move(detail)); }

// The same in both databases; created under the migration lock.
constexpr std::string_view kSchemaTable = R"sql(
CREATE TABLE IF NOT EXISTS roadside_schema (
  version         INTEGER PRIMARY KEY,
  name            TEXT NOT NULL,
  product_version TEXT NOT NULL,
  applied_at      TEXT NOT NULL
);)sql";

std::string now_text() { return format_rfc3339(Clock::system().now()); }

}  // namespace

const FaultCategory& storage_category() noexcept {
  static const TableCategory<errc> c("storage", {
                                                    {errc::connection_failed, "database_error", "database unreachable"},
                                                    {errc::query_failed, "database_error", "database query failed"},
                                                    {errc::constraint_violation, "database_error", "constraint violation"},
                                                    {errc::busy, "database_error", "database busy"},
                                                    {errc::migration_failed, "database_error", "migration failed"},
                                                    {errc::schema_too_new, "database_error", "database schema too new"},
                                                });
  return c;
}

std::optional<std::int64_t> as_int(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* s = std::get_if<std::string>(&v)) {
    try {
      std::size_t pos = 0;
      const long long n = std::stoll(*s, &pos);
      if (pos == s->size()) return n;
    } catch (...) {
    }
  }
  return std::nullopt;
}

std::optional<std::string> as_text(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* b = std::get_if<Blob>(&v)) return b->bytes;
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return std::nullopt;
}

std::string effective_sslmode(const PostgresOptions& o) {
  if (o.sslmode != "auto") return o.sslmode;
  return o.sslrootcert.empty() ? "prefer" : "verify-full";
}

bool verifies_server(const PostgresOptions& o) {
  // libpq takes an empty host from PGHOST, and without one uses its unix socket.
  const char* env_host = o.host.empty() ? std::getenv("PGHOST") : nullptr;
  const std::string host = env_host ? env_host : o.host;
  if (host.empty() || host.front() == '/') return true;  // a unix socket
  const std::string mode = effective_sslmode(o);
  return mode == "verify-ca" || mode == "verify-full";
}

std::string_view to_string(Dialect d) noexcept { return d == Dialect::sqlite ? "sqlite" : "postgresql"; }

Store::Store(std::unique_ptr<Connection> connection)
    : dialect_(connection->dialect()), description_(connection->describe()), conn_(std::move(connection)) {}

Result<SchemaInfo> Store::migrate(std::span<const Migration> known, std::string_view product_version) {
  MutexLock lock(mu_);
  Connection& c = *conn_;
  for (std::size_t i = 0; i < known.size(); ++i) {
    if (known[i].version != static_cast<int>(i) + 1) {
      return err(errc::migration_failed, "migration list is not numbered 1..n (programming error)");
    }
  }
  const int latest = known.empty() ? 0 : known.back().version;

  ROADSIDE_TRY_STATUS(c.begin_exclusive());
  auto fail = [&](Error e) -> Result<SchemaInfo> {
    (void)c.rollback();
    return e;
  };
  auto st = c.execute_script(kSchemaTable);
  if (!st.ok()) return fail(std::move(st).error());
  auto rows = c.query("SELECT version, product_version FROM roadside_schema ORDER BY version DESC LIMIT 1");
  if (!rows.ok()) return fail(std::move(rows).error());
  SchemaInfo info;
  if (!rows->empty()) {
    info.version = static_cast<int>(as_int((*rows)[0][0]).value_or(0));
    info.product_version = as_text((*rows)[0][1]).value_or("");
  }
  if (info.version > latest) {
    return fail(err(errc::schema_too_new,
                    "the database (" + c.describe() + ") has schema version " + std::to_string(info.version) +
                        ", written by Roadside " + info.product_version + "; this Roadside " +
                        std::string(product_version) + " knows schema versions up to " + std::to_string(latest) +
                        ". Run Roadside " + info.product_version + " or newer against this database."));
  }
  for (const Migration& m : known) {
    if (m.version <= info.version) continue;
    auto applied = c.execute_script(c.dialect() == Dialect::sqlite ? m.sqlite_sql : m.postgres_sql);
    if (!applied.ok()) {
      return fail(err(errc::migration_failed, "migration " + std::to_string(m.version) + " (" + std::string(m.name) +
                                                  ") failed, nothing was changed: " + applied.error().detail()));
    }
    const Value params[] = {std::int64_t{m.version}, std::string(m.name), std::string(product_version), now_text()};
    auto rec = c.query("INSERT INTO roadside_schema (version, name, product_version, applied_at) VALUES (?, ?, ?, ?)",
                       params);
    if (!rec.ok()) return fail(std::move(rec).error());
    info.applied_now.push_back(m.version);
  }
  ROADSIDE_TRY_STATUS(c.commit());
  if (!info.applied_now.empty()) {
    info.version = info.applied_now.back();
    info.product_version = std::string(product_version);
    log::info("database migrated", {{"database", c.describe()},
                                    {"from", info.applied_now.front() - 1},
                                    {"to", info.version},
                                    {"migrations", info.applied_now}});
  }
  return info;
}

Result<int> Store::schema_version() {
  MutexLock lock(mu_);
  auto rows = conn_->query("SELECT MAX(version) FROM roadside_schema");
  if (!rows.ok()) return std::move(rows).error();
  if (rows->empty()) return 0;
  return static_cast<int>(as_int((*rows)[0][0]).value_or(0));
}

Result<std::optional<std::string>> Store::get_setting(std::string_view key) {
  MutexLock lock(mu_);
  const Value params[] = {std::string(key)};
  ROADSIDE_TRY(auto rows, conn_->query("SELECT value FROM settings WHERE key = ?", params));
  if (rows.empty()) return std::optional<std::string>();
  return as_text(rows[0][0]);
}

Status Store::put_setting(std::string_view key, std::string_view value) {
  MutexLock lock(mu_);
  const Value params[] = {std::string(key), std::string(value), now_text()};
  ROADSIDE_TRY_STATUS(conn_->query(
      "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      params));
  return {};
}

Result<std::string> Store::put_setting_if_absent(std::string_view key, std::string_view value) {
  MutexLock lock(mu_);
  const Value params[] = {std::string(key), std::string(value), now_text()};
  ROADSIDE_TRY_STATUS(
      conn_->query("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING", params));
  const Value key_param[] = {std::string(key)};
  ROADSIDE_TRY(auto rows, conn_->query("SELECT value FROM settings WHERE key = ?", key_param));
  if (rows.empty()) return err(errc::query_failed, "setting " + std::string(key) + " vanished");
  return as_text(rows[0][0]).value_or("");
}

Status Store::delete_setting(std::string_view key) {
  MutexLock lock(mu_);
  const Value params[] = {std::string(key)};
  ROADSIDE_TRY_STATUS(conn_->query("DELETE FROM settings WHERE key = ?", params));
  return {};
}

Status Store::transaction(const std::function<Status(Connection&)>& fn) {
  MutexLock lock(mu_);
  ROADSIDE_TRY_STATUS(conn_->begin());
  Status st = fn(*conn_);
  if (!st.ok()) {
    (void)conn_->rollback();
    return st;
  }
  return conn_->commit();
}

Status Store::ping() {
  MutexLock lock(mu_);
  ROADSIDE_TRY_STATUS(conn_->query("SELECT 1"));
  return {};
}

}  // namespace roadside::storage
