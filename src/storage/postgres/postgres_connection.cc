// PostgreSQL implementation of storage::Connection, on libpq.
#include <libpq-fe.h>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>

#include <charconv>
#include <vector>

#include "base/log.h"
#include "storage/cluster.h"
#include "storage/store.h"

namespace roadside::storage {
namespace {

// Fixed key of the advisory lock that serializes migrations across nodes ("RDSDMIGR").
constexpr long long kMigrationLockKey = 0x524453444d494752LL;

// Type OIDs from pg_type.h.
constexpr Oid kBoolOid = 16, kByteaOid = 17, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kFloat4Oid = 700,
              kFloat8Oid = 701, kOidOid = 26;

std::string hex_encode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string hex_decode(std::string_view text) {
  if (text.substr(0, 2) != "\\x") return std::string(text);
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  for (std::size_t i = 2; i + 1 < text.size(); i += 2) out += static_cast<char>(nib(text[i]) * 16 + nib(text[i + 1]));
  return out;
}

// Rewrites "?" placeholders to "$1", "$2", ... outside quoted strings and identifiers.
std::string to_dollar_params(std::string_view sql) {
  std::string out;
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$' + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

class PostgresConnection final : public Connection {
 public:
  PostgresConnection(PGconn* conn, std::string description, std::chrono::milliseconds deadline,
                     std::chrono::milliseconds reconnect_pause)
      : conn_(conn), description_(std::move(description)), deadline_(deadline), reconnect_pause_(reconnect_pause) {}
  ~PostgresConnection() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::postgresql; }
  std::string describe() const override { return description_; }

  Result<std::vector<Row>> query(std::string_view sql, std::span<const Value> params) override {
    reconnect_if_broken();
    const std::string text = to_dollar_params(sql);
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        values[i] = nullptr;
        continue;
      }
      if (auto* p = std::get_if<std::int64_t>(&v)) storage[i] = std::to_string(*p);
      else if (auto* d = std::get_if<double>(&v)) storage[i] = std::to_string(*d);
      else if (auto* s = std::get_if<std::string>(&v)) storage[i] = *s;
      else storage[i] = hex_encode(std::get<Blob>(v).bytes);
      values[i] = storage[i].c_str();
    }
    PGresult* res = run([&] {
      return PQsendQueryParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr, values.data(), nullptr, nullptr, 0);
    });
    std::unique_ptr<PGresult, decltype(&PQclear)> guard(res, &PQclear);
    const auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return error(res);
    std::vector<Row> rows;
    const int nrows = PQntuples(res), ncols = PQnfields(res);
    rows.reserve(static_cast<std::size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      Row row;
      row.reserve(static_cast<std::size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        if (PQgetisnull(res, r, c)) {
          row.emplace_back(nullptr);
          continue;
        }
        const std::string_view cell(PQgetvalue(res, r, c), static_cast<std::size_t>(PQgetlength(res, r, c)));
        switch (PQftype(res, c)) {
          case kInt2Oid:
          case kInt4Oid:
          case kInt8Oid:
          case kOidOid: {
            std::int64_t n = 0;
            std::from_chars(cell.data(), cell.data() + cell.size(), n);
            row.emplace_back(n);
            break;
          }
          case kBoolOid: row.emplace_back(std::int64_t{cell == "t" ? 1 : 0}); break;
          case kFloat4Oid:
          case kFloat8Oid: row.emplace_back(std::stod(std::string(cell))); break;
          case kByteaOid: row.emplace_back(Blob{hex_decode(cell)}); break;
          default: row.emplace_back(std::string(cell));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Status execute_script(std::string_view sql) override {
    // Simple-query protocol: several statements in one call, no parameters.
    reconnect_if_broken();
    const std::string text(sql);
    PGresult* res = run([&] { return PQsendQuery(conn_, text.c_str()); });
    std::unique_ptr<PGresult, decltype(&PQclear)> guard(res, &PQclear);
    const auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY) return error(res);
    return {};
  }

  Status begin_exclusive() override {
    ROADSIDE_TRY_STATUS(execute_script("BEGIN"));
    auto st = execute_script("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLockKey) + ")");
    if (!st.ok()) (void)execute_script("ROLLBACK");
    return st;
  }
  Status begin() override { return execute_script("BEGIN"); }
  Status commit() override { return execute_script("COMMIT"); }
  Status rollback() override { return execute_script("ROLLBACK"); }

 private:
  // A connection that broke (server restart, failover, idle kill) is re-established before
  // the next statement; the statement that met the break has already failed and is not
  // retried, since it may have run.
  //
  // While the server cannot be reached, an attempt can take the whole connect timeout. After
  // such a slow failure, statements fail at once (no connection) for reconnect_pause_ instead
  // of each making an attempt of its own: the calls queued on this connection (a message's log
  // record behind others) are refused within about one timeout, not one timeout each. A quick
  // failure (refused: the server is restarting) costs nothing and is tried again at once.
  void reconnect_if_broken() {
    if (PQstatus(conn_) != CONNECTION_BAD) return;
    const auto now = std::chrono::steady_clock::now();
    if (paused_until_ && now < *paused_until_) return;
    PQreset(conn_);
    const auto after = std::chrono::steady_clock::now();
    paused_until_.reset();
    if (PQstatus(conn_) == CONNECTION_BAD && after - now >= kSlowReconnect) paused_until_ = after + reconnect_pause_;
  }
  static constexpr std::chrono::milliseconds kSlowReconnect{1000};

  // Sends a statement with `send` and waits for its result, at most deadline_ (the server's
  // statement_timeout plus a margin) even when the server or the path to it goes silent:
  // then the connection is shut down (re-established before the next statement) and the
  // call fails. Returns the first error result, else the last result; null when none came.
  template <typename Send>
  PGresult* run(Send send) {
    if (!send()) return nullptr;
    const auto until = std::chrono::steady_clock::now() + deadline_;
    PGresult* kept = nullptr;
    for (;;) {
      while (PQisBusy(conn_)) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        pollfd p{PQsocket(conn_), POLLIN, 0};
        const int ready = deadline_.count() > 0 ? ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left.count(), 0))) : ::poll(&p, 1, -1);
        if (ready == 0) {
          timed_out_ = true;
          ::shutdown(PQsocket(conn_), SHUT_RDWR);  // libpq now sees a broken connection
        }
        if (ready < 0 && errno == EINTR) continue;
        if (!PQconsumeInput(conn_)) break;
      }
      PGresult* r = PQgetResult(conn_);
      if (!r) break;
      const auto st = PQresultStatus(r);
      const bool failed = st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY;
      const bool kept_failed = kept && PQresultStatus(kept) != PGRES_COMMAND_OK && PQresultStatus(kept) != PGRES_TUPLES_OK &&
                               PQresultStatus(kept) != PGRES_EMPTY_QUERY;
      if (kept_failed || (!failed && PQstatus(conn_) == CONNECTION_BAD)) {
        PQclear(r);
      } else {
        PQclear(kept);
        kept = r;
      }
      if (PQstatus(conn_) == CONNECTION_BAD) break;
    }
    return kept;
  }

  Error error(PGresult* res) const {
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (timed_out_) {
      timed_out_ = false;
      Error e(make_error_code(errc::connection_failed),
              description_ + ": no answer within " + std::to_string(deadline_.count()) + " ms; the connection is dropped");
      // Said here, whichever caller asked: callers that retry quietly would leave it unsaid.
      log::warn("a database call timed out", {{"error", e.detail()}});
      return e;
    }
    errc code = errc::query_failed;
    if (PQstatus(conn_) != CONNECTION_OK) code = errc::connection_failed;
    else if (state && std::string_view(state).substr(0, 2) == "23") code = errc::constraint_violation;
    else if (state && (std::string_view(state) == "40P01" || std::string_view(state) == "55P03")) code = errc::busy;
    return Error(make_error_code(code), description_ + ": " + msg);
  }

  PGconn* conn_;
  std::string description_;
  std::chrono::milliseconds deadline_;
  std::chrono::milliseconds reconnect_pause_;
  std::optional<std::chrono::steady_clock::time_point> paused_until_;  // no attempt to reconnect before then
  mutable bool timed_out_ = false;  // the last statement met the deadline (reported once by error())
};

