#include "server/application.h"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <unistd.h>

#include "base/files.h"
#include "base/log.h"
#include "messagelog/retrieval.h"
#include "metrics/metrics.h"
#include "server/admin_api.h"
#include "server/allocator.h"
#include "server/archiving_service.h"
#include "server/audit_trail.h"
#include "server/backup_service.h"
#include "server/cluster_links.h"
#include "server/component.h"
#include "server/control_commands.h"
#include "server/database.h"
#include "server/database_thread.h"
#include "server/globalconf_service.h"
#include "server/health.h"
#include "server/listeners.h"
#include "server/message_log_service.h"
#include "server/ocsp_refresher.h"
#include "server/op_monitoring_service.h"
#include "server/proxies.h"
#include "server/readiness.h"
#include "server/serverconf_follower.h"
#include "server/timestamping_service.h"
#include "server/token_service.h"
#include "serverconf/revisions.h"

namespace roadside::server {

namespace asio = boost::asio;

// An io_context that can drop what still waits on it (suspended handlers hold pointers into
// the components) before the components are destroyed; its destructor does the same, later.
class IoContext : public asio::io_context {
 public:
  using asio::io_context::shutdown;
};

namespace {

// X-Road's name of an archive grouping (its message-log-encryption-status).
std::string grouping_name(messagelog::ArchiveGrouping grouping) {
  switch (grouping) {
    case messagelog::ArchiveGrouping::member:
      return "MEMBER";
    case messagelog::ArchiveGrouping::subsystem:
      return "SUBSYSTEM";
    case messagelog::ArchiveGrouping::none:
      break;
  }
  return "NONE";
}

// The admin API's view of the message log: a query's records (their content left out), and a
// record's container within /asic's container limit.
void wire_message_log(admin::ServerState& state, const MessageLogService& log) {
  state.logged_messages = [&log](const std::string& query_id,
                                 std::size_t limit) -> Result<std::vector<admin::LoggedMessage>> {
    ROADSIDE_TRY(auto records, log.find(query_id, limit));
    std::vector<admin::LoggedMessage> out;
    out.reserve(records.size());
    for (const auto& r : records) {
      out.push_back(
          {r.id, r.time, r.query_id, r.x_request_id, r.response, r.client, r.timestamped, r.archived, r.body_logged});
    }
    return out;
  };
  state.message_container = [&log](std::int64_t id) -> Result<std::optional<admin::ContainerFile>> {
    ROADSIDE_TRY(auto found, log.container(id, messagelog::RetrievalLimits{}.max_container_bytes));
    if (!found) return std::optional<admin::ContainerFile>();
    return std::optional<admin::ContainerFile>(admin::ContainerFile{std::move(found->name), std::move(found->bytes)});
  };
}

}  // namespace

struct Application::State {
  IoContext io;
  metrics::Registry metrics;
  Readiness readiness;
  // Audit records for the database, from before the first component starts (audit_trail.h).
  AuditQueue audit_queue;
  Listeners listeners{io, metrics};
  std::vector<std::unique_ptr<Component>> started;  // in start order; the last one may have failed
  std::atomic<int> stop_signals{0};
  // A restore replaced the database's configuration and keys: the process stops and exits with
  // kRestartAfterRestore, so that its supervisor (systemd's Restart=on-failure too) starts it.
  std::atomic<bool> restored{false};

  // Once the io_context has stopped: what waits on it goes first, then the components, in
  // reverse order.
  ~State() {
    io.shutdown();
    while (!started.empty()) started.pop_back();
  }

  // Makes a component and starts it; a failure is logged with the component's name. A
  // component that failed is kept too, so the stop that follows undoes its half-done start.
  template <typename C, typename... Args>
  Result<C*> start(Args&&... args) {
    started.push_back(std::make_unique<C>(std::forward<Args>(args)...));
    C* component = static_cast<C*>(started.back().get());
    if (auto st = component->start(); !st.ok()) {
      log::error("cannot start", {{"component", std::string(component->name())}, {"error", st.error().detail()}});
      return st.error();
    }
    return component;
  }

  Status start_all(const config::Config& config);

