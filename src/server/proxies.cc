#include "server/proxies.h"

#include "base/log.h"
#include "crypto/crypto.h"
#include "opmon/access_log.h"
#include "proxy/errors.h"
#include "proxy/ocsp_responder.h"
#include "proxy/peer_transport.h"
#include "proxy/service_transport.h"

namespace roadside::server {

namespace {

Error start_error(std::string detail) { return Error(std::make_error_code(std::errc::invalid_argument), std::move(detail)); }

unsigned short port(const config::Config& c, const char* key) { return static_cast<unsigned short>(c.integer(key)); }

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

ProxyOptions ProxyOptions::from(const config::Config& c) {
  ProxyOptions o;
  o.address = c.str("listen.address");
  o.peer_facing_address = c.str("proxy.server_address");
  if (o.peer_facing_address.empty()) o.peer_facing_address = o.address;
  o.client_port = port(c, "proxy.client_port");
  o.client_tls_port = port(c, "proxy.client_tls_port");
  o.server_port = port(c, "proxy.server_port");
  o.ocsp_responder_port = port(c, "proxy.ocsp_responder_port");
  o.peer_port = port(c, "proxy.peer_port");
  o.peer_ocsp_port = port(c, "proxy.peer_ocsp_port");
  o.limits = http_limits(c);
  o.max_message_bytes = static_cast<std::uint64_t>(c.integer("proxy.max_message_bytes"));
  o.proxy_limits = o.limits;
  o.proxy_limits.max_body_bytes = o.max_message_bytes;
  o.soap_memory_bytes = static_cast<std::uint64_t>(c.integer("proxy.soap_memory_bytes"));
  o.spool = {static_cast<std::uint64_t>(c.integer("proxy.spool_quota_bytes")),
             static_cast<std::uint64_t>(c.integer("proxy.spool_min_free_bytes"))};
  o.spool_dir = std::filesystem::path(c.str("data_dir")) / "spool";
  o.xroad_tls_protocols = c.str("proxy.xroad_tls_protocols");
  o.xroad_tls_ciphers = c.str("proxy.xroad_tls_ciphers");
  o.client_tls_protocols = c.str("proxy.client_tls_protocols");
  o.client_tls_ciphers = c.str("proxy.client_tls_ciphers");
  o.tls_between_servers = c.boolean("proxy.ssl_enabled");
  o.envmon = c.boolean("envmon.enabled");
  o.envmon_limit_remote_data_set = c.boolean("envmon.limit_remote_data_set");
  o.data_dir = c.str("data_dir");
  o.access_log = c.boolean("log.access");
  o.otlp_endpoint = c.str("tracing.otlp_endpoint");
  o.trace_service_name = c.str("tracing.service_name");
  return o;
}

namespace {

constexpr std::string_view kInternalTlsSetting = "internal_tls.pem";

envmon::CertificateInfo certificate_info(const crypto::Certificate& cert, envmon::CertificateType type, bool active) {
  // X-Road's form of a certificate hash in monitoring data (calculateDelimitedCertHexHash).
  return {type, crypto::to_delimited_hex(crypto::sha256(cert.to_der())), cert.not_before(), cert.not_after(), active};
}

// The certificates getSecurityServerMetrics reports (X-Road's CertificateInfoSensor): the
// token's (AUTH_OR_SIGN, active as the token says), the internal TLS certificate
// (SECURITY_SERVER_TLS) and the information systems' (INTERNAL_IS_CLIENT_TLS). One that cannot
// be read is left out.
std::vector<envmon::CertificateInfo> own_certificates(const signer::SoftToken& token, storage::Store& store,
                                                      const serverconf::ServerConf* conf) {
  std::vector<envmon::CertificateInfo> out;
  if (auto keys = token.contents(); keys.ok()) {
    for (const auto& key : *keys) {
      for (const auto& c : key.certs) out.push_back(certificate_info(c.cert, envmon::CertificateType::auth_or_sign, c.active));
    }
  }
  if (auto pem = store.get_setting(kInternalTlsSetting); pem.ok() && *pem) {
    if (auto at = (*pem)->find("-----BEGIN CERTIFICATE-----"); at != std::string::npos) {
      if (auto cert = crypto::Certificate::from_pem((*pem)->substr(at)); cert.ok())
        out.push_back(certificate_info(*cert, envmon::CertificateType::security_server_tls, true));
    }
  }
  if (conf) {
    for (const auto& client : conf->clients) {
      for (const auto& cert : client.is_certs)
        out.push_back(certificate_info(cert, envmon::CertificateType::internal_is_client_tls, true));
    }
  }
  return out;
}

// X-Road's is RSA 2048 (generate_certificate.sh), for server and client use (it is the client
// certificate towards services too), 20 years. PEM: the key, then the certificate.
Result<std::pair<std::string, crypto::Certificate>> generate_internal_tls() {
  ROADSIDE_TRY(crypto::PrivateKey key, crypto::PrivateKey::generate(crypto::KeyType::rsa2048));
  ROADSIDE_TRY(crypto::Certificate cert,
               crypto::issue_certificate({.common_name = "Roadside internal TLS", .dns_names = {"localhost"},
                                          .ip_addresses = {"127.0.0.1"}, .usage = crypto::Usage::tls_server_and_client,
                                          .validity = std::chrono::hours(24 * 365 * 20)},
                                         key, nullptr, key));
  return std::make_pair(key.to_pem() + cert.to_pem(), std::move(cert));
}

}  // namespace

Status replace_internal_tls(storage::Store& store) {
  ROADSIDE_TRY(auto made, generate_internal_tls());
  return store_internal_tls(store, made.first);
}

Status store_internal_tls(storage::Store& store, std::string_view pem) {
  return store.put_setting(kInternalTlsSetting, pem);
}

Result<std::pair<std::string, std::string>> internal_tls(storage::Store& store) {
  ROADSIDE_TRY(auto stored, store.get_setting(kInternalTlsSetting));
  std::string pem;
  if (stored) {
    pem = *stored;
  } else {
    ROADSIDE_TRY(auto made, generate_internal_tls());
    ROADSIDE_TRY(pem, store.put_setting_if_absent(kInternalTlsSetting, made.first));
    log::audit("Generate internal TLS key", "system", {{"certificate", made.second.subject()}, {"sha1", made.second.sha1_hex()}});
  }
  auto cert_at = pem.find("-----BEGIN CERTIFICATE-----");
  if (cert_at == std::string::npos) return Error(std::make_error_code(std::errc::invalid_argument), "the stored internal TLS key has no certificate");
  // An EC key (Roadside made those before) fits none of X-Road's client-side suites: replaced.
  // Nodes doing so together may each write one; every node then reads back the last.
  if (auto old = crypto::Certificate::from_pem(pem.substr(cert_at)); old.ok() && old->is_ec_key()) {
    ROADSIDE_TRY(auto made, generate_internal_tls());
    ROADSIDE_TRY_STATUS(store.put_setting(kInternalTlsSetting, made.first));
    log::audit("Replace internal TLS key", "system",
               {{"reason", "an EC key fits none of X-Road's client-side cipher suites"}, {"old_sha1", old->sha1_hex()},
                {"certificate", made.second.subject()}, {"sha1", made.second.sha1_hex()}});
    ROADSIDE_TRY(auto reread, store.get_setting(kInternalTlsSetting));
    pem = reread.value_or(made.first);
    cert_at = pem.find("-----BEGIN CERTIFICATE-----");
    if (cert_at == std::string::npos) return Error(std::make_error_code(std::errc::invalid_argument), "the stored internal TLS key has no certificate");
  }
  return std::make_pair(pem.substr(0, cert_at), pem.substr(cert_at));
}

Proxies::Proxies(boost::asio::io_context& io, ProxyOptions options, storage::Store& store, TokenService& token, OcspRefresher& ocsp,
                 GlobalconfService& globalconf, ServerConfFollower& serverconf, Listeners& listeners, metrics::Registry& metrics,
                 Readiness& readiness, MessageLogService* message_log, OpMonitoringService* op_monitoring)
    : io_(io), options_(std::move(options)), store_(store), listeners_(listeners), ocsp_cache_(ocsp.cache()) {
  // Every message's record feeds the per-service metrics, and operational monitoring when on.
  std::function<void(opmon::OpRecord)> monitor;
  if (op_monitoring && op_monitoring->health()) {
    monitor = op_monitoring->monitor();
    ctx_.op_queries.open_store = [op_monitoring] { return op_monitoring->open_store(); };
    ctx_.op_queries.health = op_monitoring->health();
    ctx_.op_queries.max_records = op_monitoring->options().max_records_in_payload;
    ctx_.op_queries.offset_s = op_monitoring->options().records_available_offset_s;
  }
  service_metrics_ = std::make_unique<opmon::ServiceMetrics>(metrics);
  ctx_.op_monitor = [service_metrics = service_metrics_.get(), monitor = std::move(monitor),
                     access_log = options_.access_log](opmon::OpRecord record) {
    service_metrics->add(record);
    if (access_log) opmon::log_access(record);
    if (monitor) monitor(std::move(record));
  };
  ctx_.monitoring_client = [&globalconf] { return globalconf.monitoring_client(); };
  monitoring_pool_ = std::make_unique<boost::asio::thread_pool>(2);
  ctx_.monitoring_pool = monitoring_pool_.get();
  if (!options_.otlp_endpoint.empty()) {
    tracing::ExporterOptions exporter{options_.otlp_endpoint, {{"service.name", options_.trace_service_name}}};
    spans_ = std::make_unique<tracing::SpanExporter>(std::move(exporter), metrics);
    ctx_.span_exporter = [spans = spans_.get()](tracing::Span span) { spans->add(std::move(span)); };
  }
  if (options_.envmon) {
    envmon::CollectorOptions host;
    if (!options_.data_dir.empty() && options_.data_dir != "/") host.filesystems.push_back(options_.data_dir);
    host_metrics_ = std::make_unique<envmon::Collector>(std::move(host));
    ctx_.env_monitoring.proxy_version = ROADSIDE_VERSION;
    ctx_.env_monitoring.limit_remote_data_set = options_.envmon_limit_remote_data_set;
    ctx_.env_monitoring.collect = [this, &token, &serverconf] {
      return host_metrics_->collect(own_certificates(token.token(), store_, serverconf.current().get()));
    };
  }
  if (message_log && message_log->log()) {
    ctx_.message_log = message_log->log();
    ctx_.open_log_store = [message_log] { return message_log->open_store(); };
  }
  ctx_.shared = [&globalconf] { return globalconf.shared(); };
  ctx_.globalconf_problem = [&globalconf] { return globalconf.not_ready(); };
  ctx_.serverconf = [&serverconf] { return serverconf.current(); };
  ctx_.keys = &token.token();
  ctx_.ocsp = &ocsp.manager();
  ctx_.metrics = &metrics;
  ctx_.soap_memory = std::make_shared<net::ByteBudget>(options_.soap_memory_bytes);
  ctx_.max_message_bytes = options_.max_message_bytes;
  ctx_.spool_dir = options_.spool_dir;
  readiness.add("proxy", [this]() -> std::optional<std::string> {
    if (listeners_.has("serverproxy")) return std::nullopt;
    return std::string("the server proxy is not listening: it needs the token's authentication key (log in with the PIN)");
  });
}

Proxies::~Proxies() {
  // Work still running on the monitoring pool uses this object's members: it ends first.
  if (monitoring_pool_) monitoring_pool_->join();
}

Status Proxies::start() {
  // TLS as X-Road (or as the options say): a policy that cannot be used stops the start.
  auto xroad_tls = net::parse_tls_policy(options_.xroad_tls_protocols, options_.xroad_tls_ciphers);
  if (!xroad_tls.ok()) return start_error("proxy.xroad_tls_protocols/proxy.xroad_tls_ciphers: " + xroad_tls.error().detail());
  auto client_tls = net::parse_tls_policy(options_.client_tls_protocols, options_.client_tls_ciphers);
  if (!client_tls.ok()) return start_error("proxy.client_tls_protocols/proxy.client_tls_ciphers: " + client_tls.error().detail());
  xroad_tls_ = *xroad_tls;
  auto internal = internal_tls(store_);
  if (!internal.ok()) return start_error("internal TLS certificate: " + internal.error().detail());

  proxy::PeerTransportOptions peers{options_.peer_port, options_.peer_ocsp_port, options_.max_message_bytes, options_.spool_dir};
  peers.tls_policy = xroad_tls_;
  peers.tls = options_.tls_between_servers;
  ctx_.peers_over_tls = options_.tls_between_servers;
  if (!options_.tls_between_servers) {
    log::warn("TLS between security servers is off (proxy.ssl_enabled=false): peers are not authenticated and messages travel in "
              "clear text; for tests only",
              {{"component", "proxies"}});
  }
  ctx_.peers = std::make_shared<proxy::TlsPeerTransport>(io_, *ctx_.keys, ctx_.shared, std::move(peers), *ctx_.clock);
  // Services over HTTPS see the internal TLS certificate as the client's (X-Road's InternalKeyManager).
  ctx_.services = std::make_shared<proxy::HttpServiceTransport>(io_, options_.max_message_bytes, options_.spool_dir, proxy::kSpoolAbove,
                                                                proxy::ServiceTransportTls{internal->second, internal->first, *client_tls});
  net::set_spool_limits(options_.spool);
  const signer::OcspSource* ocsp = ctx_.ocsp;
  const Clock* clock = ctx_.clock;
  auto shared = ctx_.shared;
  signer_ = std::make_unique<signer::BatchSigner>(
      io_.get_executor(),
      [ocsp, shared, clock](const crypto::Certificate& cert) -> Result<std::vector<std::string>> {
        auto params = shared();
        // (Expired between the request's check and its signing: X-Road's outdated-configuration fault.)
        if (!params)
          return Error(proxy::make_error_code(proxy::errc::global_conf_outdated), "no valid global configuration");
        ROADSIDE_TRY(std::string der, ocsp->fresh_response(cert, params, clock->now()));
        return std::vector<std::string>{std::move(der)};
      },
      *ctx_.metrics, 256, *ctx_.clock);
  ctx_.signer = signer_.get();
  client_proxy_ = std::make_unique<proxy::ClientProxy>(io_, ctx_);
  server_proxy_ = std::make_unique<proxy::ServerProxy>(io_, ctx_);

  const net::ServerLimits& limits = options_.proxy_limits;
  proxy::ClientProxy* cp = client_proxy_.get();
  auto client_handler = [cp](net::ServerExchange& ex) { return cp->handle(ex); };
  ROADSIDE_TRY(const unsigned short client_port,
               listeners_.add({"clientproxy", options_.address, options_.client_port, limits, std::nullopt}, client_handler));
  client_port_ = client_port;

  // HTTPS for information systems, on this instance's internal TLS certificate.
  net::TlsServerConfig is_tls;
  is_tls.cert_chain_pem = internal->second;
  is_tls.key_pem = internal->first;
  is_tls.policy = *client_tls;
  is_tls.client_auth = net::ClientAuth::optional;  // SSLAUTH clients present theirs; the client proxy checks it
  ROADSIDE_TRY_STATUS(listeners_.add({"clientproxy_tls", options_.address, options_.client_tls_port, limits, is_tls}, client_handler));

  // Peers fetch OCSP responses from the address they reach the server proxy on.
  ROADSIDE_TRY_STATUS(listeners_.add(
      {"ocsp", options_.peer_facing_address, options_.ocsp_responder_port, options_.limits, std::nullopt},
      proxy::make_ocsp_responder(ocsp_cache_)));

  if (ctx_.keys->auth_key().ok()) ROADSIDE_TRY_STATUS(start_server_proxy());
  return {};
}

std::string Proxies::client_proxy_url() const {
  const unsigned short port = client_port_;
  if (port == 0) return {};
  // Where it listens, from this host: the loopback address when it listens on every address.
  std::string host = options_.address;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(port) + "/";
}

Status Proxies::start_server_proxy() {
  // The server proxy authenticates with the authentication key: it needs the token.
  ROADSIDE_TRY(auto auth, ctx_.keys->auth_key());
  MutexLock lock(server_mu_);
  if (listeners_.has("serverproxy")) return {};
  net::TlsServerConfig tls;
  tls.cert_chain_pem = auth->info.cert.to_pem();
  tls.key = auth->key;
  // A client certificate is required; whether it is a registered authentication
  // certificate is checked per request, so a refused peer gets a fault that says why.
  tls.client_auth = net::ClientAuth::required;
  tls.policy = xroad_tls_;
  proxy::ServerProxy* sp = server_proxy_.get();
  std::optional<net::TlsServerConfig> peer_tls;
  if (options_.tls_between_servers) peer_tls = tls;
  ROADSIDE_TRY_STATUS(listeners_.add({"serverproxy", options_.peer_facing_address, options_.server_port, options_.proxy_limits, peer_tls},
                                     [sp](net::ServerExchange& ex) { return sp->handle(ex); }));
  return {};
}

}  // namespace roadside::server
