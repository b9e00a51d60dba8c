// getSecurityServerHealthData (PR-OPMON §3): per service this server mediated, the times of
// its last successful and unsuccessful requests and the statistics of the last period
// (X-Road's op-monitor.health-statistics-period-seconds, 600 by default), kept in memory
// since the start as X-Road's op-monitor daemon keeps them.
//
// As X-Road's HealthDataMetrics: only the provider's side counts (securityServerType
// Producer), for a service found in this server's configuration (serviceType set), so no
// request can make up services; a successful one adds its duration (responseOutTs -
// requestInTs, ms) and its request and response sizes; min, average, max and standard
// deviation are answered only when the period saw a successful request. Memory is bounded:
// the period is kept as one aggregate per second, or per period/600 seconds (rounded up) when
// the period is longer than 600 s (so at most 601 per service; the period's far edge is then
// that coarse); a service's old aggregates go when it is next counted; at most `max_services`
// services are tracked (later ones are not).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/identifiers.h"
#include "base/result.h"
#include "base/thread_annotations.h"
#include "opmon/record.h"

namespace roadside::opmon {

// The provider a getSecurityServerHealthData request's filterCriteria/client names (none: all),
// from its whole SOAP envelope (at most `max_bytes`); errc::invalid_request otherwise.
Result<std::optional<XRoadId>> parse_health_data_request(std::string_view soap, std::size_t max_bytes);

class HealthData {
 public:
  explicit HealthData(std::chrono::seconds period = std::chrono::seconds(600), std::size_t max_services = 10'000,
                      const Clock& clock = Clock::system());

  // Counts `record` for its service (see above). Thread-safe; the lock is held for a map
  // lookup and an update.
  void add(const OpRecord& record);
  // The body of the response: <om:getSecurityServerHealthDataResponse>, the services of
  // `provider` only when it is given. Thread-safe: the lock is held only to take the totals.
  std::string response_xml(const std::optional<XRoadId>& provider) const;

 private:
  struct Moments {
    std::int64_t n = 0, min = 0, max = 0;
    double sum = 0, sum_squares = 0;
    void add(std::int64_t v);
    void add(const Moments& m);
  };
  struct Second {
    std::int64_t second = 0;  // where it starts
    std::int64_t successes = 0, failures = 0;
    Moments duration, request_size, response_size;
  };
  struct Service {
    XRoadId id;
    std::optional<std::int64_t> last_success_ms, last_failure_ms;
    std::optional<std::string> service_type;
    std::deque<Second> seconds;  // the period's aggregates, oldest first
  };
  static void write_moments(std::string& out, std::string_view what, std::string_view unit, const Moments& m);

  // Whether the aggregate that starts at `start` (s) holds a moment of the period ending now.
  bool in_period(std::int64_t start, std::int64_t now_second) const {
    return start + step_s_ - 1 > now_second - period_.count();
  }

  const std::chrono::seconds period_;
  const std::int64_t step_s_;  // the seconds one aggregate spans
  const std::size_t max_services_;
  const Clock& clock_;
  const std::int64_t started_ms_;
  mutable Mutex mu_;
  std::map<std::string, Service, std::less<>> services_ GUARDED_BY(mu_);
};

}  // namespace roadside::opmon
