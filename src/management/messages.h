// PR-MSERV management requests and responses as SOAP envelopes: the eleven request types,
// the envelope a Security Server builds for each (as X-Road's ManagementRequestBuilder
// does), the central server's reading of a received envelope, its response, and the
// Security Server's reading of that response (X-Road's ManagementRequestSender).
//
// Envelope as built (one line, no whitespace between elements):
//   <?xml version="1.0" encoding="UTF-8"?>
//   <SOAP-ENV:Envelope xmlns:SOAP-ENV=".../soap/envelope/" xmlns:id="...identifiers"
//       xmlns:xroad="http://x-road.eu/xsd/xroad.xsd">
//     <SOAP-ENV:Header> client (the server owner), service (managementRequestServiceProviderId
//       + service code), id (a random UUID), protocolVersion 4.0 </SOAP-ENV:Header>
//     <SOAP-ENV:Body><xroad:clientReg> server, client, ... </xroad:clientReg></SOAP-ENV:Body>
//   </SOAP-ENV:Envelope>
// Body fields are in request.xsd's order; authCert is base64 on one line.
//
// Reading is for hostile input: size limits, no DOCTYPE (xml::Document), and the body is
// checked against request.xsd's content models by hand (see check_body in messages.cc and
// the module README: the schema files need not exist where the server runs; the tests hold
// the hand-written checks to libxml2's validation with the real XSD).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/identifiers.h"
#include "base/random.h"
#include "base/result.h"
#include "xml/dom.h"

namespace roadside::management {

inline constexpr std::string_view kSoapEnvNs = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::string_view kXRoadNs = "http://x-road.eu/xsd/xroad.xsd";
inline constexpr std::string_view kIdentifiersNs = "http://x-road.eu/xsd/identifiers";
// A SOAP part larger than this is refused (a management request is a few kilobytes).
inline constexpr std::size_t kMaxSoapBytes = 1024 * 1024;
// Free text fields (address, subsystemName, message) longer than this are refused.
inline constexpr std::size_t kMaxTextField = 4096;

enum class RequestType {
  client_reg,
  client_deletion,
  auth_cert_reg,
  auth_cert_deletion,
  owner_change,
  address_change,
  client_disable,
  client_enable,
  client_rename,
  maintenance_mode_enable,
  maintenance_mode_disable,
};
inline constexpr std::array<RequestType, 11> kRequestTypes{RequestType::client_reg,
                                                           RequestType::client_deletion,
                                                           RequestType::auth_cert_reg,
                                                           RequestType::auth_cert_deletion,
                                                           RequestType::owner_change,
                                                           RequestType::address_change,
                                                           RequestType::client_disable,
                                                           RequestType::client_enable,
                                                           RequestType::client_rename,
                                                           RequestType::maintenance_mode_enable,
                                                           RequestType::maintenance_mode_disable};

// "clientReg", "authCertReg", ...: the service code and the body element's name.
std::string_view service_code(RequestType type) noexcept;
// By service code, ignoring case as X-Road's ManagementRequestType.getByServiceCode does.
std::optional<RequestType> request_type_by_service_code(std::string_view code) noexcept;

// What a request carries besides its SOAP part (X-Road's request classes and decoder
// callbacks, which PR-MSERV §2 follows but for clientDeletion and authCertDeletion):
//   none            clientDeletion, authCertDeletion: a plain X-Road message (text/xml)
//   owner           every other request but authCertReg: multipart/related with the SOAP
//                   part, a signature of it by a signing key of the owner member (the
//                   client's member for client requests, the server owner otherwise), that
//                   signing certificate and its OCSP response
//   auth_and_owner  authCertReg: the SOAP part, the auth key's signature, the server owner's
//                   signature, the auth certificate, the owner's signing certificate, its OCSP
enum class Signatures { none, owner, auth_and_owner };
Signatures signatures_of(RequestType type) noexcept;
// Whether the request names a client whose member signs it (clientReg, ownerChange,
// clientDisable, clientEnable, clientRename); the others are about the server itself.
bool is_client_request(RequestType type) noexcept;

// The body's fields (request.xsd). Which are present depends on the type; the builders and
// the reader keep to request.xsd's content model of each.
struct RequestBody {
  RequestType type = RequestType::client_reg;
  XRoadId server;                             // SERVER
  std::optional<XRoadId> client;              // MEMBER or SUBSYSTEM
  std::optional<std::string> address;         // authCertReg (optional in the XSD), addressChange
  std::optional<std::string> auth_cert;       // DER: authCertReg, authCertDeletion
  std::optional<bool> dry_run;                // authCertReg (request.xsd only; never built)
  std::optional<std::string> subsystem_name;  // clientReg (optional), clientRename
  std::optional<std::string> message;         // maintenanceModeEnable (optional)
  std::optional<std::int64_t> request_id;     // responses
};

struct MessageHeader {
  XRoadId client;   // MEMBER: the Security Server's owner
  XRoadId service;  // SERVICE: managementRequestServiceProviderId + service code
  std::string id;
  std::string protocol_version;
};

// Builds request envelopes as X-Road's ManagementRequestBuilder does.
class RequestBuilder {
 public:
  // `owner`: the Security Server's owner member (header client). `management_service`: the
  // private parameters' managementRequestServiceProviderId (a member or subsystem). The
  // header id is a random UUID from `random`, which must outlive the builder.
  RequestBuilder(XRoadId owner, XRoadId management_service, Random& random = Random::system());

