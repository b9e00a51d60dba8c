// `roadside testbed up` and `down`: runs an instance made by `testbed init` in the foreground
// (the CA's OCSP responder and TSA, the configuration publisher, the example services, and one
// `roadside serve` child per server, each logging to its folder's serve.log) until SIGTERM or
// SIGINT, then stops the children and the listeners. DIR/testbed.pid marks it running.
#pragma once

#include <chrono>
#include <filesystem>

namespace roadside::testbed {

struct RunOptions {
  // False: the authorities, publisher and services only, for servers started elsewhere
  // (containers, another host) from the same instance folder.
  bool with_servers = true;
  // How long a published configuration directory is valid (X-Road's
  // confExpireIntervalSeconds); it is signed again at half that. Short values let a test
  // see a server's configuration expire while the publisher is unreachable.
  std::chrono::seconds conf_validity{600};
};

// Exit code: 0 after a clean stop, 1 when it cannot start or every server it started has
// failed (exited non-zero; the reason is logged, the servers' in their logs).
int run_instance(const std::filesystem::path& dir, const RunOptions& options = {});
// Sends SIGTERM to a running `up` and waits (up to 30 s) until it has stopped.
int stop_instance(const std::filesystem::path& dir);

}  // namespace roadside::testbed
