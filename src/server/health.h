// The health listener (default port 5588): /livez, /readyz and /metrics.
//
//   GET /livez    200 {"status":"alive"} while the process serves requests at all
//   GET /readyz   200 {"status":"ready"} when the node can process messages, else
//                 503 {"status":"not_ready","reasons":[{"component","reason"}...]}
//   GET /metrics  Prometheus text format 0.0.4
//
// Other paths get 404, other methods 405; HEAD works like GET without a body.
#pragma once

#include "metrics/metrics.h"
#include "net/http_server.h"
#include "server/readiness.h"

namespace roadside::server {

net::Handler make_health_handler(const Readiness& readiness, const metrics::Registry& metrics);

// Process-level series: resident memory, CPU seconds, open file descriptors, start time,
// build info.
void register_process_metrics(metrics::Registry& metrics);

}  // namespace roadside::server
