// The access log: one JSON line per message a proxy mediated, from its operational data
// record, for operators who read logs rather than query X-Road's monitoring services:
//
//   {"time":...,"level":"info","log":"access","msg":"message","proxy":"client","id":"<xrd:id>",
//    "request_id":"<X-Road-Request-Id>","client":"SUBSYSTEM:DEV/COM/1001/CLIENT",
//    "service":"SERVICE:DEV/COM/1002/SERVICE/getRandom/v1","rest":"GET /path","status":"ok",
//    "http_status":200,"fault_code":"...","request_bytes":925,"response_bytes":1022,
//    "duration_ms":12,"service_ms":3,"peer":"127.0.0.3"}
//
// proxy is "client" (Client records) or "server" (Producer); status "ok" or "fault" (with
// fault_code); duration_ms from the request's arrival to its answer going out, service_ms
// from sending to the peer or the service to its answer. Absent fields are left out. Never a
// body, the user id, the issue or a fault's text (which may quote a body).
#pragma once

#include "base/json_text.h"
#include "base/log.h"
#include "opmon/record.h"

namespace roadside::opmon {

// The line's fields after "msg", as JSON text.
json::Members access_log_fields(const OpRecord& record);
// Writes the record's access-log line (log::access).
void log_access(const OpRecord& record);

}  // namespace roadside::opmon
