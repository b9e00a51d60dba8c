// The environmental monitoring service the server proxy answers itself
// (getSecurityServerMetrics; X-Road's proxymonitor ProxyMonitorServiceHandlerImpl):
//
//   - it is the service getSecurityServerMetrics of the server's owner member exactly (no
//     subsystem, no version); any other service of that code is an ordinary service;
//   - only the owner and the instance's monitoring client may ask: any other client is refused
//     with errc::access_denied ("Request is not allowed: <service>");
//   - with env-monitor.limit-remote-data-set, a client that is not the owner gets only
//     OperatingSystem and Certificates (and proxyVersion);
//   - the request's signature is verified, and, as X-Road's, the message is not message-logged.
//
// The host is read on the server's monitoring pool, never on the proxy's threads; at most
// kMaxMonitoringQueries monitoring queries are taken at once (net::errc::overloaded beyond).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "base/identifiers.h"
#include "base/result.h"
#include "proxy/context.h"
#include "proxy/soap.h"

namespace roadside::proxy {

// Whether the server proxy answers `service` itself: environmental monitoring is on and it is
// the owner's getSecurityServerMetrics.
bool env_monitoring_served(const ProxyContext& ctx, const Snapshot& snap, const XRoadId& service);

// The response to a getSecurityServerMetrics request (`soap`, its whole envelope) from
// `client`, or errc::access_denied (above), envmon::errc::invalid_request (a malformed body).
// Requires env_monitoring_served.
boost::asio::awaitable<Result<SoapMessage>> answer_env_monitoring(const ProxyContext& ctx, const Snapshot& snap,
                                                                  std::string_view soap, XRoadId client);

}  // namespace roadside::proxy
