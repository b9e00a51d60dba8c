#include "server/xroad_health.h"

#include "base/log.h"

namespace roadside::server {

namespace http = boost::beast::http;

XRoadHealthCheckOptions XRoadHealthCheckOptions::from(const config::Config& c) {
  XRoadHealthCheckOptions o;
  o.ok_cache = std::chrono::seconds(c.integer("health.ok_cache_s"));
  o.failure_cache = std::chrono::seconds(c.integer("health.failure_cache_s"));
  return o;
}

XRoadHealthCheck::XRoadHealthCheck(const Readiness& readiness, XRoadHealthCheckOptions options, const Clock& clock)
    : readiness_(readiness),
      options_(options),
      clock_(clock),
      checks_{
          {"Global conf validity", {{"globalconf", "Global configuration is expired"}}},
          // A token that is not logged in has no authentication key open; X-Road's system test
          // expects this message for a token logged out at start.
          {"Authentication key OCSP status",
           {{"token", "No certificate chain available in authentication key."},
            {"ocsp", "Getting OCSP response for authentication key failed."}}},
          // The database first: X-Road's check asks the database whether a server configuration
          // is there, so a database that does not answer fails it with a message of its own.
          {"Server conf database status",
           {{"storage", "Server Conf database did not respond as expected"},
            {"serverconf", "ServerConf is not available"}}},
          // Roadside's own (X-Road has no such check): the message log refuses messages, with no
          // time-stamping service configured or time-stamping failing past the acceptable period.
          {"Message log time-stamping status", {{"timestamping", "Message log time-stamping failed"}}},
      },
      kept_(checks_.size()) {}

XRoadHealthCheck::Outcome XRoadHealthCheck::run(const Check& check) const {
  for (const auto& [component, message] : check.parts) {
    if (auto why = readiness_.reason(component)) return {message, std::move(*why)};
  }
  return {};
}

XRoadHealthCheck::Answer XRoadHealthCheck::answer() {
  // X-Road runs no check in maintenance mode.
  if (readiness_.reason("maintenance")) return {http::status::service_unavailable, std::string(kMaintenanceMessage)};
  const auto now = clock_.steady_now();
  MutexLock lock(mu_);
  for (std::size_t i = 0; i < checks_.size(); ++i) {
    Kept& kept = kept_[i];
    const auto keep_for = kept.failure ? options_.failure_cache : options_.ok_cache;
    if (!kept.held || now - kept.at >= keep_for) {
      Outcome fresh = run(checks_[i]);
      const bool changed = !kept.held || fresh.failure.has_value() != kept.failure.has_value() ||
                           (fresh.failure && *fresh.failure != *kept.failure);
      // The 500 carries X-Road's words only; Roadside's reason goes to the log when it changes.
      if (changed && fresh.failure) {
        log::warn("X-Road health check fails",
                  {{"check", checks_[i].name}, {"message", *fresh.failure}, {"reason", fresh.reason}});
      } else if (changed && kept.held) {
        log::info("X-Road health check passes", {{"check", checks_[i].name}});
      }
      kept = {true, fresh.failure, now};
    }
    // Later checks do not run (nor refresh what they keep) while an earlier one fails.
    if (kept.failure) return {http::status::internal_server_error, std::string(*kept.failure) + "\n"};
  }
  return {http::status::ok, {}};
}

}  // namespace roadside::server
