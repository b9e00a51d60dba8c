// A getSecurityServerMetrics request (PR-ENVMONMES §2.1), read as X-Road's proxymonitor
// metaservice reads it (ProxyMonitorServiceHandlerImpl.getMetricNames):
//   - the Body's first element is getSecurityServerMetrics, in whatever namespace: X-Road
//     routes by the header's service code and answers its own test request getMetrics.query,
//     whose element is in a provider's namespace;
//   - only outputField elements in the monitoring namespace name metrics: a request that has
//     none asks for every metric;
//   - a name X-Road does not know matches no metric and is not an error.
// Unlike X-Road, the outputFields are taken only where the schema puts them
// (getSecurityServerMetrics/outputSpec/outputField), their values without surrounding white
// space, and an empty one or more than kMaxOutputFields are refused.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/errc.h"
#include "base/result.h"

namespace roadside::envmon {

inline constexpr std::string_view kMonitoringNs = "http://x-road.eu/xsd/monitoring";
inline constexpr std::string_view kServiceCode = "getSecurityServerMetrics";
// X-Road knows some twenty metric names; a request naming more is not a monitoring client's.
inline constexpr std::size_t kMaxOutputFields = 100;

enum class errc {
  invalid_request = 1,  // X-Road's InvalidRequest: not a getSecurityServerMetrics request
};
const FaultCategory& envmon_category() noexcept;
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), envmon_category()};
}

struct MetricsRequest {
  std::vector<std::string> output_fields;  // the metrics asked for, in order; empty: every metric
};

// The request in a whole SOAP envelope of at most `max_bytes`; errc::invalid_request saying
// what is wrong otherwise.
Result<MetricsRequest> parse_metrics_request(std::string_view soap, std::size_t max_bytes);

}  // namespace roadside::envmon

ROADSIDE_ERRC_ENUM(roadside::envmon::errc)
