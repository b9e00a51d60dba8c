// Verifies a signed X-Road message against the trust the global configuration gives, as
// X-Road's SignatureVerifier does (xroad-protocols.md §3.6, verifier obligations 2-5):
//   - the hash chain, for a batch signature, and that every part of the message is signed;
//   - XML-DSig core validation of the XAdES document;
//   - the signer certificate is a signing certificate of an approved CA, chains to it and
//     has a good OCSP response (one embedded in the signature) at the time of checking;
//   - the certificate profile of that CA maps the certificate to the member expected to
//     sign (the client for a request, the service provider for a response).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/identifiers.h"
#include "crypto/crypto.h"
#include "globalconf/parameters.h"
#include "xml/xades.h"

namespace roadside::trust {

struct SignedMessage {
  // The message's parts by URI: "/message.xml", "/attachment1", ...
  xml::PartResolver parts;
  // Every part the message has, each of which the signature must cover.
  std::vector<std::string> part_uris;
  // For a batch signature: sig-hashchainresult.xml and sig-hashchain.xml as transmitted.
  std::optional<std::string> hash_chain_result;
  std::optional<std::string> hash_chain;
  // A message log may keep a message without its attachments; their digests are then taken
  // from the signature unchecked.
  bool allow_missing_parts = false;
  // When set, the digests of parts by URI and method, in place of `parts` (parts kept in spool
  // files), for the hash chain and for a single message's signature that references them
  // directly (X-Road signs a REST body as its own reference).
  xml::PartDigester part_digests;
};

struct SignerCheck {
  XRoadId expected_signer;                   // a member or subsystem; its member must own the certificate
  std::chrono::system_clock::time_point at;  // when the certificate and OCSP must be valid
};

struct VerifiedSignature {
  XRoadId signer_member;
  const globalconf::ApprovedCa* ca = nullptr;
  crypto::OcspResult ocsp;
};

// The approved CA that issued `cert`, and which of its certificates did.
struct IssuerOf {
  const globalconf::ApprovedCa* ca = nullptr;
  const globalconf::CaCertificate* cert = nullptr;
};
Result<IssuerOf> find_issuer(const crypto::Certificate& cert, const globalconf::SharedParameters& trust);
// X-Road's OCSP rules for certificates of that CA at `at` (freshness, listed responders).
crypto::OcspCheck ocsp_check_for(const IssuerOf& issuer, const globalconf::SharedParameters& trust,
                                 std::chrono::system_clock::time_point at);

struct CertificateStatus {
  const globalconf::ApprovedCa* ca = nullptr;
  const globalconf::CaCertificate* issuer = nullptr;
  crypto::OcspResult ocsp;
};
// A certificate is trusted at `at` when it chains to an approved CA (through the CA's
// intermediates and `extra_intermediates`) and one of `ocsp_responses` says it is good by
// X-Road's rules. Used for signers and for authentication certificates on TLS.
Result<CertificateStatus> verify_certificate(const crypto::Certificate& cert,
                                             const std::vector<crypto::Certificate>& extra_intermediates,
                                             const std::vector<std::string>& ocsp_responses,
                                             const globalconf::SharedParameters& trust,
                                             std::chrono::system_clock::time_point at);

Result<VerifiedSignature> verify_signed_message(const xml::XadesSignature& signature, const SignedMessage& message,
                                                const globalconf::SharedParameters& trust, const SignerCheck& check);

// The checks above as the message path uses them: X-Road's rules (Trust::xroad()), or a fake
// in the proxies' unit tests.
class Trust {
 public:
  virtual ~Trust() = default;
  // A message signed by `signature` (the XAdES document as sent; parsed here).
  virtual Result<VerifiedSignature> verify_message(const std::string& signature, const SignedMessage& message,
                                                   const globalconf::SharedParameters& trust,
                                                   const SignerCheck& check) const = 0;
  // verify_certificate.
  virtual Result<CertificateStatus> verify_certificate(const crypto::Certificate& cert,
                                                       const std::vector<crypto::Certificate>& extra_intermediates,
                                                       const std::vector<std::string>& ocsp_responses,
                                                       const globalconf::SharedParameters& trust,
                                                       std::chrono::system_clock::time_point at) const = 0;

  // X-Road's rules: the functions above.
  static const Trust& xroad();
};

}  // namespace roadside::trust
