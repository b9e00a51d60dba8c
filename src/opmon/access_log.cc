#include "opmon/access_log.h"

namespace roadside::opmon {

json::Members access_log_fields(const OpRecord& r) {
  json::Members f;
  f.add("proxy", r.security_server_type == "Producer" ? "server" : "client");
  if (r.message_id) f.add("id", *r.message_id);
  if (r.x_request_id) f.add("request_id", *r.x_request_id);
  if (r.client_member_code) f.add("client", client_identifier(r));
  if (r.service_code) f.add("service", service_identifier(r));
  if (r.rest_method) f.add("rest", *r.rest_method + " " + r.rest_path.value_or(""));
  f.add("status", r.succeeded.value_or(false) ? "ok" : "fault");
  if (r.status_code) f.add("http_status", *r.status_code);
  if (r.fault_code) f.add("fault_code", *r.fault_code);
  if (r.request_size) f.add("request_bytes", *r.request_size);
  if (r.response_size) f.add("response_bytes", *r.response_size);
  if (r.request_in_ts && r.response_out_ts) f.add("duration_ms", *r.response_out_ts - *r.request_in_ts);
  if (r.request_out_ts && r.response_in_ts) f.add("service_ms", *r.response_in_ts - *r.request_out_ts);
  const auto& peer =
      r.security_server_type == "Producer" ? r.client_security_server_address : r.service_security_server_address;
  if (peer) f.add("peer", *peer);
  return f;
}

void log_access(const OpRecord& record) {
  log::access("message", access_log_fields(record));
}

}  // namespace roadside::opmon