  // Errors: errc::invalid_argument when an identifier has the wrong type (server not a
  // SERVER, client not a MEMBER or SUBSYSTEM) or a required field is missing or too long.
  Result<std::string> client_reg(const XRoadId& server, const XRoadId& client,
                                 std::optional<std::string> subsystem_name = std::nullopt) const;
  Result<std::string> client_deletion(const XRoadId& server, const XRoadId& client) const;
  Result<std::string> auth_cert_reg(const XRoadId& server, std::string address, std::string auth_cert_der) const;
  Result<std::string> auth_cert_deletion(const XRoadId& server, std::string auth_cert_der) const;
  Result<std::string> owner_change(const XRoadId& server, const XRoadId& new_owner) const;
  Result<std::string> address_change(const XRoadId& server, std::string address) const;
  Result<std::string> client_disable(const XRoadId& server, const XRoadId& client) const;
  Result<std::string> client_enable(const XRoadId& server, const XRoadId& client) const;
  Result<std::string> client_rename(const XRoadId& server, const XRoadId& client, std::string subsystem_name) const;
  Result<std::string> maintenance_mode_enable(const XRoadId& server,
                                              std::optional<std::string> message = std::nullopt) const;
  Result<std::string> maintenance_mode_disable(const XRoadId& server) const;

  // Any of the above from its fields (request_id must be absent).
  Result<std::string> build(const RequestBody& body) const;

 private:
  XRoadId owner_;
  XRoadId management_service_;
  Random* random_;
};

// A received envelope, read: X-Road headers and the body. `soap` is the bytes as received.
struct SoapRequest {
  MessageHeader header;
  RequestBody body;
};

// Reads a request envelope (the SOAP part). Checks: SOAP 1.1 envelope with a Header holding
// client (MEMBER), service (SERVICE), id and protocolVersion 4.x; one Body element in the
// xroad namespace named as the header's service code says, whose content is what
// request.xsd allows for it. Errors: errc::invalid_request (malformed, or a field refused by
// request.xsd), errc::invalid_client_identifier (an identifier in the body that is not a
// well-formed X-Road identifier: X-Road's validateServerId; Roadside's identifier rules are
// stricter than the central server's, see the README).
Result<SoapRequest> parse_soap_request(std::string_view soap);

// The central server's answer (X-Road's management service): the request's header echoed,
// the body element named <service code>Response holding the request's fields and then
// <requestId>. REQUIRES: `request` came from parse_soap_request or a builder.
std::string build_response(const SoapRequest& request, std::int64_t request_id);

// The central server's refusal (X-Road's SoapFault.createFaultXml, as its management service
// answers with HTTP 500): faultcode is the error's fault code as the central server's
// int-test .feature files expect it ("invalid_signature_value", "invalid_request"),
// faultstring its detail (at most kMaxTextField bytes of it), faultactor empty.
std::string build_fault(const Error& error);

// A response as the Security Server reads it.
struct ResponseInfo {
  RequestType type = RequestType::client_reg;
  // The first xroad:requestId in the body as an integer; std::nullopt when there is none or
  // it is not an integer (X-Road's ManagementRequestSender.getRequestId).
  std::optional<std::int64_t> request_id;
};

// Reads the central server's answer: `content_type` must be text/xml (errc::http_error); a
// SOAP fault is errc::service_failed with its faultcode and faultstring in the detail; the
// body element must be the response of a management service (errc::invalid_request). When
// `request_soap` is given, the headers client, service, id and userId must equal the
// request's (errc::inconsistent_headers, SoapUtils.checkConsistency). Identifiers are
// compared as written: X-Road's central server may name a provider Roadside's stricter
// identifier rules would refuse (examples/response-with-requestId.answer: a subsystem code
// with spaces), and reading the answer must not fail on that.
Result<ResponseInfo> parse_response(std::string_view content_type, std::string_view response,
                                    std::optional<std::string_view> request_soap = std::nullopt);

// The faultcode of an answer that is a SOAP fault (parse_response's errc::service_failed: the
// Central Server's refusal, or the client proxy's when it could not deliver), at most 200
// bytes; std::nullopt when `response` is no SOAP fault.
std::optional<std::string> response_fault_code(std::string_view response);

}  // namespace roadside::management
