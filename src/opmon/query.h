// getSecurityServerOperationalData (PR-OPMON §2): the request read and checked as X-Road's
// op-monitor daemon checks it (OperationalDataRequestHandler), the records chosen by X-Road's
// access rule, and the response's body and payload written.
//
// The access rule: the server's owner and the instance's monitoring client see every record;
// any other client only those in which it is the client or the service provider. The
// request's searchCriteria/client narrows to records of that service provider, and only the
// privileged get securityServerInternalIp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/identifiers.h"
#include "base/result.h"
#include "opmon/op_store.h"

namespace roadside::opmon {

inline constexpr std::string_view kOpMonitoringNs = "http://x-road.eu/xsd/op-monitoring.xsd";
// The payload's MIME part: its Content-ID (without brackets) and type.
inline constexpr std::string_view kPayloadCid = "operational-monitoring-data.json.gz";
inline constexpr std::string_view kPayloadType = "application/gzip";

struct OperationalDataRequest {
  std::int64_t records_from = 0;  // Unix seconds, inclusive
  std::int64_t records_to = 0;
  std::optional<XRoadId> service_provider;  // searchCriteria/client
  std::vector<std::string> output_fields;   // outputSpec/outputField
};

// The request's body, from its whole SOAP envelope (at most `max_bytes`): errc::invalid_request
// naming what is missing or malformed.
Result<OperationalDataRequest> parse_operational_data_request(std::string_view soap, std::size_t max_bytes);

struct OperationalDataQuery {
  XRoadId requester;        // the request's client
  bool privileged = false;  // the server's owner or the monitoring client
  std::int64_t now_s = 0;
  std::int64_t offset_s = 60;        // records-available-timestamp-offset-seconds
  std::size_t max_records = 10'000;  // max-records-in-payload
  // Stored records one query may read, whatever its filter matches: a window over a busy server
  // ends early, with nextRecordsFrom, instead of reading everything. A plain client, who may be
  // any member of the instance, reads at most max_scanned_records_plain.
  std::size_t max_scanned_records = 200'000;
  std::size_t max_scanned_records_plain = 20'000;
};

struct OperationalDataResponse {
  std::string body_xml;  // <om:getSecurityServerOperationalDataResponse> for the SOAP Body
  std::string payload;   // the records' JSON, gzipped
  std::size_t records_count = 0;
  std::optional<std::int64_t> next_records_from;
};

// The checks answer_operational_data makes before it reads anything: the window (X-Road's
// messages: a negative time, to before from, from not yet available) and the outputSpec.
// Cheap: a caller makes them before it queues the query for a database thread.
Status check_operational_data_request(const OperationalDataRequest& request, const OperationalDataQuery& query);

// Checks the request (check_operational_data_request), then answers it from `store`. A window that ends where records
// may still be arriving (now - offset or later) is cut there, and nextRecordsFrom says where to go on.
Result<OperationalDataResponse> answer_operational_data(OpStore& store, const OperationalDataRequest& request,
                                                        const OperationalDataQuery& query);

// `data` in gzip format (RFC 1952).
std::string gzip(std::string_view data);

}  // namespace roadside::opmon
