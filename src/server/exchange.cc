#include "server/exchange.h"

#include <algorithm>
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"
#include "globalconf/files.h"
#include "proxy/ocsp_responder.h"

namespace roadside::server {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

Error start_error(std::string detail) { return Error(std::make_error_code(std::errc::invalid_argument), std::move(detail)); }

}  // namespace

net::ServerLimits http_limits(const config::Config& c) {
  net::ServerLimits l;
  l.max_header_bytes = static_cast<std::size_t>(c.integer("http.max_header_bytes"));
  l.max_body_bytes = static_cast<std::uint64_t>(c.integer("http.max_body_bytes"));
  l.header_timeout = std::chrono::milliseconds(c.integer("http.header_timeout_ms"));
  l.body_timeout = std::chrono::milliseconds(c.integer("http.body_timeout_ms"));
  l.idle_timeout = std::chrono::milliseconds(c.integer("http.idle_timeout_ms"));
  l.min_body_rate = static_cast<std::uint64_t>(c.integer("http.min_body_rate"));
  l.max_connections = static_cast<std::size_t>(c.integer("http.max_connections"));
  return l;
}

MessageExchange::MessageExchange(asio::io_context& io, const config::Config& config, storage::Store& store,
                                 GlobalconfService* globalconf, metrics::Registry& metrics, Readiness& readiness)
    : io_(io),
      config_(config),
      store_(store),
      globalconf_(globalconf),
      metrics_(metrics),
      readiness_(readiness),
      token_(store),
      ocsp_http_(db_io_.get_executor()),
      ocsp_cache_(fs::path(config.str("data_dir")) / "ocsp"),
      ocsp_(ocsp_http_, ocsp_cache_),
      timer_(db_io_),
      secondary_(config.str("node.role") == "secondary") {}

MessageExchange::~MessageExchange() {
  stopped_ = true;
  if (listener_.joinable()) listener_.join();
  // (A pending accept would keep the database thread's loop running: stop() may not have run.)
  if (control_) control_->stop();
  stop_database_thread();
}

void MessageExchange::stop_database_thread() {
  if (!db_thread_.joinable()) return;
  asio::post(db_io_, [this] { timer_.cancel(); });
  db_work_.reset();
  db_thread_.join();
}

void MessageExchange::join_cluster(std::unique_ptr<storage::Lease> ocsp_lease, std::unique_ptr<storage::ChangeListener> changes) {
  ocsp_lease_ = std::move(ocsp_lease);
  changes_ = std::move(changes);
}

