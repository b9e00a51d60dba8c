#include "proxy/op_record.h"

namespace roadside::proxy {

namespace {

void export_span(const ProxyContext& ctx, const opmon::OpRecord& record, const tracing::TraceContext& trace,
                 const std::optional<tracing::TraceContext>& parent, std::string_view name) {
  if (!ctx.span_exporter || !trace.sampled()) return;
  tracing::Span span;
  span.context = trace;
  if (parent) span.parent = parent->span_id;
  span.name = std::string(name) + (record.service_code ? " " + *record.service_code : "");
  span.kind = tracing::Span::Kind::server;
  constexpr std::int64_t kNanosPerMilli = 1'000'000;
  span.start_unix_ns = record.request_in_ts.value_or(0) * kNanosPerMilli;
  span.end_unix_ns = record.response_out_ts.value_or(0) * kNanosPerMilli;
  if (record.service_code) span.attributes.emplace_back("xroad.service", opmon::service_identifier(record));
  if (record.client_member_code) span.attributes.emplace_back("xroad.client", opmon::client_identifier(record));
  if (record.message_id) span.attributes.emplace_back("xroad.message_id", *record.message_id);
  if (record.x_request_id) span.attributes.emplace_back("xroad.request_id", *record.x_request_id);
  if (record.security_server_type)
    span.attributes.emplace_back("xroad.security_server_type", *record.security_server_type);
  if (!record.succeeded.value_or(false)) {
    span.error = true;
    span.status_message = record.fault_code.value_or("failed");
  }
  ctx.span_exporter(std::move(span));
}

std::optional<std::string> unless_empty(std::string_view s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

}  // namespace

std::int64_t unix_ms(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch()).count();
}

void set_client(opmon::OpRecord& record, const XRoadId& client) {
  record.client_xroad_instance = std::string(client.instance());
  record.client_member_class = std::string(client.member_class());
  record.client_member_code = std::string(client.member_code());
  record.client_subsystem_code = unless_empty(client.subsystem_code());
}

void set_service(opmon::OpRecord& record, const XRoadId& service) {
  record.service_xroad_instance = std::string(service.instance());
  record.service_member_class = std::string(service.member_class());
  record.service_member_code = std::string(service.member_code());
  record.service_subsystem_code = unless_empty(service.subsystem_code());
  record.service_code = unless_empty(service.service_code());
  record.service_version = unless_empty(service.service_version());
}

std::string service_type_name(serverconf::ServiceType type) {
  switch (type) {
    case serverconf::ServiceType::wsdl:
      return "WSDL";
    case serverconf::ServiceType::openapi:
      return "OPENAPI3";
    case serverconf::ServiceType::rest:
      break;
  }
  return "REST";
}

void set_message_ids(opmon::OpRecord& record, std::string_view id, std::string_view user_id, std::string_view issue) {
  record.message_id = unless_empty(id);
  record.message_user_id = unless_empty(user_id);
  record.message_issue = unless_empty(issue);
}

void set_fault(opmon::OpRecord& record, std::string_view code, std::string_view message) {
  record.succeeded = false;
  record.fault_code = std::string(code);
  record.fault_string = std::string(message);
}

void set_internal_ip(opmon::OpRecord& record, const boost::asio::ip::tcp::endpoint& local) {
  auto address = local.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  record.security_server_internal_ip = address.to_string();
}

void finish(opmon::OpRecord& record, const Clock& clock, const Fault* fault) {
  record.response_out_ts = unix_ms(clock);
  if (fault) {
    set_fault(record, fault->code, fault->message);
  } else if (!record.succeeded) {  // none passed on either
    record.succeeded = true;
  }
  // Whatever reads the record next (metrics, the access log, a span, the recorder) gets text
  // cut to X-Road's bounds: an id, a path or a fault from a request can be megabytes.
  opmon::bound(record);
}

void record_message(const ProxyContext& ctx, opmon::OpRecord record, const Fault* fault,
                    const tracing::TraceContext& trace, const std::optional<tracing::TraceContext>& parent,
                    std::string_view name) {
  finish(record, *ctx.clock, fault);
  export_span(ctx, record, trace, parent, name);
  if (ctx.op_monitor) ctx.op_monitor(std::move(record));
}

}  // namespace roadside::proxy
