// The health listener (default port 5588): /livez, /readyz, /metrics and X-Road's health check.
//
//   GET /livez    200 {"status":"alive"} while the process serves requests at all
//   GET /readyz   200 {"status":"ready"} when the node can process messages, else
//                 503 {"status":"not_ready","reasons":[{"component","reason"}...]}
//   GET /metrics  Prometheus text format 0.0.4
//   anything else X-Road's health check (xroad_health.h), whatever the method and path:
//                 200 empty, 500 "<X-Road's message>\n", 503 in maintenance mode
//
// /livez, /readyz and /metrics take GET and HEAD (other methods get 405); HEAD works like GET
// without a body.
#pragma once

#include "config/config.h"
#include "metrics/metrics.h"
#include "net/http_server.h"
#include "server/component.h"
#include "server/listeners.h"
#include "server/readiness.h"
#include "server/xroad_health.h"

namespace roadside::server {

// `xroad` answers every request that is not for /livez, /readyz or /metrics.
net::Handler make_health_handler(const Readiness& readiness, const metrics::Registry& metrics, XRoadHealthCheck& xroad);

// The health listener's name, address (health.address: loopback unless set) and port
// (health.port); the caller adds the HTTP limits.
net::ServerOptions health_listener_options(const config::Config& config);

// The health listener and the process metrics, as a component.
class Health final : public Component {
 public:
  Health(net::ServerOptions options, XRoadHealthCheckOptions xroad, Listeners& listeners, const Readiness& readiness,
         metrics::Registry& metrics);

  std::string_view name() const override { return "health"; }
  // Registers the process metrics and starts the listener.
  Status start() override;

 private:
  net::ServerOptions options_;
  Listeners& listeners_;
  const Readiness& readiness_;
  metrics::Registry& metrics_;
  XRoadHealthCheck xroad_;
};

// The readiness check of the database, over `ping`. The reason it gives names the kind of
// failure only: the error's text names the database's host and user, so it goes to the log
// (when it first appears or changes), not into /readyz.
Readiness::Check database_check(std::function<Status()> ping);

// Process-level series: resident memory, CPU seconds, open file descriptors, start time,
// build info.
void register_process_metrics(metrics::Registry& metrics);

}  // namespace roadside::server
