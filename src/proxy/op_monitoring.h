// The operational monitoring services the server proxy answers itself (PR-OPMON; X-Road's
// OpMonitoringServiceHandlerImpl and its op-monitor daemon's query handlers):
//
//   getSecurityServerOperationalData  this server's operational data records in a window,
//       as a gzipped JSON attachment (Content-ID operational-monitoring-data.json.gz,
//       application/gzip) with recordsCount and, when the answer was cut, nextRecordsFrom.
//   getSecurityServerHealthData       per-service statistics of the last period.
//
// Like X-Road (OpMonitoringServiceHandlerImpl.canHandle), they are the services of the server's
// owner member exactly; the same codes of any other provider are ordinary services. Any client
// may ask, and no access right is checked (the request's signature is). What a client sees
// of the operational data is X-Road's rule: the instance's monitoring client, and the owner
// of the server the request names in its securityServer header, see every record (and
// securityServerInternalIp); any other client the records it is the client or the service
// provider of. The database query runs on the server's monitoring pool
// (ProxyContext::monitoring_pool), never on the proxy's threads; a request that cannot be
// answered is refused before it waits for one, and at most kMaxMonitoringQueries are taken at
// once (net::errc::overloaded beyond).
#pragma once

#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "base/identifiers.h"
#include "base/result.h"
#include "proxy/context.h"
#include "proxy/soap.h"

namespace roadside::proxy {

struct OpMonitoringRequest {
  std::string_view soap;  // the request's whole envelope
  XRoadId client;
  std::string_view service_code;
  std::optional<XRoadId> security_server;  // the securityServer header, when given
};

// Whether the server proxy answers `service` itself: operational monitoring is on
// (ctx.op_queries.open_store and health set) and it is one of the two services of the owner.
// Otherwise it is a service like any other.
bool op_monitoring_served(const ProxyContext& ctx, const Snapshot& snap, const XRoadId& service);

// The response to `request` (a SOAP message for the server proxy to sign), or its error:
// opmon::errc::invalid_request (X-Road's messages) for a malformed request or window,
// opmon::errc::store_failed when the records cannot be read. `snap` gives the time.
// Requires op_monitoring_served(ctx).
boost::asio::awaitable<Result<SoapMessage>> answer_op_monitoring(const ProxyContext& ctx, const Snapshot& snap,
                                                                 OpMonitoringRequest request);

}  // namespace roadside::proxy
