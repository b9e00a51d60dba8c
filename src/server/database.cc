#include "server/database.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/log.h"
#include "base/random.h"
#include "crypto/crypto.h"
#include "server/health.h"

namespace roadside::server {

namespace fs = std::filesystem;

namespace {

// The instance a secondary serves: the primary's. A secondary never makes one, so it does not
// start before the primary has started once.
Result<std::string> existing_instance(storage::Store& store) {
  ROADSIDE_TRY(auto id, store.get_setting("instance.id"));
  if (!id) {
    return Error(std::make_error_code(std::errc::resource_unavailable_try_again),
                 "the database holds no server yet: start the primary (node.role=primary) first");
  }
  return *std::move(id);
}

// A primary or secondary shares its database with the other nodes: only PostgreSQL can.
Status check_role(const DatabaseOptions& o) {
  if (o.clustered() && o.kind != "postgresql") {
    return Error(std::make_error_code(std::errc::invalid_argument),
                 "node.role " + o.role + " needs the cluster's PostgreSQL database (database.host / XROAD_DB_HOST); "
                 "SQLite serves one standalone node");
  }
  return {};
}

// The first administrator, from XROAD_ADMIN_USER and XROAD_ADMIN_PASSWORD, when the database
// has none yet (a first start; nodes starting together create one). The password is kept only
// as a salted PBKDF2 hash, so two servers given the same password keep different hashes.
Status create_initial_admin(storage::Store& store, const std::string& user, std::string password) {
  if (user.empty()) return {};
  if (password.empty()) {
    log::warn("admin.user is set without admin.password (XROAD_ADMIN_PASSWORD): no administrator created", {{"user", user}});
    return {};
  }
  const std::string hash = crypto::hash_password(password);
  std::fill(password.begin(), password.end(), '\0');
  auto created = store.with_connection([&](storage::Connection& c) {
    const storage::Value params[] = {user, hash};
    return c.query(
        "INSERT INTO administrators (name, password_hash) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM administrators) "
        "ON CONFLICT (name) DO NOTHING RETURNING name",
        params);
  });
  if (!created.ok()) return Error(created.error().code(), "cannot create the initial administrator: " + created.error().detail());
  if (!created->empty()) log::audit("Create initial administrator", "system", {{"user", user}});
  return {};
}

}  // namespace

DatabaseOptions DatabaseOptions::from(const config::Config& c) {
  DatabaseOptions o;
  o.data_dir = c.str("data_dir");
  o.kind = c.str("database.kind");
  if (o.kind == "auto") o.kind = c.is_set("database.host") ? "postgresql" : "sqlite";
  o.sqlite_path = c.str("database.sqlite_path");
  if (o.sqlite_path.empty()) o.sqlite_path = o.data_dir / "roadside.db";
  o.postgres.host = c.str("database.host");
  o.postgres.port = static_cast<int>(c.integer("database.port"));
  o.postgres.user = c.str("database.user");
  o.postgres.password = c.str("database.password");
  o.postgres.database = c.str("database.name");
  o.postgres.sslmode = c.str("database.sslmode");
  o.postgres.sslrootcert = c.str("database.sslrootcert");
  o.postgres.connect_timeout_s = static_cast<int>(c.integer("database.connect_timeout_s"));
  o.postgres.statement_timeout_ms = static_cast<int>(c.integer("database.statement_timeout_ms"));
  o.role = c.str("node.role");
  o.admin_user = c.str("admin.user");
  o.admin_password = c.str("admin.password");
  return o;
}

Result<std::unique_ptr<storage::Store>> open_store(const DatabaseOptions& options) {
  ROADSIDE_TRY_STATUS(prepare_data_dir(options.data_dir));
  ROADSIDE_TRY(auto conn, open_database(options));
  auto store = std::make_unique<storage::Store>(std::move(conn));
  ROADSIDE_TRY_STATUS(store->migrate());
  return store;
}

Status prepare_data_dir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) {
      return Error(std::make_error_code(std::errc::io_error),
                   "data directory " + dir.string() + " cannot be created: " + ec.message() +
                       " (set --data-dir or ROADSIDE_DATA_DIR to a writable directory)");
    }
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  if (!fs::is_directory(dir, ec)) {
    return Error(std::make_error_code(std::errc::not_a_directory), "data directory " + dir.string() + " is not a directory");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return Error(std::make_error_code(std::errc::permission_denied),
                 "data directory " + dir.string() + " is not writable by this user (uid " + std::to_string(::getuid()) +
                     "); set --data-dir or ROADSIDE_DATA_DIR to a writable directory");
  }
  return {};
}

Result<std::unique_ptr<storage::Connection>> open_database(const DatabaseOptions& o) {
  if (o.kind == "sqlite") return storage::open_sqlite({o.sqlite_path});
  return storage::open_postgres(o.postgres);
}

Database::Database(DatabaseOptions options, Readiness& readiness) : options_(std::move(options)), readiness_(readiness) {}

Status Database::start() {
  ROADSIDE_TRY_STATUS(prepare_data_dir(options_.data_dir));
  ROADSIDE_TRY_STATUS(check_role(options_));
  ROADSIDE_TRY(auto conn, open_database(options_));
  store_ = std::make_unique<storage::Store>(std::move(conn));
  ROADSIDE_TRY(auto schema, store_->migrate());
  const std::string new_id = Random::system().uuid();
  ROADSIDE_TRY(const std::string instance,
               options_.secondary() ? existing_instance(*store_) : store_->put_setting_if_absent("instance.id", new_id));
  const bool first_run = instance == new_id;  // this start created the instance
  if (first_run) log::audit("Initialize server instance", "system", {{"instance_id", instance}, {"database", store_->describe()}});
  if (!options_.secondary()) {
    auto admin = create_initial_admin(*store_, options_.admin_user, std::move(options_.admin_password));
    options_.admin_password.clear();  // its one use is over
    ROADSIDE_TRY_STATUS(admin);
  }
  if (options_.kind == "postgresql" && !storage::verifies_server(options_.postgres)) {
    log::warn("the database connection does not authenticate the server: anyone on the network path to it can read "
              "and change what Roadside stores, or turn TLS off; set database.sslrootcert (then sslmode is verify-full) "
              "or database.sslmode=verify-full (docs/database.md)",
              {{"sslmode", storage::effective_sslmode(options_.postgres)}});
  }
  log::info("database ready", {{"database", store_->describe()},
                               {"node_role", options_.role},
                               {"schema_version", schema.version},
                               {"instance_id", instance},
                               {"first_run", first_run}});
  // /readyz reads the probe's last answer: a database that stops answering never holds up
  // the health listener or the proxies sharing its threads.
  storage::Store* store = store_.get();
  probe_ = std::make_unique<DatabaseProbe>(database_check([store] { return store->ping(); }));
  readiness_.add("storage", [probe = probe_.get()] { return probe->status(); });
  return {};
}

}  // namespace roadside::server