// A thread that waits for the primary's change notifications and has the new revision
// loaded at once; the background loop's polling covers a broken listener.
void MessageExchange::listen_for_changes() {
  if (!changes_) return;
  notifications_ = &metrics_.counter("roadside_config_notifications_total",
                                     "Configuration change notifications received from the database");
  log::info("following configuration changes", {{"channel", std::string(storage::kConfigChannel)}});
  listener_ = std::thread([this] {
    bool reported = false;
    while (!stopped_) {
      auto got = changes_->wait(std::chrono::milliseconds(500));
      if (!got.ok()) {
        if (!reported) log::warn("configuration change listener lost its connection; polling until it is back", {{"error", got.error().detail()}});
        reported = true;
        for (int i = 0; i < 20 && !stopped_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      if (reported) log::info("configuration change listener connected again");
      reported = false;
      if (*got) {
        log::debug("configuration change notified");
        notifications_->inc();
        asio::post(db_io_, [this] { reload_serverconf(); });
      }
    }
  });
}

void MessageExchange::import_shared_ocsp(const std::vector<crypto::Certificate>& own) {
  auto rows = store_.with_connection([](storage::Connection& c) { return c.query("SELECT certificate_sha1, response FROM ocsp_responses"); });
  if (!rows.ok()) {
    log::warn("cannot read the cluster's OCSP responses", {{"error", rows.error().detail()}});
    return;
  }
  std::map<std::string, std::string, std::less<>> shared;  // certificate SHA-1 hex -> DER
  for (const auto& row : *rows) {
    const auto id = storage::as_text(row[0]);
    if (const auto* der = std::get_if<storage::Blob>(&row[1]); id && der) shared.emplace(*id, der->bytes);
  }
  for (const auto& cert : own) {
    const auto it = shared.find(cert.sha1_hex());
    if (it == shared.end() || ocsp_cache_.get_by_hash(it->first) == it->second) continue;
    // Verified before use like a fetched one: fresh_response checks it under the rules.
    if (auto st = ocsp_cache_.put(cert, it->second); !st.ok()) log::warn("cannot cache an OCSP response", {{"error", st.error().detail()}});
  }
}

void MessageExchange::export_shared_ocsp(const std::vector<crypto::Certificate>& own) {
  for (const auto& cert : own) {
    auto der = ocsp_cache_.get(cert);
    if (!der) continue;
    auto done = store_.with_connection([&](storage::Connection& c) {
      const storage::Value params[] = {cert.sha1_hex(), storage::Blob{*der}};
      return c.query(
          "INSERT INTO ocsp_responses (certificate_sha1, response) VALUES (?, ?) ON CONFLICT (certificate_sha1) DO UPDATE "
          "SET response = excluded.response, updated_at = excluded.updated_at WHERE ocsp_responses.response <> excluded.response",
          params);
    });
    if (!done.ok()) log::warn("cannot share an OCSP response with the cluster", {{"error", done.error().detail()}});
  }
}

Result<std::pair<std::string, std::string>> MessageExchange::internal_tls() {
  // Made once per instance and kept in the database, so every node of a cluster and every
  // restart presents the same certificate; nodes starting together agree on the first one.
  constexpr std::string_view kSetting = "internal_tls.pem";
  auto stored = store_.get_setting(kSetting);
  if (!stored.ok()) return stored.error();
  std::string pem;
  if (*stored) {
    pem = **stored;
  } else {
    ROADSIDE_TRY(crypto::PrivateKey key, crypto::PrivateKey::generate(crypto::KeyType::ec_p256));
    ROADSIDE_TRY(crypto::Certificate cert,
                 crypto::issue_certificate({.common_name = "Roadside internal TLS", .dns_names = {"localhost"},
                                            .ip_addresses = {"127.0.0.1"}, .usage = crypto::Usage::tls_server,
                                            .validity = std::chrono::hours(24 * 365 * 20)},
                                           key, nullptr, key));
    ROADSIDE_TRY(pem, store_.put_setting_if_absent(kSetting, key.to_pem() + cert.to_pem()));
    log::audit("Generate internal TLS key", "system", {{"certificate", cert.subject()}, {"sha1", cert.sha1_hex()}});
  }
  const auto cert_at = pem.find("-----BEGIN CERTIFICATE-----");
  if (cert_at == std::string::npos) return Error(std::make_error_code(std::errc::invalid_argument), "the stored internal TLS key has no certificate");
  return std::make_pair(pem.substr(0, cert_at), pem.substr(cert_at));
}

std::vector<crypto::Certificate> MessageExchange::own_certificates() const {
  std::vector<crypto::Certificate> out;
  if (auto keys = token_.keys(); keys.ok()) {
    for (const auto& k : *keys) out.push_back(k.cert);
  }
  return out;
}

void MessageExchange::reload_serverconf() {
  if (stopped_) return;  // stopping: no new wait on the database
  auto latest = serverconf::latest_revision(store_);
  if (!latest.ok()) {
    log::warn("cannot read the server configuration", {{"error", latest.error().to_string()}});
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (*latest == revision_) return;
  }
  auto rev = serverconf::load_latest(store_);
  if (!rev.ok()) {
    log::error("cannot load the server configuration", {{"error", rev.error().to_string()}});
    return;
  }
  log::info("server configuration in use",
            {{"revision", rev->number}, {"server", rev->conf->server_id().to_string()}, {"clients", rev->conf->clients.size()},
             {"services", rev->conf->services.size()}, {"access_rights", rev->conf->access.size()}});
  std::lock_guard lock(mu_);
  conf_ = rev->conf;
  revision_ = rev->number;
}

Status MessageExchange::start() {
  // The token: import a folder, then log in with the PIN. (A secondary only reads what the
  // primary put in the database.)
  if (const std::string dir = config_.str("token.import_dir"); !dir.empty() && secondary_) {
    log::info("token.import_dir is imported by the primary; this secondary uses the keys in the database", {{"folder", dir}});
  } else if (!dir.empty()) {
    // With the PIN at hand the keys are sealed as they come in, and their .p12 never reaches
    // the database.
    auto added = token_.import_folder(dir, config_.str("token.pin"));
    if (!added.ok()) return start_error("token.import_dir " + dir + ": " + added.error().detail());
    log::info("software token imported", {{"folder", dir}, {"keys_added", *added}});
  }
  if (const std::string pin = config_.str("token.pin"); !pin.empty()) {
    if (auto st = token_.login(pin); !st.ok()) {
      log::error("token login failed", {{"code", st.error().fault_code()}, {"error", st.error().detail()}});
    } else {
      log::audit("Log in to token", "system", {{"token", "0"}, {"autologin", true}});
      log::info("token logged in", {{"keys", own_certificates().size()}});
    }
  } else {
    log::warn("no token PIN: the server cannot sign until the token is logged in (set XROAD_TOKEN_PIN)");
  }
  ocsp_cache_.load();

  // The server configuration.
  if (const std::string file = config_.str("server_conf.file"); !file.empty() && secondary_) {
    log::info("server_conf.file is applied by the primary; this secondary follows the database", {{"file", file}});
  } else if (!file.empty()) {
    auto text = globalconf::read_file_limited(file, 16 << 20);
    if (!text.ok()) return start_error("server_conf.file: " + text.error().detail());
    auto conf = serverconf::ServerConf::parse_yaml(*text);
    if (!conf.ok()) return start_error("server configuration " + file + ": " + conf.error().detail());
    auto applied = serverconf::apply(store_, *conf, file);
    if (!applied.ok()) return start_error("server configuration " + file + ": " + applied.error().detail());
    if (applied->second) log::audit("Apply server configuration", "system", {{"file", file}, {"revision", applied->first}});
  }
  reload_serverconf();
  listen_for_changes();
  metrics_.gauge_fn("roadside_server_conf_revision", "Revision of the server configuration in use", [this] {
    std::lock_guard lock(mu_);
    return static_cast<double>(revision_);
  });
  metrics_.gauge_fn("roadside_ocsp_lease_held", "1 when this node fetches the OCSP responses (for its cluster)",
                    [this] { return ocsp_lease_held_ ? 1.0 : 0.0; });

  readiness_.add("maintenance", [this]() -> std::optional<std::string> {
    if (!maintenance_) return std::nullopt;
    return std::string("maintenance mode (roadside maintenance off)");
  });
  readiness_.add("token", [this] { return token_.not_ready(); });
  readiness_.add("serverconf", [this]() -> std::optional<std::string> {
    std::lock_guard lock(mu_);
    if (conf_) return std::nullopt;
    return std::string("no server configuration applied (roadside apply FILE, or serve --server-conf FILE)");
  });
  readiness_.add("ocsp", [this]() -> std::optional<std::string> {
    std::lock_guard lock(mu_);
    if (ocsp_problem_.empty()) return std::nullopt;
    return "own certificates' OCSP: " + ocsp_problem_;
  });

  // The proxies.
  proxy::ProxyContext ctx;
  GlobalconfService* gc = globalconf_;
  ctx.shared = [gc]() -> std::shared_ptr<const globalconf::SharedParameters> { return gc ? gc->shared() : nullptr; };
  ctx.globalconf_problem = [gc]() -> std::optional<std::string> {
    return gc ? gc->not_ready() : std::optional<std::string>("no configuration anchor");
  };
  ctx.serverconf = [this] {
    std::lock_guard lock(mu_);
    return conf_;
  };
  ctx.token = &token_;
  ctx.ocsp = &ocsp_;
  ctx.metrics = &metrics_;
  ctx.peer_port = static_cast<unsigned short>(config_.integer("proxy.peer_port"));
  ctx.peer_ocsp_port = static_cast<unsigned short>(config_.integer("proxy.peer_ocsp_port"));
  ctx.soap_memory = std::make_shared<net::ByteBudget>(static_cast<std::uint64_t>(config_.integer("proxy.soap_memory_bytes")));
  net::set_spool_limits({static_cast<std::uint64_t>(config_.integer("proxy.spool_quota_bytes")),
                         static_cast<std::uint64_t>(config_.integer("proxy.spool_min_free_bytes"))});
  ctx.max_message_bytes = static_cast<std::uint64_t>(config_.integer("proxy.max_message_bytes"));
  ctx.spool_dir = fs::path(config_.str("data_dir")) / "spool";
  auto shared_fn = ctx.shared;
  signer_ = std::make_unique<signer::BatchSigner>(
      io_.get_executor(),
      [this, shared_fn](const crypto::Certificate& cert) -> Result<std::vector<std::string>> {
        auto shared = shared_fn();
        if (!shared) return Error(make_error_code(signer::errc::ocsp_unavailable), "no valid global configuration");
        ROADSIDE_TRY(std::string der, ocsp_.fresh_response(cert, shared, std::chrono::system_clock::now()));
        return std::vector<std::string>{std::move(der)};
      },
      metrics_);
  ctx.signer = signer_.get();
  client_proxy_ = std::make_unique<proxy::ClientProxy>(io_, ctx);
  server_proxy_ = std::make_unique<proxy::ServerProxy>(io_, ctx);

  const std::string address = config_.str("listen.address");
  net::ServerLimits limits = http_limits(config_);
  limits.max_body_bytes = ctx.max_message_bytes;

  net::ServerOptions client_opts{"clientproxy", address, static_cast<unsigned short>(config_.integer("proxy.client_port")), limits, std::nullopt};
  client_listener_ = std::make_unique<net::HttpServer>(
      io_, client_opts, [this](net::ServerExchange& ex) { return client_proxy_->handle(ex); }, metrics_);
  if (auto st = client_listener_->start(); !st.ok()) return start_error("client proxy: " + st.error().detail());

  // HTTPS for information systems, on this instance's internal TLS certificate.
  auto internal = internal_tls();
  if (!internal.ok()) return start_error("internal TLS certificate: " + internal.error().detail());
  net::TlsServerConfig is_tls;
  is_tls.cert_chain_pem = internal->second;
  is_tls.key_pem = internal->first;
  is_tls.client_auth = net::ClientAuth::optional;  // SSLAUTH clients present theirs; the client proxy checks it
  net::ServerOptions client_tls_opts{"clientproxy_tls", address, static_cast<unsigned short>(config_.integer("proxy.client_tls_port")),
                                     limits, is_tls};
  client_tls_listener_ = std::make_unique<net::HttpServer>(
      io_, client_tls_opts, [this](net::ServerExchange& ex) { return client_proxy_->handle(ex); }, metrics_);
  if (auto st = client_tls_listener_->start(); !st.ok()) return start_error("client proxy (HTTPS): " + st.error().detail());

  // Peers fetch OCSP responses from the address they reach the server proxy on.
  net::ServerOptions ocsp_opts{"ocsp", peer_facing_address(), static_cast<unsigned short>(config_.integer("proxy.ocsp_responder_port")),
                               http_limits(config_), std::nullopt};
  ocsp_listener_ = std::make_unique<net::HttpServer>(io_, ocsp_opts, proxy::make_ocsp_responder(ocsp_cache_), metrics_);
  if (auto st = ocsp_listener_->start(); !st.ok()) return start_error("OCSP responder: " + st.error().detail());

  server_limits_ = limits;
  if (token_.auth_key().ok()) ROADSIDE_TRY_STATUS(start_server_proxy());
  readiness_.add("proxy", [this]() -> std::optional<std::string> {
    std::lock_guard lock(mu_);
    if (server_listener_) return std::nullopt;
    return std::string("the server proxy is not listening: it needs the token's authentication key (log in with the PIN)");
  });

  // Last, once everything they use exists: the database thread, the control socket it serves
  // (a login there starts the server proxy) and the background loop.
  control_ = std::make_unique<ControlSocket>(db_io_, fs::path(config_.str("data_dir")) / "control.sock",
                                             [this](const std::string& command, const std::string& argument) {
                                               return control_command(command, argument);
                                             });
  if (auto st = control_->start(); !st.ok()) return start_error(st.error().detail());
  db_work_.emplace(db_io_.get_executor());
  db_thread_ = std::thread([this] { db_io_.run(); });
  asio::co_spawn(db_io_, background(), asio::detached);
  return {};
}

std::string MessageExchange::peer_facing_address() const {
  const std::string server_address = config_.str("proxy.server_address");
  return server_address.empty() ? config_.str("listen.address") : server_address;
}

Status MessageExchange::start_server_proxy() {
  // The server proxy authenticates with the authentication key: it needs the token.
  ROADSIDE_TRY(auto auth, token_.auth_key());
  std::lock_guard lock(mu_);
  if (server_listener_) return {};
  const std::string server_address = peer_facing_address();
  net::TlsServerConfig tls;
  tls.cert_chain_pem = auth->info.cert.to_pem();
  tls.key_pem = auth->key.to_pem();
  // A client certificate is required; whether it is a registered authentication
  // certificate is checked per request, so a refused peer gets a fault that says why.
  tls.client_auth = net::ClientAuth::required;
  proxy::ServerProxy* sp = server_proxy_.get();
  net::ServerOptions server_opts{"serverproxy", server_address, static_cast<unsigned short>(config_.integer("proxy.server_port")),
                                 server_limits_, tls};
  auto listener = std::make_unique<net::HttpServer>(io_, server_opts, [sp](net::ServerExchange& ex) { return sp->handle(ex); }, metrics_);
  if (auto st = listener->start(); !st.ok()) return start_error("server proxy: " + st.error().detail());
  server_listener_ = std::move(listener);
  return {};
}

std::vector<std::pair<std::string, std::string>> MessageExchange::endpoints() const {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string address = config_.str("listen.address");
  const std::string peer_facing = peer_facing_address();
  if (client_listener_) out.emplace_back("clientproxy", net::local_base_url("http", address, client_listener_->port()));
  if (client_tls_listener_) out.emplace_back("clientproxy_tls", net::local_base_url("https", address, client_tls_listener_->port()));
  {
    std::lock_guard lock(mu_);
    if (server_listener_) out.emplace_back("serverproxy", net::local_base_url("https", peer_facing, server_listener_->port()));
  }
  if (ocsp_listener_) out.emplace_back("ocsp", net::local_base_url("http", peer_facing, ocsp_listener_->port()));
  return out;
}

asio::awaitable<void> MessageExchange::refresh_ocsp() {
  auto shared = globalconf_ ? globalconf_->shared() : nullptr;
  std::string problem;
  if (!shared) {
    problem = "no valid global configuration to find the CA's OCSP responders";
  } else if (!token_.active()) {
    problem = "the token is not logged in";
  } else {
    const auto own = own_certificates();
    if (ocsp_lease_) import_shared_ocsp(own);
    const bool fetcher = !ocsp_lease_ || ocsp_lease_->hold();
    if (ocsp_lease_ && fetcher != ocsp_lease_held_.exchange(fetcher)) {
      log::info(fetcher ? "this node now fetches the cluster's OCSP responses" : "another node fetches the cluster's OCSP responses");
    }
    if (fetcher) {
      auto st = co_await ocsp_.refresh(own, shared);
      if (!st.ok()) {
        problem = st.error().detail();
        log::warn("OCSP fetch failed", {{"error", problem}});
      }
      if (ocsp_lease_) export_shared_ocsp(own);
    } else {
      const auto now = std::chrono::system_clock::now();
      for (const auto& cert : own) {
        if (auto fresh = ocsp_.fresh_response(cert, shared, now); !fresh.ok()) {
          problem = "waiting for the node that fetches OCSP responses: " + fresh.error().detail();
          break;
        }
      }
    }
  }
  std::lock_guard lock(mu_);
  if (problem.empty() && !ocsp_problem_.empty()) log::info("own certificates have fresh OCSP responses");
  ocsp_problem_ = problem;
}

asio::awaitable<void> MessageExchange::background() {
  using std::chrono::milliseconds;
  const auto poll = std::chrono::seconds(config_.integer("server_conf.poll_interval_s"));
  const milliseconds ocsp_interval = std::chrono::seconds(config_.integer("ocsp.check_interval_s"));
  constexpr milliseconds kFirstRetry{250}, kMaxRetry{2000};
  auto next_poll = std::chrono::steady_clock::now() + poll;
  auto next_ocsp = std::chrono::steady_clock::now();
  // Until own certificates have fresh responses (at start the global configuration is still
  // on its way), try again soon: after 250 ms, doubling to every 2 s.
  milliseconds retry = kFirstRetry;
  while (!stopped_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_poll) {
      reload_serverconf();
      next_poll = now + poll;
    }
    bool problem = false;
    {
      std::lock_guard lock(mu_);
      problem = !ocsp_problem_.empty();
    }
    if (problem && next_ocsp - now > kMaxRetry) next_ocsp = now + retry;
    if (now >= next_ocsp) {
      co_await refresh_ocsp();
      std::lock_guard lock(mu_);
      if (ocsp_problem_.empty()) {
        next_ocsp = now + ocsp_interval;
        retry = kFirstRetry;
      } else {
        next_ocsp = now + std::min(retry, ocsp_interval);
        retry = std::min(retry * 2, kMaxRetry);
      }
    }
    const auto until = std::chrono::duration_cast<milliseconds>(std::min(next_ocsp, next_poll) - std::chrono::steady_clock::now());
    timer_.expires_after(std::clamp(until, milliseconds(50), milliseconds(1000)));
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

std::string MessageExchange::control_command(const std::string& command, const std::string& argument) {
  if (command == "maintenance") {
    if (argument != "on" && argument != "off") return "error: maintenance takes on or off";
    const bool on = argument == "on";
    if (maintenance_.exchange(on) != on) {
      log::audit(on ? "Enable maintenance mode" : "Disable maintenance mode", "control socket");
      log::info(on ? "maintenance mode: /readyz answers 503" : "maintenance mode off");
    }
    return on ? "ok: maintenance mode on: /readyz answers 503 until `roadside maintenance off`" : "ok: maintenance mode off";
  }
  if (command != "token-login") return "error: unknown command \"" + command.substr(0, 64) + "\"";
  if (argument.empty()) return "error: no PIN given";
  if (auto st = token_.login(argument); !st.ok()) {
    log::warn("token login failed", {{"code", st.error().fault_code()}, {"error", st.error().detail()}, {"via", "control socket"}});
    return "error: " + st.error().detail();
  }
  log::audit("Log in to token", "control socket", {{"token", "0"}});
  log::info("token logged in", {{"keys", own_certificates().size()}, {"via", "control socket"}});
  if (auto st = start_server_proxy(); !st.ok()) {
    log::error("server proxy cannot start", {{"error", st.error().detail()}});
    return "error: logged in, but the server proxy cannot start: " + st.error().detail();
  }
  return "ok: token logged in";
}

asio::awaitable<void> MessageExchange::stop(std::chrono::milliseconds drain) {
  stopped_ = true;
  if (listener_.joinable()) listener_.join();
  asio::post(db_io_, [this] { timer_.cancel(); });
  if (control_) control_->stop();
  if (client_listener_) co_await client_listener_->stop(drain);
  if (client_tls_listener_) co_await client_tls_listener_->stop(drain);
  net::HttpServer* server_listener = nullptr;
  {
    std::lock_guard lock(mu_);
    server_listener = server_listener_.get();
  }
  if (server_listener) co_await server_listener->stop(drain);
  if (ocsp_listener_) co_await ocsp_listener_->stop(drain);
}

}  // namespace roadside::server