  // The components stop taking work, every listener closes and drains under the one
  // deadline, then the components stop in reverse order.
  asio::awaitable<void> stop(std::chrono::milliseconds drain) {
    for (auto it = started.rbegin(); it != started.rend(); ++it) (*it)->close();
    co_await listeners.stop(drain);
    for (auto it = started.rbegin(); it != started.rend(); ++it) co_await (*it)->stop();
  }
};

Status Application::State::start_all(const config::Config& config) {
  ROADSIDE_TRY(Database * database, start<Database>(DatabaseOptions::from(config), readiness));
  storage::Store& store = database->store();
  ROADSIDE_TRY(GlobalconfService * globalconf,
               start<GlobalconfService>(io, GlobalconfOptions::from(config), metrics, readiness));
  net::ServerOptions health = health_listener_options(config);
  health.limits = http_limits(config);
  ROADSIDE_TRY_STATUS(start<Health>(health, XRoadHealthCheckOptions::from(config), listeners, readiness, metrics));

  std::unique_ptr<storage::Lease> ocsp_lease;
  std::unique_ptr<storage::ChangeListener> changes;
  if (database->options().clustered()) {
    ROADSIDE_TRY(ClusterLinks * links, start<ClusterLinks>(database->options().postgres));
    ocsp_lease = links->take_ocsp_lease();
    changes = links->take_changes();
  }
  ROADSIDE_TRY(DatabaseThread * db_thread, start<DatabaseThread>());
  asio::io_context& db_io = db_thread->io();
  // (The queue holds the audit records of what started before it.)
  ROADSIDE_TRY_STATUS(start<AuditTrail>(AuditTrailOptions::from(config), audit_queue, store, db_io, metrics));
  ROADSIDE_TRY(TokenService * token, start<TokenService>(store, TokenOptions::from(config), readiness));
  ROADSIDE_TRY(ServerConfFollower * serverconf, start<ServerConfFollower>(store, db_io, ServerConfOptions::from(config),
                                                                          std::move(changes), metrics, readiness));
  auto shared_ocsp = ocsp_lease ? std::make_unique<SharedOcspResponses>(store, std::move(ocsp_lease)) : nullptr;
  ROADSIDE_TRY(OcspRefresher * ocsp, start<OcspRefresher>(db_io, *token, *globalconf, OcspOptions::from(config),
                                                          std::move(shared_ocsp), metrics, readiness));
  // The message log (variant full): time-stamping first, so the logger can ask it.
  const auto log_options = MessageLogOptions::from(config);
  messagelog::Logger::CanLog can_log;
  messagelog::Logger::TimestampNow timestamp_now;
  TimestampingService* timestamping = nullptr;
  if (log_options.enabled) {
    const DatabaseOptions db = database->options();
    ROADSIDE_TRY(timestamping, start<TimestampingService>(
                                   db_io, [db] { return open_database(db); }, db.clustered(), store, *globalconf,
                                   TimestampingServiceOptions::from(config), metrics, readiness));
    can_log = [timestamping] { return timestamping->check(); };
    if (timestamping->timestamp_immediately()) {
      timestamp_now = [timestamping](std::int64_t id, std::string signature) {
        return timestamping->timestamp_now(id, std::move(signature));
      };
    }
  }
  ROADSIDE_TRY(MessageLogService * message_log,
               start<MessageLogService>(log_options, database->options(), std::move(can_log), std::move(timestamp_now),
                                        metrics));
  admin::AddOns add_ons;
  std::function<Result<admin::ArchiveKeys>(const std::string&)> archive_keys;
  if (message_log->log()) {
    auto archiving = ArchivingOptions::from(config);
    if (!archiving.ok()) {
      log::error("cannot start", {{"component", "messagelog_archiver"}, {"error", archiving.error().detail()}});
      return archiving.error();
    }
    add_ons.message_log = true;
    add_ons.database_encrypted = log_options.encryption_enabled;
    add_ons.archive_encrypted = archiving->archiver.encryption.has_value();
    add_ons.grouping_rule = grouping_name(archiving->archiver.grouping);
    if (archiving->archiver.encryption && archiving->archiver.grouping != messagelog::ArchiveGrouping::none) {
      archive_keys = [encryption =
                          *archiving->archiver.encryption](const std::string& member) -> Result<admin::ArchiveKeys> {
        ROADSIDE_TRY(auto keys, messagelog::member_archive_keys(encryption, member));
        return admin::ArchiveKeys{std::move(keys.keys), keys.default_used};
      };
    }
    const DatabaseOptions db = database->options();
    ROADSIDE_TRY_STATUS(start<ArchivingService>(std::move(*archiving), [db] { return open_database(db); }, message_log->sealer(),
                                                metrics));
  }
  auto backups = BackupServiceOptions::from(config);
  if (!backups.ok()) {
    log::error("cannot start", {{"component", "backups"}, {"error", backups.error().detail()}});
    return backups.error();
  }
  const serverbackup::BackupOptions backup_options = backups->backups;
  {
    const DatabaseOptions db = database->options();
    ROADSIDE_TRY_STATUS(start<BackupService>(
        std::move(*backups), store, token->token(), [db] { return open_database(db); }, metrics));
  }
  ROADSIDE_TRY(OpMonitoringService * op_monitoring,
               start<OpMonitoringService>(OpMonitoringOptions::from(config), database->options(), metrics));
  ROADSIDE_TRY(Proxies * proxies, start<Proxies>(io, ProxyOptions::from(config), store, *token, *ocsp, *globalconf,
                                                 *serverconf, listeners, metrics, readiness, message_log, op_monitoring));
  auto admin_options = AdminOptions::from(config);
  if (!admin_options.ok()) {
    log::error("cannot start", {{"component", "admin_api"}, {"error", admin_options.error().detail()}});
    return admin_options.error();
  }
  admin::ServerState admin_state{store, token->token()};
  admin_state.hardware = token->hardware();
  admin_state.shared = [globalconf] { return globalconf->shared(); };
  admin_state.instance = [globalconf] { return globalconf->instance(); };
  // From the database, not the follower's copy: an initialization is seen at once.
  admin_state.server_id = [&store] { return admin::stored_server_id(store); };
  admin_state.ocsp_status = [ocsp](const crypto::Certificate& cert) {
    // The cache holds only responses that verified as good.
    return std::string(ocsp->cache().get(cert) ? "OCSP_RESPONSE_GOOD" : "OCSP_RESPONSE_UNKNOWN");
  };
  admin_state.private_params = [globalconf] { return globalconf->private_params(); };
  // X-Road's Security Server sends management requests through its own client proxy.
  admin_state.post_management_request = [proxies, executor = db_io.get_executor()](std::string content_type,
                                                                                   std::string body) {
    return post_to_client_proxy(executor, proxies->client_proxy_url(), std::move(content_type), std::move(body));
  };
  admin_state.ocsp_response = [ocsp](const crypto::Certificate& cert) { return ocsp->cache().get(cert); };
  // A new or activated certificate: its OCSP response now, and the server proxy once an
  // authentication key is usable.
  admin_state.certificates_changed = [ocsp, proxies] {
    ocsp->refresh_now();
    if (auto st = proxies->start_server_proxy(); !st.ok()) {
      log::debug("server proxy not started yet", {{"why", st.error().detail()}});
    }
  };
  admin_state.anchor_file = config.str("globalconf.anchor");
  admin_state.anchor_replaced = [globalconf] { globalconf->reload_anchor(); };
  admin_state.globalconf_status = [globalconf] {
    auto round = globalconf->last_round();
    return admin::JobStatus{true, round.last, round.next, round.error};
  };
  admin_state.ocsp_round = [ocsp] {
    auto round = ocsp->last_round();
    return admin::JobStatus{true, round.last, round.next, round.problem};
  };
  admin_state.internal_tls = [&store] { return internal_tls(store); };
  admin_state.new_internal_tls = [&store] { return replace_internal_tls(store); };
  admin_state.store_internal_tls = [&store](const std::string& pem) { return store_internal_tls(store, pem); };
  admin_state.backups = backup_options;
  add_ons.op_monitoring = OpMonitoringOptions::from(config).enabled;
  admin_state.add_ons = add_ons;
  admin_state.archive_keys = std::move(archive_keys);
  admin_state.readiness = [this] {
    std::vector<admin::NotReady> out;
    for (auto& r : readiness.reasons()) out.push_back({std::move(r.component), std::move(r.reason)});
    return out;
  };
  if (timestamping) {
    admin_state.timestamping = [timestamping] {
      const auto& job = timestamping->health();
      return admin::TimestampingState{true, job.last_success(), job.failing_since(),
                                      job.problem(Clock::system().now()).value_or("")};
    };
  }
  if (message_log->log()) wire_message_log(admin_state, *message_log);
  {
    // The proxies' own series (the registry gives the same counters), looked up once.
    auto count = [this](const char* proxy, const char* result) -> const metrics::Counter* {
      return &metrics.counter("roadside_messages_total", "Messages processed, by proxy and result",
                              {{"proxy", proxy}, {"result", result}});
    };
    admin_state.traffic = [since = Clock::system().now(), client_ok = count("client", "ok"),
                           client_fault = count("client", "fault"), server_ok = count("server", "ok"),
                           server_fault = count("server", "fault")] {
      return admin::Traffic{
          true, since, client_ok->value(), client_fault->value(), server_ok->value(), server_fault->value()};
    };
  }
  admin_state.restored = [this] {
    restored = true;
    log::warn("configuration restored from a backup: the server stops, to be started on it by its supervisor",
              {{"exit_code", kRestartAfterRestore}});
    // (After a moment, so the answer to the restore is sent.)
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      ::kill(::getpid(), SIGTERM);
    }).detach();
  };
  ROADSIDE_TRY(AdminApi * admin, start<AdminApi>(std::move(*admin_options), std::move(admin_state), db_io, listeners));
  // Last, once everything it uses runs: a login there starts the server proxy.
  ROADSIDE_TRY_STATUS(start<ControlCommands>(db_io, database->options().data_dir / "control.sock", *token, *proxies,
                                             readiness, *admin));
  return {};
}

