// The operational data record (opmon/record.h) of one message, as the proxies fill it in:
// X-Road's OpMonitoringData. Each proxy starts one when a request arrives, adds what it learns
// on the way (the parties, the ids, the sizes, the times it sent and received), and hands it to
// ProxyContext::op_monitor just before it answers.
#pragma once

#include <cstdint>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "base/clock.h"
#include "base/identifiers.h"
#include "opmon/record.h"
#include "proxy/context.h"
#include "proxy/errors.h"
#include "serverconf/model.h"
#include "tracing/trace.h"

namespace roadside::proxy {

std::int64_t unix_ms(const Clock& clock);
// securityServerInternalIp: the address this server was reached at (`local`, the proxy's end
// of the connection), an IPv4-mapped IPv6 address as IPv4.
void set_internal_ip(opmon::OpRecord& record, const boost::asio::ip::tcp::endpoint& local);
// The client's identifier fields (a MEMBER or a SUBSYSTEM).
void set_client(opmon::OpRecord& record, const XRoadId& client);
// The service's: its provider, code and version.
void set_service(opmon::OpRecord& record, const XRoadId& service);
// X-Road's serviceType: WSDL, REST or OPENAPI3.
std::string service_type_name(serverconf::ServiceType type);
// The ids of an X-Road message (SOAP header, REST X-Road-* headers); empty ones are left out.
void set_message_ids(opmon::OpRecord& record, std::string_view id, std::string_view user_id, std::string_view issue);
// The message failed with this fault (the proxy's, or one it passes on); the record's text is
// bounded by finish(), not here.
void set_fault(opmon::OpRecord& record, std::string_view code, std::string_view message);
// The outcome, just before the answer goes out (and the record's text cut to X-Road's bounds): `fault` is the proxy's
// own fault when the message failed, null otherwise. A fault the proxy passes on (the provider's server's, the
// service's SOAP fault) was recorded where it arrived, with succeeded = false.
void finish(opmon::OpRecord& record, const Clock& clock, const Fault* fault);

// The message is answered: finish()es `record` (`fault` as there), hands this proxy's span of
// it to ctx.span_exporter (when set and the trace is sampled: `trace`'s ids, a child of
// `parent`, named "<name> <service code>", timed by the record, the message's parties and ids
// as attributes, status ERROR when it failed), and the record to ctx.op_monitor (when set).
void record_message(const ProxyContext& ctx, opmon::OpRecord record, const Fault* fault,
                    const tracing::TraceContext& trace, const std::optional<tracing::TraceContext>& parent,
                    std::string_view name);

}  // namespace roadside::proxy
