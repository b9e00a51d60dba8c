// Where all of Roadside's configuration and state lives: one database, SQLite (embedded,
// the default) or PostgreSQL (production, cluster), behind one interface.
//
//   Connection  - the SQL interface both databases implement ("?" placeholders, typed values)
//   Store       - opens a connection, applies migrations, and offers the operations the
//                 rest of Roadside uses (settings now; configuration and state later)
//
// Migrations (migrations.cc) are numbered and recorded in the table roadside_schema. On
// open, pending ones run in one transaction under a lock (SQLite: BEGIN IMMEDIATE;
// PostgreSQL: an advisory transaction lock), so several nodes starting at once apply each
// migration exactly once. A database whose schema is newer than this binary is refused.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/errc.h"
#include "base/result.h"
#include "base/thread_annotations.h"

namespace roadside::storage {

enum class errc {
  connection_failed = 1,  // cannot open or reach the database
  query_failed,           // a statement failed
  constraint_violation,   // unique/foreign key/not-null constraint
  busy,                   // locked by another node for too long
  migration_failed,       // a migration failed; nothing was changed
  schema_too_new,         // the database was upgraded by a newer Roadside
};
const FaultCategory& storage_category() noexcept;
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), storage_category()}; }

struct Blob {
  std::string bytes;
  friend bool operator==(const Blob&, const Blob&) = default;
};
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Blob>;
using Row = std::vector<Value>;

// Reading values out of rows: typed, with a clear error on a type mismatch.
std::optional<std::int64_t> as_int(const Value& v);
std::optional<std::string> as_text(const Value& v);

enum class Dialect { sqlite, postgresql };
std::string_view to_string(Dialect d) noexcept;

// One database connection. Not thread-safe: Store serializes access.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Dialect dialect() const = 0;
  // One statement with "?" placeholders bound to `params`; returns its rows (if any).
  virtual Result<std::vector<Row>> query(std::string_view sql, std::span<const Value> params = {}) = 0;
  // Several statements without parameters (migrations).
  virtual Status execute_script(std::string_view sql) = 0;
  // Starts a transaction that excludes other writers (and other migrators) until it ends.
  virtual Status begin_exclusive() = 0;
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;
  // A short description for logs, without secrets: "sqlite:/var/lib/roadside/roadside.db".
  virtual std::string describe() const = 0;
};

struct SqliteOptions {
  std::filesystem::path path;
  std::chrono::milliseconds busy_timeout{10'000};
};
Result<std::unique_ptr<Connection>> open_sqlite(const SqliteOptions& options);

struct PostgresOptions {
  std::string host;  // name, address, or a unix socket directory (starting with "/")
  int port = 5432;
  std::string user;
  std::string password;
  std::string database;
  // libpq's sslmode, or "auto": verify-full when sslrootcert names a CA, prefer otherwise.
  std::string sslmode = "auto";
  std::string sslrootcert;  // PEM file of the CA(s) the server's certificate must chain to
  int connect_timeout_s = 10;
  // Every statement ends within this (server-side statement_timeout; 0: none), and a server
  // that stops answering is noticed by TCP keepalives and the TCP user timeout (libpq), so no
  // caller waits on a silent database for longer than about this.
  int statement_timeout_ms = 10'000;
};
Result<std::unique_ptr<Connection>> open_postgres(const PostgresOptions& options);
// The sslmode libpq is given for `options` ("auto" resolved).
std::string effective_sslmode(const PostgresOptions& options);
// Whether the connection authenticates the server: verify-ca or verify-full over TCP (libpq
// uses no TLS on a unix socket, which the kernel already authenticates). Anything else lets a
// host on the network path read and change the traffic (docs/database.md).
bool verifies_server(const PostgresOptions& options);

struct Migration {
  int version;
  std::string_view name;
  std::string_view sqlite_sql;
  std::string_view postgres_sql;
};
// Roadside's migrations, in order, numbered from 1 without gaps.
std::span<const Migration> migrations();

struct SchemaInfo {
  int version = 0;                 // highest applied migration
  std::string product_version;     // the Roadside version that applied it
  std::vector<int> applied_now;    // migrations this call applied
};

class Store {
 public:
  explicit Store(std::unique_ptr<Connection> connection);

  // Applies pending migrations (see the file comment). `known` defaults to migrations();
  // tests pass their own lists to simulate older and newer binaries.
  Result<SchemaInfo> migrate(std::span<const Migration> known = migrations(),
                             std::string_view product_version = ROADSIDE_VERSION);
  Result<int> schema_version();

  // Instance-wide settings: small named values (identity, generated secrets, flags).
  Result<std::optional<std::string>> get_setting(std::string_view key);
  Status put_setting(std::string_view key, std::string_view value);
  // Sets the value only if the key is absent; returns the value now stored. Lets several
  // nodes race to initialize one value and agree on the winner.
  Result<std::string> put_setting_if_absent(std::string_view key, std::string_view value);
  Status delete_setting(std::string_view key);

  // Runs `fn` in a transaction: committed when it returns ok, rolled back otherwise.
  Status transaction(const std::function<Status(Connection&)>& fn);
  // Runs `fn` with the connection, serialized with other users of this store.
  template <typename F>
  auto with_connection(F&& fn) {
    MutexLock lock(mu_);
    return fn(*conn_);
  }

  Status ping();
  Dialect dialect() const { return dialect_; }
  std::string describe() const { return description_; }

 private:
  // The connection's, read once: they never change, and reading them needs no lock.
  const Dialect dialect_;
  const std::string description_;
  Mutex mu_;
  std::unique_ptr<Connection> conn_ PT_GUARDED_BY(mu_);  // the pointer is set once; the connection is not thread-safe
};

}  // namespace roadside::storage

ROADSIDE_ERRC_ENUM(roadside::storage::errc)
