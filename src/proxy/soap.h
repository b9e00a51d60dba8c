// The SOAP message protocol (PR-MESS 4.0, xroad-protocols.md §1): SOAP 1.1 envelopes with
// X-Road headers, plain or with attachments (SwA multipart/related, or MTOM with an
// application/xop+xml root part), and the provider's requestHash.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/identifiers.h"
#include "base/result.h"
#include "net/payload.h"
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

// One attachment: its MIME headers as sent and its bytes, in memory or a slice of a spooled
// body (read in pieces, never whole).
struct Attachment {
  HeaderList headers;
  net::Payload body;
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
// Content-Type. The body may be spooled: the envelope is read into memory (at most
// kMaxSoapBytes), its size first taken from `memory` when the body is spooled and `memory`
// is given (the bytes of a body in memory are counted by whoever read it); the attachments
// stay where they are, slices of `body`. A body in memory splits as the same body spooled.
// Errors: invalid_content_type, missing_soap, invalid_soap, mime_parsing_failed;
// net::errc::too_large (an envelope over kMaxSoapBytes), net::errc::overloaded (`memory`
// spent); a failed read of a spool file passes its error through.
Result<SoapMessage> split_soap_message(std::string_view content_type, net::Payload body, net::BudgetShare* memory = nullptr);
// The same over bytes in memory.
Result<SoapMessage> split_soap_message(std::string_view content_type, std::string body);
// The HTTP body back as pieces to send in order (a spooled attachment is one of them): the
// envelope alone, or a multipart/related body with `content_type`'s boundary, every part with
// its original headers (the envelope part's Content-Type is soap_content_type; its
// Content-ID, when it has none, the start parameter's).
std::vector<net::Payload> soap_message_pieces(const SoapMessage& m);
// The same body whole in memory (tests; messages without spooled attachments).
std::string join_soap_message(const SoapMessage& m);

// Inserts <prefix:requestHash algorithmId="...sha512">hash</prefix:requestHash> right after the
// header's id element, with its prefix and indentation, removing any requestHash the service
// put there (PR-MESS §2.2).
Result<std::string> insert_request_hash(std::string_view xml, std::string_view hash_base64);

// base64 SHA-512 of the request's SOAP part: what requestHash must say.
std::string soap_request_hash(std::string_view soap);

}  // namespace roadside::proxy
