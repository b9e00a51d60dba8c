// X-Road's message signatures: XAdES documents of the "high performance" profile
// (xroad-protocols.md §3.6). One ds:Signature, either inside asic:XAdESSignatures (what
// X-Road writes) or as the root (the multi-reference form X-Road 7.6+ also accepts).
// Its data references name parts by URI ("/message.xml", "/attachment1",
// "/sig-hashchainresult.xml"); one more reference covers the SignedProperties.
//
// Parsing checks the profile's structure (the part of verifier obligation 1 that matters)
// and extracts what the later checks need; verify_core() does XML-DSig core validation for
// this profile (libxml2's canonicalizer, OpenSSL's digests and signatures), which never reads
// a file or the network: every data reference resolves through the caller's PartResolver or
// PartDigester. build_xades() writes a document as X-Road's SignatureXmlBuilder does.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/crypto.h"
#include "xml/errors.h"
#include "xml/hashchain.h"

namespace roadside::xml {

inline constexpr std::string_view kDsNs = "http://www.w3.org/2000/09/xmldsig#";
inline constexpr std::string_view kXadesNs = "http://uri.etsi.org/01903/v1.3.2#";
inline constexpr std::string_view kAsicNs = "http://uri.etsi.org/02918/v1.2.1#";
inline constexpr std::string_view kAsicNsOld = "http://uri.etsi.org/02918/v1.1.1#";
inline constexpr std::string_view kC14n10Uri = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
inline constexpr std::string_view kExcC14nUri = "http://www.w3.org/2001/10/xml-exc-c14n#";
inline constexpr std::string_view kSignedPropertiesType = "http://uri.etsi.org/01903#SignedProperties";
inline constexpr std::string_view kSignaturePolicyId = "urn:oid:1.3.6.1.4.1.3516.16.2";
inline constexpr std::size_t kMaxSignatureBytes = 8 * 1024 * 1024;
inline constexpr std::size_t kMaxReferences = 1000;

// A canonicalization method: inclusive C14N 1.0 or exclusive C14N (with the prefixes its
// InclusiveNamespaces lists), both without comments.
struct XadesC14n {
  bool exclusive = false;
  std::vector<std::string> inclusive_prefixes;
};

struct XadesReference {
  std::string id;             // may be empty
  std::string uri;            // "/message.xml", "/attachment1", "/sig-hashchainresult.xml"
  std::string digest_method;  // URI
  std::string digest;         // raw bytes
};

class XadesSignature {
 public:
  // Parses and checks the structure. errc::malformed_signature names what is wrong.
  static Result<XadesSignature> parse(std::string_view xml);

  std::string signature_method;  // URI
  std::string canonicalization_method;
  std::vector<XadesReference> references;  // the data references, in document order
  std::string signature_value;             // raw bytes (r || s for ECDSA)
  crypto::Certificate signing_cert;        // from KeyInfo
  std::chrono::system_clock::time_point signing_time;
  std::string cert_digest_method;  // SigningCertificate(V2)/Cert/CertDigest
  std::string cert_digest;
  std::vector<crypto::Certificate> extra_certs;  // CertificateValues: intermediate CAs
  std::vector<std::string> ocsp_responses;       // DER OCSPResponse values
  std::optional<std::string> signature_timestamp;  // DER TimeStampToken, when time-stamped alone
  std::string data_mime_type;                      // of the first data reference

  // The single reference to a hash-chain result, if this is a batch signature.
  bool is_batch() const { return references.size() == 1 && references.front().uri == "/sig-hashchainresult.xml"; }

  // XML-DSig core validation: the signature value over the canonical SignedInfo with the
  // KeyInfo certificate's key, then every reference's digest. A data reference's digest comes
  // from `digest` when set (a body in a spool file is read there, once), else from the bytes
  // `resolve` gives. errc::invalid_signature_value when something does not verify.
  Status verify_core(const PartResolver& resolve, const PartDigester& digest = {}) const;

 private:
  friend Result<std::string> add_signature_timestamp(std::string_view xml, std::string_view token_der);
  explicit XadesSignature(crypto::Certificate cert) : signing_cert(std::move(cert)) {}
  std::shared_ptr<void> doc_;  // xmlDoc*
  void* signature_node_ = nullptr;
  void* signed_info_node_ = nullptr;
  void* signed_properties_node_ = nullptr;
  XadesC14n signed_info_c14n_;
  XadesReference signed_properties_reference_;  // "#id", its digest method and value
  XadesC14n signed_properties_c14n_;
};

// Signs with a token's key: returns the raw XML-DSig signature value over `data`.
using XmlSigner = std::function<Result<std::string>(std::string_view data)>;

struct XadesSpec {
  std::string signature_method = std::string(crypto::kRsaSha512Uri);
  std::string digest_method = std::string(crypto::kSha512Uri);
  // One reference ("/message.xml" or "/sig-hashchainresult.xml"), or several for the
  // multi-reference form; each with the digest of the part's bytes by digest_method.
  std::vector<XadesReference> references;
  std::string mime_type = "text/xml";  // "application/hash-chain-result" for a batch signature
  std::vector<crypto::Certificate> extra_certs;  // intermediate CAs, if any
  std::vector<std::string> ocsp_responses;       // DER, for the signing cert then intermediates
  std::chrono::system_clock::time_point signing_time;
};

// Builds and signs a signature document as X-Road does: asic:XAdESSignatures around one
// ds:Signature Id="signature", inclusive C14N 1.0, the signature policy block, the signing
// certificate's digest, the OCSP responses as unsigned properties.
Result<std::string> build_xades(const XadesSpec& spec, const crypto::Certificate& signing_cert, const XmlSigner& signer);

// Adds a time-stamp of the signature (a token over the raw SignatureValue bytes) to a
// document build_xades made; unsigned, so the signature stays valid.
Result<std::string> add_signature_timestamp(std::string_view xml, std::string_view token_der);

}  // namespace roadside::xml
