#include "server/application.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/clock.h"
#include "base/log.h"
#include "base/random.h"
#include "crypto/crypto.h"
#include "metrics/metrics.h"
#include "net/http_server.h"
#include "net/url.h"
#include "globalconf/files.h"
#include "server/database_probe.h"
#include "server/exchange.h"
#include "server/globalconf_service.h"
#include "server/health.h"
#include "server/readiness.h"
#include "storage/cluster.h"
#include "storage/store.h"

namespace roadside::server {

namespace {

// The first administrator, from XROAD_ADMIN_USER and XROAD_ADMIN_PASSWORD, when the database
// has none yet (a first start; nodes starting together create one). The password is kept only
// as a salted PBKDF2 hash, so two servers given the same password keep different hashes.
Status create_initial_admin(storage::Store& store, const config::Config& config) {
  const std::string user = config.str("admin.user");
  if (user.empty()) return {};
  std::string password = config.str("admin.password");
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
namespace asio = boost::asio;
namespace fs = std::filesystem;

struct Application::State {
  asio::io_context io;
  metrics::Registry metrics;
  Readiness readiness;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<DatabaseProbe> database_probe;  // before the store goes
  std::unique_ptr<net::HttpServer> health;
  std::unique_ptr<GlobalconfService> globalconf;
  std::unique_ptr<MessageExchange> exchange;
  std::atomic<bool> stopping{false};
};

namespace {

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

std::string database_kind(const config::Config& c) {
  std::string kind = c.str("database.kind");
  if (kind == "auto") kind = c.is_set("database.host") ? "postgresql" : "sqlite";
  return kind;
}

storage::PostgresOptions postgres_options(const config::Config& c) {
  storage::PostgresOptions o;
  o.host = c.str("database.host");
  o.port = static_cast<int>(c.integer("database.port"));
  o.user = c.str("database.user");
  o.password = c.str("database.password");
  o.database = c.str("database.name");
  o.sslmode = c.str("database.sslmode");
  o.sslrootcert = c.str("database.sslrootcert");
  o.connect_timeout_s = static_cast<int>(c.integer("database.connect_timeout_s"));
  o.statement_timeout_ms = static_cast<int>(c.integer("database.statement_timeout_ms"));
  return o;
}

Result<std::unique_ptr<storage::Connection>> open_database(const config::Config& c) {
  if (database_kind(c) == "sqlite") {
    fs::path path = c.str("database.sqlite_path");
    if (path.empty()) path = fs::path(c.str("data_dir")) / "roadside.db";
    return storage::open_sqlite({path});
  }
  return storage::open_postgres(postgres_options(c));
}

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
Status check_role(const config::Config& c) {
  const std::string role = c.str("node.role");
  if (role != "standalone" && database_kind(c) != "postgresql") {
    return Error(std::make_error_code(std::errc::invalid_argument),
                 "node.role " + role + " needs the cluster's PostgreSQL database (database.host / XROAD_DB_HOST); "
                 "SQLite serves one standalone node");
  }
  return {};
}


}  // namespace

Application::Application(config::Config config) : config_(std::move(config)), state_(std::make_unique<State>()) {}
Application::~Application() = default;

int Application::run() {
  State& s = *state_;
  const auto started = std::chrono::steady_clock::now();
  log::info("starting", {{"version", ROADSIDE_VERSION}, {"pid", ::getpid()}, {"uid", ::getuid()}, {"variant", config_.str("variant")}});
  for (const auto& w : config_.warnings()) log::warn(w);

  // 1. Data directory and database.
  const fs::path data_dir = config_.str("data_dir");
  if (auto st = prepare_data_dir(data_dir); !st.ok()) {
    log::error("cannot start", {{"component", "storage"}, {"error", st.error().detail()}});
    return 1;
  }
  if (auto st = check_role(config_); !st.ok()) {
    log::error("cannot start", {{"component", "cluster"}, {"error", st.error().detail()}});
    return 1;
  }
  const std::string role = config_.str("node.role");
  const bool secondary = role == "secondary";
  auto conn = open_database(config_);
  if (!conn.ok()) {
    log::error("cannot start", {{"component", "storage"}, {"error", conn.error().detail()}});
    return 1;
  }
  s.store = std::make_unique<storage::Store>(std::move(conn).value());
  auto schema = s.store->migrate();
  if (!schema.ok()) {
    log::error("cannot start", {{"component", "storage"}, {"error", schema.error().detail()}});
    return 1;
  }
  const std::string new_id = Random::system().uuid();
  auto instance = secondary ? existing_instance(*s.store) : s.store->put_setting_if_absent("instance.id", new_id);
  if (!instance.ok()) {
    log::error("cannot start", {{"component", "storage"}, {"error", instance.error().detail()}});
    return 1;
  }
  const bool first_run = *instance == new_id;  // this start created the instance
  if (first_run) {
    log::audit("Initialize server instance", "system", {{"instance_id", *instance}, {"database", s.store->describe()}});
  }
  if (!secondary) {
    if (auto st = create_initial_admin(*s.store, config_); !st.ok()) {
      log::error("cannot start", {{"component", "storage"}, {"error", st.error().detail()}});
      return 1;
    }
  }
  if (database_kind(config_) == "postgresql" && !storage::verifies_server(postgres_options(config_))) {
    log::warn("the database connection does not authenticate the server: anyone on the network path to it can read "
              "and change what Roadside stores, or turn TLS off; set database.sslrootcert (then sslmode is verify-full) "
              "or database.sslmode=verify-full (docs/database.md)",
              {{"sslmode", storage::effective_sslmode(postgres_options(config_))}});
  }
  log::info("database ready", {{"database", s.store->describe()},
                               {"node_role", role},
                               {"schema_version", schema->version},
                               {"instance_id", *instance},
                               {"first_run", first_run}});
  storage::Store* store = s.store.get();
  // /readyz reads the probe's last answer: a database that stops answering never holds up
  // the health listener or the proxies sharing its threads.
  s.database_probe = std::make_unique<DatabaseProbe>(database_check([store] { return store->ping(); }));
  s.readiness.add("storage", [probe = s.database_probe.get()] { return probe->status(); });
  // The global configuration: from the anchor, refreshed in the background.
  const std::string anchor_file = config_.str("globalconf.anchor");
  if (anchor_file.empty()) {
    s.readiness.add("globalconf", []() -> std::optional<std::string> {
      return std::string("no configuration anchor (set globalconf.anchor or ROADSIDE_GLOBALCONF_ANCHOR)");
    });
  } else {
    auto xml = globalconf::read_file_limited(anchor_file, 1024 * 1024);
    auto anchor = xml.ok() ? globalconf::Anchor::parse(*xml) : Result<globalconf::Anchor>(xml.error());
    if (!anchor.ok()) {
      log::error("cannot start", {{"component", "globalconf"}, {"anchor", anchor_file}, {"error", anchor.error().detail()}});
      return 1;
    }
    log::info("configuration anchor", {{"instance", anchor->instance}, {"sources", anchor->sources.size()}});
    s.globalconf = std::make_unique<GlobalconfService>(s.io, std::move(anchor).value(), data_dir / "globalconf",
                                                       std::chrono::seconds(config_.integer("globalconf.refresh_interval_s")),
                                                       s.metrics);
    GlobalconfService* gc = s.globalconf.get();
    s.readiness.add("globalconf", [gc] { return gc->not_ready(); });
  }

  // 2. Metrics and the health listener.
  register_process_metrics(s.metrics);
  net::ServerOptions health_opts = health_listener_options(config_);
  health_opts.limits = http_limits(config_);
  s.health = std::make_unique<net::HttpServer>(s.io, health_opts, make_health_handler(s.readiness, s.metrics), s.metrics);
  if (auto st = s.health->start(); !st.ok()) {
    log::error("cannot start", {{"component", "health"}, {"error", st.error().detail()}});
    return 1;
  }
  const std::string base = net::local_base_url("http", health_opts.address, s.health->port());
  log::info("listening", {{"component", "health"}, {"address", health_opts.address}, {"port", s.health->port()}});

  if (s.globalconf) s.globalconf->start();

  // The message exchange: token, signer, server configuration, proxies.
  s.exchange = std::make_unique<MessageExchange>(s.io, config_, *s.store, s.globalconf.get(), s.metrics, s.readiness);
  if (role != "standalone") {
    // A node of a cluster: a connection of its own for the OCSP lease, one for change
    // notifications.
    const auto pg = postgres_options(config_);
    auto lease_conn = storage::open_postgres(pg);
    auto listener = storage::listen_postgres(pg, std::string(storage::kConfigChannel));
    if (!lease_conn.ok() || !listener.ok()) {
      log::error("cannot start", {{"component", "cluster"},
                                  {"error", (!lease_conn.ok() ? lease_conn.error() : listener.error()).detail()}});
      return 1;
    }
    s.exchange->join_cluster(std::make_unique<storage::Lease>(std::move(lease_conn).value(), storage::kOcspLeaseKey),
                             std::move(listener).value());
  }
  if (auto st = s.exchange->start(); !st.ok()) {
    log::error("cannot start", {{"component", "exchange"}, {"error", st.error().detail()}});
    return 1;
  }
  nlohmann::json endpoints = {{"livez", base + "/livez"}, {"readyz", base + "/readyz"}, {"metrics", base + "/metrics"}};
  for (const auto& [name, url] : s.exchange->endpoints()) endpoints[name] = url;

  // 3. Stop on SIGTERM/SIGINT.
  asio::signal_set signals(s.io, SIGTERM, SIGINT);
  const auto drain = std::chrono::milliseconds(config_.integer("shutdown.drain_timeout_ms"));
  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (s.stopping.exchange(true)) {
      log::warn("second stop signal: stopping now", {{"signal", signo}});
      s.io.stop();
      return;
    }
    log::info("stopping", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}, {"drain_timeout_ms", drain.count()}});
    signals.async_wait(on_signal);
    asio::co_spawn(
        s.io,
        [&]() -> asio::awaitable<void> {
          if (s.globalconf) s.globalconf->stop();
          co_await s.exchange->stop(drain);
          co_await s.health->stop(drain);
          s.io.stop();
        },
        asio::detached);
  };
  signals.async_wait(on_signal);

