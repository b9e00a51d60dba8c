// The message exchange inside `serve`: the software token (keys from the database, autologin
// from XROAD_TOKEN_PIN), the OCSP manager for own certificates, the batch signer, the server
// configuration (applied from --server-conf, new revisions taken while running), and the
// listeners: client proxy (HTTP and HTTPS), server proxy (mutual TLS on the authentication key) and the
// OCSP responder.
//
// `roadside token login` reaches a running server through the control socket.
//
// Readiness: "token" (logged in), "serverconf" (a configuration applied), "ocsp" (own
// certificates have fresh OCSP responses), "proxy" (the server proxy listens).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/config.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "proxy/client_proxy.h"
#include "proxy/server_proxy.h"
#include "server/control.h"
#include "server/globalconf_service.h"
#include "server/readiness.h"
#include "signer/batch_signer.h"
#include "signer/ocsp.h"
#include "signer/token.h"
#include "storage/cluster.h"
#include "storage/store.h"

namespace roadside::server {

// Every listener's limits from the http.* options (sizes, timeouts, minimum body rate,
// connection count).
net::ServerLimits http_limits(const config::Config& c);

class MessageExchange {
 public:
  MessageExchange(boost::asio::io_context& io, const config::Config& config, storage::Store& store, GlobalconfService* globalconf,
                  metrics::Registry& metrics, Readiness& readiness);
  ~MessageExchange();

  // Imports and logs in to the token, applies the server configuration file, starts the
  // listeners and the background loops. An error here stops the server from starting.
  Status start();
  boost::asio::awaitable<void> stop(std::chrono::milliseconds drain);
  // A node of a cluster (before start()): `ocsp_lease` makes one node at a time fetch the
  // OCSP responses of the shared certificates (the others take them from the database), and
  // `changes` wakes this node when the primary commits a configuration change.
  void join_cluster(std::unique_ptr<storage::Lease> ocsp_lease, std::unique_ptr<storage::ChangeListener> changes);
  // "name url" lines for the started log line.
  std::vector<std::pair<std::string, std::string>> endpoints() const;

 private:
  boost::asio::awaitable<void> background();
  boost::asio::awaitable<void> refresh_ocsp();
  // A command from the control socket: "ok: ..." or "error: ...".
  std::string control_command(const std::string& command, const std::string& argument);
  void reload_serverconf();
  // The cluster's shared OCSP responses: read into this node's cache, and written by the
  // node that holds the lease.
  void import_shared_ocsp(const std::vector<crypto::Certificate>& own);
  void export_shared_ocsp(const std::vector<crypto::Certificate>& own);
  void listen_for_changes();
  std::vector<crypto::Certificate> own_certificates() const;
  // Lets the database thread finish its work and joins it.
  void stop_database_thread();
  // The server proxy's listener, once the token's authentication key is open (at start, or
  // at a later login). Idempotent.
  Status start_server_proxy();
  // Where the listeners other Security Servers call bind: proxy.server_address, else listen.address.
  std::string peer_facing_address() const;
  // The instance's internal TLS key and certificate (PEM), made on first use.
  Result<std::pair<std::string, std::string>> internal_tls();

  boost::asio::io_context& io_;
  const config::Config& config_;
  storage::Store& store_;
  GlobalconfService* globalconf_;
  metrics::Registry& metrics_;
  Readiness& readiness_;

  // The database thread: everything that talks to the database after start (configuration
  // reloads, the cluster's OCSP sharing, token login from the control socket) and the OCSP
  // fetches run here, so a database that stops answering never holds up the proxies' threads.
  boost::asio::io_context db_io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> db_work_;
  std::thread db_thread_;

  signer::SoftToken token_;
  net::HttpClient ocsp_http_;
  signer::OcspCache ocsp_cache_;
  signer::OcspManager ocsp_;
  std::unique_ptr<signer::BatchSigner> signer_;
  std::unique_ptr<proxy::ClientProxy> client_proxy_;
  std::unique_ptr<proxy::ServerProxy> server_proxy_;
  std::unique_ptr<net::HttpServer> client_listener_;
  std::unique_ptr<net::HttpServer> client_tls_listener_;
  std::unique_ptr<net::HttpServer> server_listener_;  // GUARDED_BY(mu_): started at a login too
  net::ServerLimits server_limits_;
  std::unique_ptr<net::HttpServer> ocsp_listener_;
  std::unique_ptr<ControlSocket> control_;  // <data_dir>/control.sock: `roadside token login`
  boost::asio::steady_timer timer_;  // on db_io_
  std::atomic<bool> stopped_{false};
  const bool secondary_;
  std::atomic<bool> maintenance_{false};  // `roadside maintenance on`: /readyz says 503 on purpose
  std::unique_ptr<storage::Lease> ocsp_lease_;
  std::atomic<bool> ocsp_lease_held_{false};
  std::unique_ptr<storage::ChangeListener> changes_;
  std::thread listener_;
  metrics::Counter* notifications_ = nullptr;

  mutable std::mutex mu_;
  std::shared_ptr<const serverconf::ServerConf> conf_;  // GUARDED_BY(mu_)
  std::int64_t revision_ = 0;                           // GUARDED_BY(mu_)
  std::string ocsp_problem_ = "not checked yet";        // GUARDED_BY(mu_)
};

}  // namespace roadside::server
