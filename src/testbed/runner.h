// `roadside testbed up` and `down`: runs an instance made by `testbed init` in the foreground
// (the CA's OCSP responder and TSA, the configuration publisher, the example services, and one
// `roadside serve` child per server, each logging to its folder's serve.log) until SIGTERM or
// SIGINT, then stops the children and the listeners. DIR/testbed.pid marks it running.
#pragma once

#include <filesystem>

namespace roadside::testbed {

// Exit code: 0 after a clean stop, 1 when it cannot start or every server it started has
// failed (exited non-zero; the reason is logged, the servers' in their logs). With
// `with_servers` false it runs the authorities, publisher and services only, for servers
// started elsewhere (containers, another host) from the same instance folder.
int run_instance(const std::filesystem::path& dir, bool with_servers = true);
// Sends SIGTERM to a running `up` and waits (up to 30 s) until it has stopped.
int stop_instance(const std::filesystem::path& dir);

}  // namespace roadside::testbed