// A libpq connection made from `o`, or why not. Keywords and values are passed separately: no
// escaping, and the password never ends up in a connection string that could be logged.
Result<PGconn*> connect(const PostgresOptions& o, const std::string& description) {
  const std::string port = std::to_string(o.port);
  const std::string timeout = std::to_string(o.connect_timeout_s);
  // A statement limit on the server, and on the client side TCP keepalives (first probe after
  // 5 s idle, 3 probes 2 s apart) and a TCP user timeout, so a host that stops answering is
  // detected within seconds instead of the kernel's two hours.
  const std::string statement = "-c statement_timeout=" + std::to_string(o.statement_timeout_ms);
  const std::string user_timeout = std::to_string(o.statement_timeout_ms > 0 ? o.statement_timeout_ms : 30'000);
  const std::string sslmode = effective_sslmode(o);
  std::vector<const char*> keys = {"host",           "port",          "user",           "password",           "dbname",
                                   "sslmode",        "connect_timeout", "application_name", "options",          "keepalives",
                                   "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"};
  std::vector<const char*> values = {o.host.c_str(),  port.c_str(),    o.user.c_str(),   o.password.c_str(),   o.database.c_str(),
                                     sslmode.c_str(), timeout.c_str(), "roadside",       statement.c_str(),    "1",
                                     "5",             "2",             "3",              user_timeout.c_str()};
  if (!o.sslrootcert.empty()) {
    keys.push_back("sslrootcert");
    values.push_back(o.sslrootcert.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
  if (!conn || PQstatus(conn) != CONNECTION_OK) {
    std::string msg = conn ? PQerrorMessage(conn) : "out of memory";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(conn);
    return Error(make_error_code(errc::connection_failed), "cannot connect to " + description + ": " + msg);
  }
  // Quiet NOTICEs ("relation already exists, skipping") would otherwise go to stderr.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return conn;
}

std::string describe(const PostgresOptions& o) {
  return "postgresql://" + o.user + "@" + (o.host.empty() ? "localhost" : o.host) + ":" + std::to_string(o.port) + "/" +
         o.database;
}

class PostgresListener final : public ChangeListener {
 public:
  PostgresListener(PostgresOptions options, std::string channel)
      : options_(std::move(options)), channel_(std::move(channel)), description_(describe(options_)) {}
  ~PostgresListener() override { PQfinish(conn_); }

  Status start() {
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    ROADSIDE_TRY(conn_, connect(options_, description_));
    char* quoted = PQescapeIdentifier(conn_, channel_.data(), channel_.size());
    const std::string sql = "LISTEN " + std::string(quoted ? quoted : "\"\"");
    PQfreemem(quoted);
    PGresult* res = PQexec(conn_, sql.c_str());
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) return Error(make_error_code(errc::query_failed), description_ + ": LISTEN " + channel_ + ": " + PQerrorMessage(conn_));
    return {};
  }

  Result<bool> wait(std::chrono::milliseconds timeout) override {
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      if (auto st = start(); !st.ok()) return st.error();
    }
    if (drain()) return true;
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    const int n = ::poll(&fd, 1, static_cast<int>(timeout.count()));
    if (n < 0 && errno != EINTR) return Error(std::error_code(errno, std::generic_category()), "poll on " + description_);
    if (n > 0 && PQconsumeInput(conn_) == 0) {
      return Error(make_error_code(errc::connection_failed), description_ + ": " + PQerrorMessage(conn_));
    }
    return drain();
  }

 private:
  // Consumes every notification already received; true when there was one.
  bool drain() {
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      any = true;
      PQfreemem(n);
    }
    return any;
  }

  PostgresOptions options_;
  std::string channel_;
  std::string description_;
  PGconn* conn_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<ChangeListener>> listen_postgres(const PostgresOptions& options, std::string channel) {
  auto l = std::make_unique<PostgresListener>(options, std::move(channel));
  ROADSIDE_TRY_STATUS(l->start());
  return std::unique_ptr<ChangeListener>(std::move(l));
}

Result<std::unique_ptr<Connection>> open_postgres(const PostgresOptions& o) {
  const std::string description = describe(o);
  ROADSIDE_TRY(PGconn * conn, connect(o, description));
  // The client waits a little longer than the server's own statement limit, so a slow
  // statement ends with the server's clean error and only a silent server hits this one.
  const auto deadline = std::chrono::milliseconds(o.statement_timeout_ms > 0 ? o.statement_timeout_ms + 2000 : 0);
  const auto pause = std::chrono::milliseconds(1000 * std::max<std::int64_t>(o.connect_timeout_s, 1));
  return std::unique_ptr<Connection>(std::make_unique<PostgresConnection>(conn, description, deadline, pause));
}

}  // namespace roadside::storage
