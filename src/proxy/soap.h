// The SOAP message protocol (PR-MESS 4.0, xroad-protocols.md §1): SOAP 1.1 envelopes with
// X-Road headers, plain or with attachments (SwA multipart/related, or MTOM with an
// application/xop+xml root part), and the provider's requestHash.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/identifiers.h"
#include "base/result.h"
#include "proxy/rest.h"

namespace roadside::proxy {

inline constexpr std::string_view kSoapEnvNs = "http://schemas.xmlsoap.org/soap/envelope/";
inline constexpr std::size_t kMaxSoapBytes = 64 * 1024 * 1024;

struct SoapHeader {
  std::optional<XRoadId> client;
  std::optional<XRoadId> service;
  std::optional<XRoadId> security_server;
  std::string id;
  std::string user_id;
  std::string issue;
  std::string protocol_version;
  std::optional<std::string> request_hash;  // responses
};

struct SoapEnvelope {
  SoapHeader header;
  bool has_header = false;
  bool is_fault = false;
  std::string body_element;  // local name of the Body's one child
};

// Reads the envelope and its X-Road headers. A message that is not a fault must have client,
// service, id and protocolVersion 4.x, and one Body element whose name starts with the service
// code (getState, getStateResponse); so must a request that is a fault. A request's
// securityServer (PR-TARGETSS, optional) is a SERVER.
// Errors (errc): invalid_soap (not a SOAP 1.1 envelope), missing_header, missing_header_field,
// bad_request (an identifier of the wrong type, or malformed: in a response that one is
// invalid_message), invalid_protocol_version, invalid_body, inconsistent_headers.
Result<SoapEnvelope> parse_soap(std::string_view xml, bool request);

// One attachment: its MIME headers as sent and its bytes.
struct Attachment {
  HeaderList headers;
  std::string body;
};

// A SOAP message as an IS or a service sends it: the envelope part and the attachments.
struct SoapMessage {
  std::string content_type;       // of the whole HTTP body (text/xml, multipart/related; ...)
  std::string soap_content_type;  // of the envelope part
  HeaderList soap_part_headers;   // the envelope part's MIME headers but Content-Type (multipart only)
  std::string soap;               // the envelope's bytes
  std::vector<Attachment> attachments;
  bool multipart = false;
};

// The envelope part's MIME headers that travel on (to the peer, the service, the IS): all
// but Content-Type (soap_content_type says it) and Content-Length. errc::invalid_content_type
// when its Content-Transfer-Encoding is not 7bit, 8bit or binary: the envelope is read as its
// bytes are, so an encoded one would be read otherwise by the service than checked and signed.
Result<HeaderList> envelope_part_headers(HeaderList headers);
// Whether `content_type` can be a SOAP message's: text/xml or multipart/related.
// Error: invalid_content_type (none, or another type).
Status check_soap_content_type(std::string_view content_type);
// Splits an HTTP body by its Content-Type: text/xml, or multipart/related (SwA, MTOM) whose
// root part (the start parameter, else the first) is the envelope. Every part must have a
// Content-Type.
// Errors: invalid_content_type, missing_soap, invalid_soap.
Result<SoapMessage> split_soap_message(std::string_view content_type, std::string body);
// The HTTP body back: the envelope alone, or a multipart/related body with `content_type`'s
// boundary, every part with its original headers (the envelope part's Content-Type is
// soap_content_type; its Content-ID, when it has none, the start parameter's).
std::string join_soap_message(const SoapMessage& m);

// Inserts <prefix:requestHash algorithmId="...sha512">hash</prefix:requestHash> right after the
// header's id element, with its prefix and indentation, removing any requestHash the service
// put there (PR-MESS §2.2).
Result<std::string> insert_request_hash(std::string_view xml, std::string_view hash_base64);

// base64 SHA-512 of the request's SOAP part: what requestHash must say.
std::string soap_request_hash(std::string_view soap);

}  // namespace roadside::proxy
