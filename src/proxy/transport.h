// The message transport protocol between Security Servers (xroad-protocols.md §3.3-3.4): a
// multipart/mixed body whose parts are, in order,
//   application/ocsp-response *       (requests) OCSP responses for the sender's auth certificate
//   the message                       application/x-road-rest-request | -response (REST), text/xml (SOAP)
//   application/x-road-rest-body ?    (REST) the body
//   multipart/mixed ?                 (SOAP) the attachments, each with its own MIME headers
//   application/hash-chain-result, application/hash-chain ?   (batch signatures)
//   signature/bdoc-1.0/ts             the XAdES signature -- or a text/xml SOAP fault instead
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/payload.h"
#include "proxy/errors.h"
#include "proxy/soap.h"
#include "signer/message_signer.h"
#include "trust/verifier.h"

namespace roadside::proxy {

inline constexpr std::string_view kOcspResponseType = "application/ocsp-response";
inline constexpr std::string_view kRestRequestType = "application/x-road-rest-request";
inline constexpr std::string_view kRestResponseType = "application/x-road-rest-response";
inline constexpr std::string_view kRestBodyType = "application/x-road-rest-body";
inline constexpr std::string_view kHashChainResultType = "application/hash-chain-result";
inline constexpr std::string_view kHashChainType = "application/hash-chain";
inline constexpr std::string_view kSignatureType = "signature/bdoc-1.0/ts";
inline constexpr std::string_view kHashAlgorithmHeader = "x-hash-algorithm";

struct TransportMessage {
  std::vector<std::string> ocsp_responses;  // DER
  std::string message_type;                 // Content-Type of the message part
  HeaderList message_headers;               // its other MIME headers (a SOAP part's Content-ID), not signed
  std::string message;                      // the message part's bytes (what /message.xml names)
  std::optional<net::Payload> body;         // REST body (/attachment1), in memory or spooled
  std::vector<Attachment> attachments;      // SOAP attachments (/attachment1..N), in a nested multipart, in memory or spooled
  signer::SignedMessageParts signature;
  std::optional<Fault> fault;  // a fault sent in place of the signature

  // The bytes of a signed part by URI, for the signature verifier (none for a spooled body or
  // attachment).
  std::optional<std::string> part(std::string_view uri) const;
  // The digest of a part by URI and digest method, a spooled body or attachment read in pieces.
  std::optional<Result<std::string>> part_digest(std::string_view uri, std::string_view method) const;
  std::vector<std::string> part_uris() const;
  // The message as the signature verifier takes it: parts and digests, batch or
  // single signature alike. Valid while this message lives.
  trust::SignedMessage signed_message() const;
  // The SHA-512 digests of attachment1..N (the REST body or the SOAP attachments), for the signer.
  Result<std::vector<std::string>> attachment_digests() const;
  // The REST body's digest by method, computed once (a spooled body is read from disk for it).
  Result<std::string> body_digest(std::string_view method) const;

 private:
  // The REST body or SOAP attachment a URI names (/attachment1..N), or null.
  const net::Payload* payload_of(std::string_view uri) const;
  mutable std::vector<std::pair<std::string, std::string>> body_digests_;  // (method, digest)
};

// The digest of a payload by digest method URI, reading a spooled one in pieces.
Result<std::string> payload_digest(const net::Payload& p, std::string_view method);

// The media type of a Content-Type value, lower case, without parameters.
std::string mime_type_of(std::string_view content_type);

// "multipart/mixed; charset=UTF-8; boundary=xtop<random>" and the body, as pieces to send in
// order (a REST body or SOAP attachment that is spooled, sent from its file, or of 4 KiB or
// more, whose bytes are shared, not copied, is a piece of its own).
struct EncodedMessage {
  std::string content_type;
  std::vector<net::Payload> pieces;
  // The whole body in memory (tests; messages without spooled parts).
  std::string joined() const;
};
EncodedMessage encode_transport(const TransportMessage& m);

// errc::invalid_message (or invalid_content_type) naming what is wrong.
Result<TransportMessage> decode_transport(std::string_view content_type, std::string_view body);
// The same from a payload that may be spooled: the REST body and the SOAP attachments stay
// where they are (slices of the payload); the other parts, which must be parsed, are read
// into memory when no larger than `max_in_memory_part` (errc::invalid_message beyond).
Result<TransportMessage> decode_transport(std::string_view content_type, const net::Payload& body,
                                          std::uint64_t max_in_memory_part);

}  // namespace roadside::proxy
