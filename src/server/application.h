// The Roadside server process: one object that wires the components, starts them in
// order and stops them in reverse order.
//
// Start:  data directory -> database (open, migrate, first-run identity) -> health
//         listener -> "started" log line with every endpoint.
// Stop:   on SIGTERM or SIGINT: listeners close, requests in flight get until
//         shutdown.drain_timeout_ms, then the database closes; exit code 0.
//         A second signal cuts the drain short.
#pragma once

#include <atomic>
#include <memory>

#include "config/config.h"

namespace roadside::server {

class Application {
 public:
  explicit Application(config::Config config);
  ~Application();

  // Runs until a stop signal. Returns the process exit code: 0 after a clean stop, 1 when
  // a component could not start (the reason is logged).
  int run();

 private:
  struct State;
  config::Config config_;
  std::unique_ptr<State> state_;
};

// `roadside apply FILE`: validates the server configuration and stores it as a new revision
// in the configured database (nothing when unchanged). Prints what happened; exit code 0 on
// success, 1 on an error (named on stderr), 3 when this node is a secondary (configuration is
// changed on the primary only).
int apply_server_conf(const config::Config& config, const std::string& file);

}  // namespace roadside::server