Application::Application(config::Config config) : config_(std::move(config)), state_(std::make_unique<State>()) {}
Application::~Application() = default;

int Application::run() {
  const bool trim_threshold_raised = tune_allocator();
  State& s = *state_;
  const auto started = std::chrono::steady_clock::now();
  log::info(
      "starting",
      {{"version", ROADSIDE_VERSION}, {"pid", ::getpid()}, {"uid", ::getuid()}, {"variant", config_.str("variant")}});
  for (const auto& w : config_.warnings()) log::warn(w);
  const auto drain = std::chrono::milliseconds(config_.integer("shutdown.drain_timeout_ms"));
  // Nothing is served until every component has started: the io_context runs after.
  if (!s.start_all(config_).ok()) {
    // The components started so far (and the one that failed) stop, on this thread.
    asio::co_spawn(s.io, s.stop(std::chrono::milliseconds(0)), [&](std::exception_ptr) { s.io.stop(); });
    s.io.run();
    state_.reset();
    log::flush();
    return 1;
  }
  nlohmann::json endpoints = nlohmann::json::object();
  for (const auto& [name, url] : s.listeners.endpoints()) {
    if (name != "health") {
      endpoints[name] = url;
      continue;
    }
    for (const char* path : {"livez", "readyz", "metrics"}) endpoints[path] = url + "/" + path;
    endpoints["xroad_health"] = url + "/";
  }

  // Stop on SIGTERM/SIGINT; a second one cuts the drain short, a third exits at once.
  std::optional<asio::signal_set> signals(std::in_place, s.io, SIGTERM, SIGINT);
  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    const int n = ++s.stop_signals;
    if (n == 1) {
      log::info("stopping", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}, {"drain_timeout_ms", drain.count()}});
      asio::co_spawn(s.io, s.stop(drain), [&](std::exception_ptr) { s.io.stop(); });
    } else if (n == 2) {
      log::warn("second stop signal: requests still in flight are cut now", {{"signal", signo}});
      s.listeners.hurry();
    } else {
      // The stop waits on something that does not end (a database statement, a fetch).
      log::error("third stop signal: exiting without finishing the stop", {{"signal", signo}});
      log::flush();
      std::_Exit(1);
    }
    signals->async_wait(on_signal);
  };
  signals->async_wait(on_signal);

  log::info(
      "started",
      {{"version", ROADSIDE_VERSION},
       {"startup_ms",
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()},
       {"endpoints", endpoints}});
  std::optional<MemoryTrimmer> trimmer;  // like `signals`, gone before the io_context
  if (trim_threshold_raised) trimmer.emplace(s.io).start();
  const unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&] { s.io.run(); });
  s.io.run();
  for (auto& t : pool) t.join();

  signals.reset();
  trimmer.reset();
  const bool restored = s.restored;
  state_.reset();  // what still waited on the io_context, then the components in reverse order
  log::info("stopped");
  log::flush();
  return restored ? kRestartAfterRestore : 0;
}