  log::info("started", {{"version", ROADSIDE_VERSION},
                        {"startup_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - started)
                                           .count()},
                        {"endpoints", endpoints}});

  const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { s.io.run(); });
  s.io.run();
  for (auto& t : pool) t.join();

  s.exchange.reset();
  s.globalconf.reset();
  s.health.reset();
  s.database_probe.reset();
  s.store.reset();
  log::info("stopped");
  log::flush();
  return 0;
}

int apply_server_conf(const config::Config& config, const std::string& file) {
  auto text = globalconf::read_file_limited(file, 16 << 20);
  if (!text.ok()) {
    std::fprintf(stderr, "roadside: %s\n", text.error().detail().c_str());
    return 1;
  }
  auto conf = serverconf::ServerConf::parse_yaml(*text);
  if (!conf.ok()) {
    std::fprintf(stderr, "roadside: %s: %s\n%s\n", file.c_str(), conf.error().detail().c_str(), conf.error().fault_code().c_str());
    return 1;
  }
  if (auto st = prepare_data_dir(config.str("data_dir")); !st.ok()) {
    std::fprintf(stderr, "roadside: %s\n", st.error().detail().c_str());
    return 1;
  }
  if (config.str("node.role") == "secondary") {
    std::fprintf(stderr,
                 "roadside: this node is a secondary (node.role): its configuration comes from the primary; "
                 "apply %s on the primary\n",
                 file.c_str());
    return 3;
  }
  auto conn = open_database(config);
  if (!conn.ok()) {
    std::fprintf(stderr, "roadside: %s\n", conn.error().detail().c_str());
    return 1;
  }
  storage::Store store(std::move(conn).value());
  if (auto schema = store.migrate(); !schema.ok()) {
    std::fprintf(stderr, "roadside: %s\n", schema.error().detail().c_str());
    return 1;
  }
  auto applied = serverconf::apply(store, *conf, file);
  if (!applied.ok()) {
    std::fprintf(stderr, "roadside: %s\n", applied.error().detail().c_str());
    return 1;
  }
  if (applied->second) {
    log::audit("Apply server configuration", "system", {{"file", file}, {"revision", applied->first}});
    std::printf("applied %s as revision %lld to %s\n", file.c_str(), static_cast<long long>(applied->first), store.describe().c_str());
  } else {
    std::printf("unchanged: %s is revision %lld already\n", file.c_str(), static_cast<long long>(applied->first));
  }
  return 0;
}

}  // namespace roadside::server
