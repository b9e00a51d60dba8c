// X-Road's health check: what xroad-proxy answers on its `health-check-port` (5588 in the
// Sidecar images; load balancers and the Sidecar's Kubernetes manifests probe `GET /` there).
// Roadside answers it on the health listener for every method on every path except /livez,
// /readyz and /metrics (health.h):
//
//   maintenance mode (`roadside maintenance on`)  503  Health check interface is in maintenance mode.
//   every check passes                            200  (empty)
//   a check fails                                 500  <the first failing check's message>\n
//
// The checks are X-Road's, in X-Road's order, and stop at the first failure. Each is answered
// from Roadside's readiness checks (readiness.h), which read state kept in memory and never
// wait (the database's comes from its probe, database_probe.h), so an answer never holds up
// the I/O thread; the message is X-Road's, and Roadside's own wording stays in /readyz:
//
//   X-Road check                      readiness      message when it fails
//   Global conf validity              globalconf     Global configuration is expired
//   Authentication key OCSP status    token          No certificate chain available in authentication key.
//                                     ocsp           Getting OCSP response for authentication key failed.
//   Server conf database status       storage        Server Conf database did not respond as expected
//                                     serverconf     ServerConf is not available
//   Message log time-stamping status  timestamping   Message log time-stamping failed
//     (Roadside's: messages are refused, for want of a configured time-stamping service or with
//     time-stamping failing past the acceptable period; passes where the message log is off)
//
// X-Road's HSM check (Roadside has a software token only) and its JVM memory threshold have no
// counterpart. Like X-Road, each check's result is kept for a while: a pass for `ok_cache` (2 s),
// a failure for `failure_cache` (30 s), so a new failure shows within 2 s and then stays for
// 30 s. Maintenance mode is read on every request (readiness "maintenance") and runs no check.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/status.hpp>

#include "base/clock.h"
#include "base/thread_annotations.h"
#include "config/config.h"
#include "server/readiness.h"

namespace roadside::server {

struct XRoadHealthCheckOptions {
  std::chrono::milliseconds ok_cache{std::chrono::seconds(2)};        // health.ok_cache_s
  std::chrono::milliseconds failure_cache{std::chrono::seconds(30)};  // health.failure_cache_s
  static XRoadHealthCheckOptions from(const config::Config& config);
};

class XRoadHealthCheck {
 public:
  // X-Road's exact text.
  static constexpr std::string_view kMaintenanceMessage = "Health check interface is in maintenance mode.";

  // `readiness` and `clock` outlive this object.
  XRoadHealthCheck(const Readiness& readiness, XRoadHealthCheckOptions options, const Clock& clock = Clock::system());

  struct Answer {
    boost::beast::http::status status;
    std::string body;
  };
  // The answer to any request now. Thread-safe; never waits on the database or the network.
  Answer answer();

 private:
  struct Check {
    std::string_view name;  // X-Road's name of the check
    // In order: a readiness component and X-Road's message when it reports a reason.
    std::vector<std::pair<std::string_view, std::string_view>> parts;
  };
  struct Kept {
    bool held = false;
    std::optional<std::string_view> failure;
    std::chrono::steady_clock::time_point at;
  };
  struct Outcome {
    std::optional<std::string_view> failure;  // X-Road's message
    std::string reason;                       // Roadside's, for the log
  };
  Outcome run(const Check& check) const;

  const Readiness& readiness_;
  const XRoadHealthCheckOptions options_;
  const Clock& clock_;
  const std::vector<Check> checks_;
  Mutex mu_;
  std::vector<Kept> kept_ GUARDED_BY(mu_);
};

}  // namespace roadside::server
