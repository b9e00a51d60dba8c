// ASiC-E containers as X-Road's message log writes them (xroad-protocols.md §7): a zip with
// the comment "mimetype=application/vnd.etsi.asic-e+zip", every entry deflated, in this order:
//   mimetype, message.xml, META-INF/signatures.xml, sig-hashchainresult.xml?, sig-hashchain.xml?,
//   ts-hashchainresult.xml?, ts-hashchain.xml?, META-INF/manifest.xml,
//   META-INF/ASiCManifest.xml? + META-INF/timestamp.tst? (batch time-stamp), attachment1..N.
// verify_asic() checks one as X-Road's asicverifier does: the signature (hash chain, XAdES,
// signer certificate, OCSP, signer identity) and the time-stamp.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/identifiers.h"
#include "crypto/crypto.h"
#include "globalconf/parameters.h"
#include "messagelog/zip.h"

namespace roadside::messagelog {

inline constexpr std::string_view kAsicMimeType = "application/vnd.etsi.asic-e+zip";

struct AsicParts {
  std::string message;                   // message.xml: the SOAP message or REST header part
  std::vector<std::string> attachments;  // attachment1..N (SOAP attachments, or the REST body)
  std::string signature;                 // META-INF/signatures.xml
  std::optional<std::string> sig_hash_chain_result, sig_hash_chain;  // batch signature
  std::optional<std::string> ts_hash_chain_result, ts_hash_chain;    // batch time-stamp
  std::optional<std::string> timestamp;                              // DER token of a batch time-stamp
};

struct AsicContainer {
  AsicParts parts;
  // Every entry's time (X-Road's creation time: the record's), so a container written again
  // is the same bytes; none: the time of writing.
  std::optional<std::chrono::system_clock::time_point> time{};

  // Reads a container; errc::malformed names what is missing or wrong.
  static Result<AsicContainer> read(std::string_view zip_bytes);
  // Writes it as X-Road does.
  Result<std::string> write() const;
};

// Who the message names as its signer: the client for a request, the service provider for
// a response. Understands SOAP messages and REST header parts.
struct MessageRoute {
  bool request = true;
  XRoadId client;
  std::optional<XRoadId> service;
  XRoadId signer() const;
};
Result<MessageRoute> message_route(std::string_view message);

struct AsicVerification {
  MessageRoute route;
  XRoadId signer_member;
  std::string signer_subject;
  std::string signer_serial;  // hex: the signing certificate's serial number
  std::chrono::system_clock::time_point signing_time;
  enum class Timestamp { none, signature, batch } timestamp = Timestamp::none;
  std::optional<std::chrono::system_clock::time_point> timestamp_time;
  std::string tsa_subject;
  crypto::OcspResult ocsp;
  bool batch_signature = false;
};

// Verifies a container against the trust of an instance's shared parameters. The signer's
// certificate and OCSP response are checked at the time-stamp's time, or at the signing time
// when the container is not time-stamped (yet).
Result<AsicVerification> verify_asic(const AsicContainer& container, const globalconf::SharedParameters& trust);

}  // namespace roadside::messagelog
