// The message path as a component: the batch signer, the client proxy (HTTP and HTTPS for
// information systems, on the instance's internal TLS certificate), the server proxy (mutual
// TLS on the token's authentication key; it starts once the token is logged in, at start or
// at a later login) and the OCSP responder other Security Servers fetch this server's
// responses from. TLS between Security Servers and towards information systems and services
// follows the proxy.xroad_tls_* and proxy.client_tls_* options (X-Road's lists by default). Their listeners belong to `Listeners`, which stops them together.
//
// Readiness "proxy": the server proxy listens.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "base/thread_annotations.h"
#include "config/config.h"
#include "envmon/metrics.h"
#include "net/http_server.h"
#include "net/payload.h"
#include "opmon/service_metrics.h"
#include "proxy/client_proxy.h"
#include "proxy/server_proxy.h"
#include "server/component.h"
#include "server/globalconf_service.h"
#include "server/listeners.h"
#include "server/message_log_service.h"
#include "server/op_monitoring_service.h"
#include "server/ocsp_refresher.h"
#include "server/serverconf_follower.h"
#include "server/token_service.h"
#include "tracing/exporter.h"
#include "signer/batch_signer.h"

namespace roadside::server {

// Every listener's limits from the http.* options (sizes, timeouts, minimum body rate,
// connection count).
net::ServerLimits http_limits(const config::Config& c);

struct ProxyOptions {
  std::string address;              // listen.address: where information systems connect
  std::string peer_facing_address;  // proxy.server_address, else listen.address: where peers connect
  unsigned short client_port = 0, client_tls_port = 0, server_port = 0, ocsp_responder_port = 0;
  unsigned short peer_port = 0, peer_ocsp_port = 0;  // of other Security Servers
  net::ServerLimits limits;        // the http.* limits (the OCSP responder's)
  net::ServerLimits proxy_limits;  // the same with bodies up to max_message_bytes (the proxies')
  std::uint64_t max_message_bytes = 0;
  std::uint64_t soap_memory_bytes = 0;
  net::SpoolLimits spool;
  std::filesystem::path spool_dir;
  // The TLS policies as the proxy.xroad_tls_* and proxy.client_tls_* options write them
  // (parsed, and refused with the option's name, at start).
  std::string xroad_tls_protocols, xroad_tls_ciphers;
  std::string client_tls_protocols, client_tls_ciphers;
  bool tls_between_servers = true;  // proxy.ssl_enabled
  // Environmental monitoring (getSecurityServerMetrics): envmon.enabled,
  // envmon.limit_remote_data_set; the data folder's filesystem is measured beside "/".
  bool envmon = true;
  bool envmon_limit_remote_data_set = false;
  bool access_log = true;  // log.access
  // Tracing: spans go to this OTLP/HTTP receiver (tracing.otlp_endpoint; empty: none) as
  // tracing.service_name.
  std::string otlp_endpoint;
  std::string trace_service_name = "roadside";
  std::filesystem::path data_dir;

  static ProxyOptions from(const config::Config& config);
};

// The instance's internal TLS key and certificate (PEM: key, certificate), made on first use
// and kept in the database, so every node of a cluster and every restart presents the same
// certificate; nodes starting together agree on the first one. RSA 2048 as X-Road's (its
// client-side suites are all RSA ones); an EC key an earlier Roadside made is replaced once.
Result<std::pair<std::string, std::string>> internal_tls(storage::Store& store);
// A new internal TLS key and certificate in place of the stored ones (the admin API's POST
// /system/certificate); listeners present it from their next start.
Status replace_internal_tls(storage::Store& store);
// Stores `pem` (the key, then the certificate and its chain; checked by the caller) in their
// place (the admin API's /system/certificate/import).
Status store_internal_tls(storage::Store& store, std::string_view pem);

class Proxies final : public Component {
 public:
  Proxies(boost::asio::io_context& io, ProxyOptions options, storage::Store& store, TokenService& token, OcspRefresher& ocsp,
          GlobalconfService& globalconf, ServerConfFollower& serverconf, Listeners& listeners, metrics::Registry& metrics,
          Readiness& readiness, MessageLogService* message_log = nullptr, OpMonitoringService* op_monitoring = nullptr);
  ~Proxies() override;

  std::string_view name() const override { return "proxy"; }
  // Builds the signer and the proxies and starts their listeners (the server proxy's when
  // the token's authentication key is open).
  Status start() override;
  // The server proxy's listener, once the token's authentication key is open (at start, or
  // after a later login). Does nothing when it listens already.
  Status start_server_proxy();
  // The client proxy's plain HTTP address as this host reaches it ("http://127.0.0.1:PORT/":
  // the port it is bound to, so a configured 0 works too); "" before start(). Safe from any
  // thread.
  std::string client_proxy_url() const;

 private:
  boost::asio::io_context& io_;
  const ProxyOptions options_;
  storage::Store& store_;
  Listeners& listeners_;
  signer::OcspCache& ocsp_cache_;  // served to peers by the OCSP responder
  proxy::ProxyContext ctx_;
  std::unique_ptr<envmon::Collector> host_metrics_;  // null when environmental monitoring is off
  std::unique_ptr<opmon::ServiceMetrics> service_metrics_;
  std::unique_ptr<tracing::SpanExporter> spans_;  // null when no spans are exported
  // Monitoring queries' blocking work (ProxyContext::monitoring_pool): two at once. Last, and
  // joined by the destructor first: the work uses the members above.
  std::unique_ptr<boost::asio::thread_pool> monitoring_pool_;
  std::unique_ptr<signer::BatchSigner> signer_;
  std::unique_ptr<proxy::ClientProxy> client_proxy_;
  std::unique_ptr<proxy::ServerProxy> server_proxy_;
  net::TlsPolicy xroad_tls_;   // between Security Servers (set by start())
  std::atomic<unsigned short> client_port_{0};
  Mutex server_mu_;  // one start of the server proxy at a time (guards no member)
};

}  // namespace roadside::server
