// The Roadside server process: wires the components (component.h), starts them in order and
// stops them on SIGTERM or SIGINT.
//
// Start, in order: database (data directory, schema, identity) -> global configuration ->
//   health listener -> cluster links (a cluster's nodes) -> database thread -> token ->
//   server configuration -> OCSP refresh -> the message log (variant full: time-stamping, the
//   writer, archiving and cleanup) -> proxies -> admin API -> control socket; then the "started"
//   log line with every endpoint. A component that cannot start is named in a "cannot start"
//   line, the ones started before it stop, and the exit code is 1.
// Stop: every listener closes at once; requests in flight get until
//   shutdown.drain_timeout_ms, then what is left is cut (listeners.h); then the components
//   stop in reverse order and the database closes; exit code 0. A second signal cuts the
//   drain short.
#pragma once

#include <memory>

#include "config/config.h"

namespace roadside::server {

// The exit code after the admin API restored a backup: not 0, so a supervisor that restarts only
// failed processes (systemd's Restart=on-failure) starts the server again on the restored state.
inline constexpr int kRestartAfterRestore = 75;

class Application {
 public:
  explicit Application(config::Config config);
  ~Application();

  // Runs until a stop signal. Returns the process exit code: 0 after a clean stop, 1 when
  // a component could not start (the reason is logged), kRestartAfterRestore after a restore.
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
