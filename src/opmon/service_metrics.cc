#include "opmon/service_metrics.h"

#include "base/log.h"

namespace roadside::opmon {

const std::vector<double>& ServiceMetrics::buckets() {
  static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return b;
}

ServiceMetrics::ServiceMetrics(metrics::Registry& registry, std::size_t max_services)
    : registry_(registry),
      max_services_(max_services),
      overflow_(registry.counter("roadside_service_metrics_overflow_total",
                                 "Messages of services refused series of their own: the bound was reached")) {}

ServiceMetrics::Series& ServiceMetrics::series(const std::string& proxy, const std::string& service) {
  auto [it, made] = series_.try_emplace(proxy + "\n" + service);
  if (made) {
    auto count = [&](const char* result) {
      return &registry_.counter("roadside_service_requests_total", "X-Road messages by service and outcome",
                                {{"proxy", proxy}, {"service", service}, {"result", result}});
    };
    it->second = {count("ok"), count("fault"),
                  &registry_.histogram("roadside_service_request_duration_seconds",
                                       "Time from a request's arrival to its answer going out, by service", buckets(),
                                       {{"proxy", proxy}, {"service", service}})};
  }
  return it->second;
}

ServiceMetrics::Series& ServiceMetrics::series(const OpRecord& r) {
  const std::string proxy = r.security_server_type == "Producer" ? "server" : "client";
  if (!r.service_code) return series(proxy, std::string(kOther));
  const std::string id = service_identifier(r, false);  // a version is free text: not in the label
  if (auto it = series_.find(proxy + "\n" + id); it != series_.end()) return it->second;
  const bool exists = r.security_server_type == "Producer" ? r.service_type.has_value() : r.succeeded.value_or(false);
  if (!exists) return series(proxy, std::string(kOther));
  if (services_ >= max_services_) {
    if (overflow_.value() == 0) {
      log::warn("per-service metrics: the bound of services with series of their own is reached; others count as other",
                {{"bound", max_services_}, {"service", id}});
    }
    overflow_.inc();
    return series(proxy, std::string(kOther));
  }
  ++services_;
  return series(proxy, id);
}

void ServiceMetrics::add(const OpRecord& r) {
  Series* s = nullptr;
  {
    MutexLock lock(mu_);
    s = &series(r);
  }
  (r.succeeded.value_or(false) ? s->ok : s->fault)->inc();
  if (r.request_in_ts && r.response_out_ts && *r.response_out_ts >= *r.request_in_ts) {
    s->duration->observe(static_cast<double>(*r.response_out_ts - *r.request_in_ts) / 1000.0);
  }
}

}  // namespace roadside::opmon
