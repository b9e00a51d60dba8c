// Per-service Prometheus metrics from the operational data records the proxies make:
//
//   roadside_service_requests_total{proxy, service, result}   messages by outcome (ok, fault)
//   roadside_service_request_duration_seconds{proxy, service}  request in to response out
//
// proxy is "client" (a Client record: this server's client called the service) or "server"
// (Producer: a client called this server's service); service is the service's identifier
// without its version, SERVICE:instance/class/member[/subsystem]/code.
//
// Label cardinality is bounded, because the services come from requests: a service gets
// series of its own only once it is known to exist (a Producer record of a service found in
// this server's configuration, or a Client record of a call that succeeded), and only the
// first `max_services` such services do; every other message counts under service="other",
// and roadside_service_metrics_overflow_total counts those that were refused series for the
// bound (the first is logged).
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "base/thread_annotations.h"
#include "metrics/metrics.h"
#include "opmon/record.h"

namespace roadside::opmon {

class ServiceMetrics {
 public:
  static constexpr std::string_view kOther = "other";
  // The duration buckets, in seconds.
  static const std::vector<double>& buckets();

  explicit ServiceMetrics(metrics::Registry& registry, std::size_t max_services = 500);

  // Counts one message. Thread-safe; the lock is held only to look the service's series up.
  void add(const OpRecord& record);

 private:
  struct Series {
    metrics::Counter* ok;
    metrics::Counter* fault;
    metrics::Histogram* duration;
  };
  // The series of this record's proxy and service (service="other" when it gets none).
  Series& series(const OpRecord& record) REQUIRES(mu_);
  Series& series(const std::string& proxy, const std::string& service) REQUIRES(mu_);

  metrics::Registry& registry_;
  const std::size_t max_services_;
  metrics::Counter& overflow_;
  Mutex mu_;
  std::size_t services_ GUARDED_BY(mu_) = 0;              // services with series of their own
  std::map<std::string, Series> series_ GUARDED_BY(mu_);  // by proxy + "\n" + service
};

}  // namespace roadside::opmon
