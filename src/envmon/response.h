// The getSecurityServerMetrics answer (PR-ENVMONMES §2.2), shaped as X-Road's xroad-monitor
// (MetricsRpcService) and proxymonitor metaservice (ProxyMonitorServiceHandlerImpl,
// MetricTypes) shape it:
//
//   <m:getSecurityServerMetricsResponse>
//     <m:metricSet> name: the server's identifier, "SERVER:instance/class/code/server"
//       <m:stringMetric> proxyVersion
//       <m:metricSet> systemMetrics, in X-Road's order:
//         Certificates   a metricSet "certificate-<sha1Hash>" each: sha1Hash, notBefore,
//                        notAfter (ISO 8601 instants), certificateType, active
//         the gauges, by name: DiskSpaceFree_<path>, DiskSpaceTotal_<path>,
//                        MaxFileDescriptorCount, OperatingSystem, TotalPhysicalMemory, TotalSwapSpace
//         the histograms, by name: CommittedVirtualMemory, FreePhysicalMemory, FreeSwapSpace,
//                        OpenFileDescriptorCount, SystemCpuLoad (updated, min, max, mean, median, stddev)
//         Processes, Xroad Processes   a metricSet per process, named by its pid: processId,
//                        command, cpuLoad, memUsed, startTime, userId
//         Packages       a metric per package: its name, its version
//
// A single value is a numericMetric when it reads as a decimal number and a stringMetric
// otherwise, as X-Road's MetricTypes decides (NumberUtils.isCreatable, here narrowed to
// xs:decimal's form): so a pid, a CPU share or a version "2" are numeric.
//
// The outputSpec names the members of systemMetrics (an empty one: all of them); a name that
// matches none is ignored, and proxyVersion is always there. `limited` is X-Road's
// env-monitor.limit-remote-data-set applied to a client that is not the server's owner:
// only OperatingSystem and Certificates (and proxyVersion) are answered.
//
// Where X-Road would write an empty metricSet (no certificate, an outputSpec matching
// nothing), the set is left out: monitoring.xsd requires a set to hold a metric. Text from
// the host is written as valid XML whatever its bytes (a character XML cannot carry and a
// byte that is not UTF-8 become '?').
#pragma once

#include <string>
#include <string_view>

#include "base/identifiers.h"
#include "envmon/metrics.h"
#include "envmon/request.h"

namespace roadside::envmon {

// The body element for the SOAP Body: <m:getSecurityServerMetricsResponse xmlns:m="...">.
// REQUIRES: `server` is a SERVER identifier.
std::string response_xml(const Snapshot& snapshot, const XRoadId& server, std::string_view proxy_version,
                         const MetricsRequest& request, bool limited);

}  // namespace roadside::envmon
