// The message exchange's errors and how they reach the information system: X-Road fault
// codes (7.8 snake_case form when emitting), as a SOAP fault or a REST error body (JSON, or
// XML when the client accepts only XML), with X-Road's HTTP statuses and X-Road-Error.
//
// A fault code is a prefix for where the error arose plus the error's own code:
//   client.*               the information system's request is at fault (HTTP 400)
//   server.clientproxy.*   the consumer's Security Server failed it (HTTP 500)
//   server.serverproxy.*   the provider's Security Server failed it (HTTP 500)
// Codes from peers are accepted in both the 7.8 form and the CamelCase form of 7.7 and older.
#pragma once

#include <string>
#include <string_view>

#include "base/errc.h"
#include "base/result.h"
#include "net/http_server.h"

namespace roadside::proxy {

enum class errc {
  bad_request = 1,           // client: malformed request
  missing_header_field,      // client: a mandatory X-Road header is absent
  invalid_protocol_version,  // client: SOAP protocolVersion is not 4.x
  invalid_soap,              // client: not a SOAP 1.1 message X-Road accepts
  invalid_content_type,      // client or peer: unexpected Content-Type
  ssl_auth_failed,           // a peer Security Server's TLS certificate is not acceptable
  is_auth_failed,            // the IS's connection does not meet its client's mode (X-Road: server.clientproxy.)
  unknown_member,            // the client is not hosted here, or the provider is unknown
  unknown_service,           // the service does not exist on the provider's server
  access_denied,             // the client may not call the service
  service_failed,            // the service could not be called (see the cause)
  service_network_error,     // ... it could not be reached, or did not answer in time
  service_tls_failed,        // ... its TLS failed
  service_invalid_response,  // ... its answer was not a usable HTTP response
  invalid_message,           // a transport message that cannot be decoded
  inconsistent_response,     // the response does not answer the request (request hash)
  maintenance_mode,          // the provider's servers are all in maintenance
  global_conf_outdated,      // no valid global configuration
  server_not_configured,     // no server configuration applied
  missing_signature,         // a transport message without a signature
  missing_header,            // client: a SOAP message without the X-Road header
  invalid_body,              // client: the SOAP Body is not one element named like the service
  missing_soap,              // client: no SOAP message in the request
  mime_parsing_failed,       // client: a multipart request that cannot be read
  service_type,              // a SOAP request names a REST service, or a REST request a SOAP one
  invalid_http_method,       // the server proxy was called with another method than POST
  invalid_soap_action,       // client: a SOAPAction header that is not a quoted string
  service_unknown_host,      // the service's host name does not resolve
  io_error,                  // the connection broke after the request was sent
  service_disabled,          // the service is disabled on the provider's server
  inconsistent_headers,      // client: the SOAP Body's element does not start with the service code
  invalid_security_server,   // the security server a request names is unknown or does not host its provider
  missing_body,              // client: a SOAP envelope without a Body
  // (Keep missing_body last, or move kLastErrc: service_failed_category() covers up to it.)
};
inline constexpr errc kLastErrc = errc::missing_body;
const FaultCategory& proxy_category() noexcept;
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), proxy_category()}; }

// What went wrong in the answer of the party called (the service, for the server proxy; the
// provider's server, for the client proxy), as X-Road reports it: the same codes under
// "service_failed." (server.serverproxy.service_failed.invalid_soap). An error that already
// is a service_failed one is kept; a MIME error or a missing SOAP part becomes
// service_failed.invalid_message.
// `context` goes before the detail.
Error service_failed(const Error& e, std::string_view context);
const FaultCategory& service_failed_category() noexcept;
inline Error service_failed(errc e, std::string detail) {
  return Error(std::error_code(static_cast<int>(e), service_failed_category()), std::move(detail));
}

// True when the error is the information system's fault (prefix client., status 400).
bool is_client_error(const Error& e);

struct Fault {
  std::string code;     // full fault code: "server.serverproxy.access_denied"
  std::string message;  // the detail
  std::string detail;   // a UUID that correlates with the log line
  std::string original_code;  // parse_soap_fault's: the faultcode as the fault wrote it
};

enum class Side { client_proxy, server_proxy };
// The fault code of an error raised on `side`.
Fault make_fault(const Error& e, Side side);
// 500 for server.* codes, 400 otherwise (X-Road's ClientRestMessageHandler).
unsigned fault_status(std::string_view code);

// X-Road's SOAP fault document (SoapFault.createFaultXml).
std::string soap_fault_xml(const Fault& f);
// Reads a SOAP fault (faultcode, faultstring, faultDetail) from a peer or service.
std::optional<Fault> parse_soap_fault(std::string_view xml);

// The REST error response for the IS: JSON {"type","message","detail"} or, when `accept`
// asks for XML only, <error><type/><message/><detail/></error>; with X-Road-Error.
net::StringResponse rest_error_response(const Fault& f, std::string_view accept, unsigned version = 11);
// The SOAP fault response for the IS (text/xml, status 500 as X-Road sends it).
net::StringResponse soap_error_response(const Fault& f, unsigned version = 11);

// A peer's or service's fault code in either form, as the 7.8 form:
// "Server.ServerProxy.AccessDenied" -> "server.serverproxy.access_denied".
std::string normalize_fault_code(std::string_view code);

}  // namespace roadside::proxy

ROADSIDE_ERRC_ENUM(roadside::proxy::errc)
