// What the client and server proxies need from the rest of the server, as snapshots and
// services; the application wires it, tests fill it in directly.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "base/clock.h"
#include "envmon/metrics.h"
#include "globalconf/parameters.h"
#include "messagelog/log_store.h"
#include "messagelog/message_log.h"
#include "metrics/metrics.h"
#include "net/http_server.h"
#include "opmon/health.h"
#include "opmon/op_store.h"
#include "opmon/record.h"
#include "serverconf/serverconf.h"
#include "signer/batch_signer.h"
#include "signer/ocsp.h"
#include "signer/token.h"
#include "tracing/trace.h"
#include "trust/verifier.h"

namespace roadside::proxy {

// The X-Road version whose protocols Roadside speaks, sent as x-proxy-version (peers check
// it against their minimum supported client version).
inline constexpr std::string_view kXRoadProtocolVersion = "7.8.1";

// What one request is processed against, taken once when it arrives: the proxy's own steps
// (selecting servers, the access and peer checks, parsing) see the same configurations.
// `now` is when it arrived; a check of something that comes later (the provider's answer)
// uses the clock at that moment. The signer's OCSP lookup and the TLS handshake's peer check
// ask for the configuration in use when they run.
struct Snapshot {
  std::shared_ptr<const globalconf::SharedParameters> shared;  // null: no valid global configuration
  std::string globalconf_problem;                              // why, when `shared` is null
  std::shared_ptr<const serverconf::ServerConf> conf;          // null: none applied
  std::chrono::system_clock::time_point now;
};

class PeerTransport;
class ServiceTransport;

// What the server proxy answers getSecurityServerMetrics from (proxy/env_monitoring.h).
struct EnvMonitoring {
  // The host's metrics and this server's certificates, read now; blocking (called on a pool
  // thread of its own, not the proxy's). Null: environmental monitoring is off.
  std::function<envmon::Snapshot()> collect;
  std::string proxy_version;           // proxyVersion
  bool limit_remote_data_set = false;  // X-Road's env-monitor.limit-remote-data-set
};

// At most this many monitoring queries (operational data, metrics) of the owner and the
// monitoring client are taken at once, running or waiting for a monitoring thread, and at most
// kMaxPlainMonitoringQueries of other clients beside them; more are refused with
// net::errc::overloaded. Any member may ask for its own operational data: its queries have slots
// of their own so that they cannot keep the owner and the monitoring client out.
inline constexpr int kMaxMonitoringQueries = 8;
inline constexpr int kMaxPlainMonitoringQueries = 1;  // below the pool's two threads
// The most a monitoring request (operational data, health data, metrics) may be: a real one is
// under 2 KiB, and each is parsed once more, whole, on the proxy's thread.
inline constexpr std::size_t kMaxMonitoringRequestBytes = 64 * 1024;

// What the server proxy answers getSecurityServerOperationalData and
// getSecurityServerHealthData from (proxy/op_monitoring.h).
struct OpMonitoringQueries {
  // A store on a connection of its own, opened for each query (called on a query thread, not
  // the proxy's); null when operational monitoring is off.
  std::function<Result<std::unique_ptr<opmon::OpStore>>()> open_store;
  const opmon::HealthData* health = nullptr;  // null when off
  std::size_t max_records = 10'000;           // op-monitor.max-records-in-payload
  std::int64_t offset_s = 60;                 // op-monitor.records-available-timestamp-offset-seconds
};

struct ProxyContext {
  // The own instance's shared parameters from a valid global configuration, or null.
  std::function<std::shared_ptr<const globalconf::SharedParameters>()> shared;
  // Why no valid global configuration is loaded (std::nullopt when one is).
  std::function<std::optional<std::string>()> globalconf_problem;
  // The newest server configuration, or null when none is applied.
  std::function<std::shared_ptr<const serverconf::ServerConf>()> serverconf;
  const Clock* clock = &Clock::system();
  const signer::KeySource* keys = nullptr;
  signer::Signer* signer = nullptr;
  const signer::OcspSource* ocsp = nullptr;
  const trust::Trust* trust = &trust::Trust::xroad();
  std::shared_ptr<PeerTransport> peers;        // the client proxy's way to providers' servers
  std::shared_ptr<ServiceTransport> services;  // the server proxy's way to services
  // Whether servers talk over mutual TLS (X-Road's proxy.ssl-enabled). Without it the server
  // proxy cannot tell which server called and checks the message's signature only.
  bool peers_over_tls = true;
  // Called once for each message the proxy mediated, with X-Road's operational data of it
  // (proxy/op_record.h), just before the answer goes out: the server feeds the per-service
  // metrics, the access log and operational monitoring from it. Null: nothing is recorded
  // (unit tests). It must not block.
  std::function<void(opmon::OpRecord)> op_monitor;
  OpMonitoringQueries op_queries;
  // Takes each sampled span of this server (tracing/exporter.h: sent with OTLP); null when no
  // spans are exported. The traceparent header is carried either way. It must not block.
  std::function<void(tracing::Span)> span_exporter;
  EnvMonitoring env_monitoring;
  // Where monitoring queries' blocking work runs (a database query, reading the host), never
  // the proxy's threads; owned by the server, which joins it before what the work uses goes.
  // Required when op_queries or env_monitoring is set.
  boost::asio::thread_pool* monitoring_pool = nullptr;
  // Monitoring queries taken now (kMaxMonitoringQueries), and other clients' (kMaxPlainMonitoringQueries).
  std::shared_ptr<std::atomic<int>> monitoring_queries = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> plain_monitoring_queries = std::make_shared<std::atomic<int>>(0);
  // The instance's monitoring client (the global configuration's monitoring-params), or
  // std::nullopt when it names none; null: none.
  std::function<std::optional<XRoadId>()> monitoring_client;
  metrics::Registry* metrics = nullptr;
  // The message log (variant full), or null (slim). Requests and responses are logged once
  // signed or verified, before they go on; a message that cannot be logged fails.
  messagelog::MessageLog* message_log = nullptr;
  // The message log's records for the client proxy's /asic: a store on a connection of its
  // own, opened for each retrieval (called on a retrieval thread, not the proxy's); null when
  // the server keeps no message log (slim).
  std::function<Result<std::unique_ptr<messagelog::LogStore>>()> open_log_store;
  // Time-stamps these records now (/asic's force), or null when it cannot.
  std::function<boost::asio::awaitable<Status>(std::vector<std::int64_t>)> timestamp_records;
  // The largest message taken (a body streams through spool files, never whole in memory).
  std::uint64_t max_message_bytes = 64 * 1024 * 1024;
  // SOAP envelopes are parsed in memory, and a SOAP request is read (its body up to
  // kSpoolAbove, or the envelope of a spooled one) before its client is known: all being read
  // or processed at once share this many bytes of memory (errc::overloaded beyond).
  std::shared_ptr<net::ByteBudget> soap_memory = std::make_shared<net::ByteBudget>(512ull << 20);
  // Where bodies over kSpoolAbove wait while they are hashed, verified and passed on.
  std::filesystem::path spool_dir = std::filesystem::temp_directory_path() / "roadside-spool";