int apply_server_conf(const config::Config& config, const std::string& file) {
  auto fail = [](const std::string& why) {
    std::fprintf(stderr, "roadside: %s\n", why.c_str());
    return 1;
  };
  auto text = read_file_limited(file, 16 << 20);
  if (!text.ok()) return fail(text.error().detail());
  auto conf = serverconf::ServerConf::parse_yaml(*text);
  if (!conf.ok()) return fail(file + ": " + conf.error().detail() + "\n" + conf.error().fault_code());
  const DatabaseOptions options = DatabaseOptions::from(config);
  if (options.secondary()) {
    std::fprintf(stderr,
                 "roadside: this node is a secondary (node.role): its configuration comes from the primary; "
                 "apply %s on the primary\n",
                 file.c_str());
    return 3;
  }
  auto opened = open_store(options);
  if (!opened.ok()) return fail(opened.error().detail());
  storage::Store& store = **opened;
  auto applied = serverconf::apply(store, *conf, file);
  if (!applied.ok()) return fail(applied.error().detail());
  if (applied->second) {
    log::audit("Apply server configuration", "system", {{"file", file}, {"revision", applied->first}});
    std::printf("applied %s as revision %lld to %s\n", file.c_str(), static_cast<long long>(applied->first),
                store.describe().c_str());
  } else {
    std::printf("unchanged: %s is revision %lld already\n", file.c_str(), static_cast<long long>(applied->first));
  }
  return 0;
}

}  // namespace roadside::server
