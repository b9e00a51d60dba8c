// SQLite implementation of storage::Connection.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "storage/store.h"

namespace roadside::storage {
namespace {

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override {
    forget_statements();
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::sqlite; }
  std::string describe() const override { return "sqlite:" + path_; }

  Result<std::vector<Row>> query(std::string_view sql, std::span<const Value> params) override {
    ROADSIDE_TRY(sqlite3_stmt * raw, prepared(sql));
    // Reset however this ends: a statement left stepping would hold its read transaction.
    std::unique_ptr<sqlite3_stmt, void (*)(sqlite3_stmt*)> reset(raw, [](sqlite3_stmt* st) {
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
    });
    if (static_cast<std::size_t>(sqlite3_bind_parameter_count(raw)) != params.size()) {
      return Error(make_error_code(errc::query_failed), "statement expects " +
                                                            std::to_string(sqlite3_bind_parameter_count(raw)) +
                                                            " parameters, got " + std::to_string(params.size()));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) rc = sqlite3_bind_null(raw, idx);
            else if constexpr (std::is_same_v<T, std::int64_t>) rc = sqlite3_bind_int64(raw, idx, v);
            else if constexpr (std::is_same_v<T, double>) rc = sqlite3_bind_double(raw, idx, v);
            else if constexpr (std::is_same_v<T, std::string>)
              rc = sqlite3_bind_text64(raw, idx, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
            else rc = sqlite3_bind_blob64(raw, idx, v.bytes.data(), v.bytes.size(), SQLITE_TRANSIENT);
          },
          params[i]);
      if (rc != SQLITE_OK) return error(errc::query_failed, "binding parameter " + std::to_string(idx));
    }
    std::vector<Row> rows;
    while (true) {
      const int rc = sqlite3_step(raw);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        const int primary = rc & 0xff;
        return error(primary == SQLITE_CONSTRAINT ? errc::constraint_violation
                     : (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) ? errc::busy
                                                                             : errc::query_failed,
                     "executing statement");
      }
      Row row;
      const int n = sqlite3_column_count(raw);
      row.reserve(static_cast<std::size_t>(n));
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(raw, c)) {
          case SQLITE_NULL: row.emplace_back(nullptr); break;
          case SQLITE_INTEGER: row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(raw, c))); break;
          case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(raw, c)); break;
          case SQLITE_BLOB: {
            const auto* p = static_cast<const char*>(sqlite3_column_blob(raw, c));
            row.emplace_back(Blob{std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(raw, c)))});
            break;
          }
          default: {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(raw, c));
            row.emplace_back(std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(raw, c))));
          }
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Status execute_script(std::string_view sql) override {
    char* msg = nullptr;
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg ? msg : "unknown error";
      sqlite3_free(msg);
      return Error(make_error_code(errc::query_failed), describe() + ": " + m);
    }
    return {};
  }

  // Every transaction Roadside opens writes, so each takes the write lock when it begins,
  // waiting its turn (busy_timeout). A deferred one that read first could not wait: once
  // another connection had committed since its read, its first write failed at once
  // ("database is locked").
  Status begin_exclusive() override { return simple("BEGIN IMMEDIATE"); }
  Status begin() override { return simple("BEGIN IMMEDIATE"); }
  Status commit() override { return simple("COMMIT"); }
  Status rollback() override { return simple("ROLLBACK"); }

 private:
  // Statements are prepared once per connection and kept by their text: preparing costs
  // more than running most of them. Texts built for lists of ids vary, so the cache is
  // bounded: when full, it starts again.
  static constexpr std::size_t kMaxStatements = 64;

  Result<sqlite3_stmt*> prepared(std::string_view sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
      return error(errc::query_failed, "preparing statement");
    }
    if (statements_.size() >= kMaxStatements) forget_statements();
    statements_.emplace(std::string(sql), raw);
    return raw;
  }

  void forget_statements() {
    for (auto& [sql, st] : statements_) sqlite3_finalize(st);
    statements_.clear();
  }

  Status simple(std::string_view sql) {
    auto done = query(sql, {});
    if (!done.ok()) return Error(done.error().code(), std::string(sql) + ": " + done.error().detail());
    return {};
  }

  Error error(errc e, const std::string& what) const {
    return Error(make_error_code(e), describe() + ": " + what + ": " + sqlite3_errmsg(db_));
  }

  sqlite3* db_;
  std::string path_;
  // Looked up by string_view: a hit allocates nothing.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, sqlite3_stmt*, TextHash, std::equal_to<>> statements_;
};

}  // namespace

Result<std::unique_ptr<Connection>> open_sqlite(const SqliteOptions& options) {
  const std::string path = options.path.string();
  // The database will hold secrets: create it readable by this user only. Only a file that
  // is not there yet is opened here: close() drops every POSIX lock this process holds on the
  // file, the locks of this process's other connections to it included, and a writer that
  // lost its lock corrupts the database ("database disk image is malformed").
  if (path != ":memory:") {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
    } else if (errno != EEXIST) {
      return Error(make_error_code(errc::connection_failed),
                   "cannot open or create the database file " + path + ": " + std::strerror(errno));
    }
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Error(make_error_code(errc::connection_failed), "cannot open SQLite database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));
  sqlite3_extended_result_codes(db, 1);
  auto conn = std::make_unique<SqliteConnection>(db, path);
  // WAL lets readers and one writer work at once; FULL sync keeps committed transactions
  // across power loss, as PostgreSQL does by default.
  // A page cache of 1 MiB per connection (SQLite's default is 2): the rows written and read
  // are recent; older pages come from the file system's cache.
  auto st = conn->execute_script(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-1024;");
  if (!st.ok()) {
    return Error(make_error_code(errc::connection_failed), "cannot use SQLite database " + path + ": " + st.error().detail());
  }
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace roadside::storage