  // The configurations in use and the time, now.
  Snapshot snapshot() const;
};

// Bodies up to this size stay in memory; larger ones go to spool files.
inline constexpr std::uint64_t kSpoolAbove = 1024 * 1024;
// The largest part that must be parsed in memory: a REST header part, a signature, the SOAP
// envelope of a transport message (an IS's or a service's is held to kMaxSoapBytes).
inline constexpr std::uint64_t kMaxParsedBytes = 64 * 1024 * 1024;
// How many times what it holds in memory a SOAP request counts against
// ProxyContext::soap_memory while the client proxy reads and processes it: the body (or a
// spooled body's envelope), the SOAP part split from it, its DOM and the transport message
// are alive together (an estimate for typical SOAP; an element-dense message's DOM is larger,
// which the 64 MiB cap on a parsed message bounds).
inline constexpr unsigned kSoapMemoryWeight = 4;

// A response to send: its head and its body as pieces (a spooled body is one of them; how a
// transport message is cut into pieces is transport.h's).
struct Reply {
  net::http::response_header<> head;
  std::vector<net::Payload> body;
  static Reply of(net::StringResponse r) {
    Reply out{std::move(r.base()), {}};
    out.body.emplace_back(std::move(r.body()));
    return out;
  }
};

// The peer check, for both directions of TLS between Security Servers, in two steps:
//
// registered_peer: the certificate is an authentication certificate whose hash the global
// configuration registers for a server (for `expected`, when given). Returns that server and
// the certificate, or errc::ssl_auth_failed naming why not. Cheap: the server proxy asks it
// before it reads a request.
//
// trust_peer: the registered peer (from the leaf of `chain`) is trusted at `at`: its
// certificate chained to an approved CA (through the chain's other certificates) and good by
// one of `ocsp_responses`. A trust failure keeps its own code
// (crypto::errc::incorrect_validation_info when no usable OCSP status was given, which fresh
// responses may settle). The two steps share one parse of the certificate.
struct RegisteredPeer {
  const globalconf::SecurityServer* server;
  crypto::Certificate cert;
};
Result<RegisteredPeer> registered_peer(const std::string& cert_der, const globalconf::SharedParameters& shared,
                                       const XRoadId* expected = nullptr);
Status trust_peer(const RegisteredPeer& peer, const net::PeerChain& chain,
                  const std::vector<std::string>& ocsp_responses, const globalconf::SharedParameters& shared,
                  const trust::Trust& trust, std::chrono::system_clock::time_point at);

}  // namespace roadside::proxy
