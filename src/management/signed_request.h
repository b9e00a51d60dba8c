// A management request as it travels over HTTP: the SOAP part alone (text/xml), or a
// multipart/related body whose parts after the SOAP part carry signatures of the SOAP part's
// bytes, a certificate and an OCSP response (PR-MSERV §2.1, §2.3; X-Road's AuthCertRegRequest
// and GenericClientRequest, MultiPartOutputStream):
//
//   Content-Type: multipart/related; type="application/octet-stream"; charset=UTF-8; boundary=jetty<30 letters>
//
//   --jetty...CRLF Content-Type: text/xml; charset=UTF-8 CRLF CRLF <SOAP> CRLF
//   --jetty...CRLF Content-Type: application/octet-stream CRLF signature-algorithm-id: SHA512withRSA CRLF CRLF
//   <signature> CRLF
//   ... (authCertReg: the owner's signature part next, then the auth certificate)
//   --jetty...CRLF Content-Type: application/octet-stream CRLF CRLF <signing certificate, DER> CRLF
//   --jetty...CRLF Content-Type: application/octet-stream CRLF CRLF <its OCSP response, DER> CRLF
//   --jetty...--CRLF
//
// A signature is over the SOAP part's bytes exactly (X-Road hashes them with the configured
// digest, SHA-512 by default, and the signer signs that digest), named by X-Road's Java
// algorithm names; ECDSA signatures are DER (Signatures.useAsn1DerFormat).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/random.h"
#include "base/result.h"
#include "crypto/certificate.h"
#include "crypto/keys.h"
#include "management/messages.h"

namespace roadside::management {

// X-Road's authCertRegSignatureDigestAlgorithmId (SHA-512 unless configured otherwise).
enum class DigestAlgorithm { sha256, sha384, sha512 };

struct SignatureValue {
  std::string algorithm_id;  // X-Road's name: "SHA512withRSA", "SHA256withRSAandMGF1", "SHA512withECDSA"
  std::string bytes;         // PKCS#1 v1.5 or PSS for RSA, DER ECDSA-Sig-Value for EC
};

// The XML-DSig URI (crypto/signature.h) of an X-Road signature algorithm name, or
// std::nullopt for a name the management services do not take.
std::optional<std::string_view> signature_algorithm_uri(std::string_view xroad_name) noexcept;

// Signs for a management request: a software-token key (KeySigner), or a test's fake.
class RequestSigner {
 public:
  virtual ~RequestSigner() = default;
  // A signature of `data` using `digest`. A signer that signs digests (a PKCS#11 token, the
  // batch signer) signs digest(data); `data` is small (a management request's SOAP part).
  // Errors are the signer's; callers report them as errc::cannot_create_signature.
  virtual Result<SignatureValue> sign(DigestAlgorithm digest, std::string_view data) const = 0;
};

// A private key in memory: RSA keys sign SHA<n>withRSA (PKCS#1 v1.5, as X-Road's software
// token's mechanism CKM_RSA_PKCS), EC keys SHA<n>withECDSA.
class KeySigner final : public RequestSigner {
 public:
  explicit KeySigner(crypto::PrivateKey key) : key_(std::move(key)) {}
  Result<SignatureValue> sign(DigestAlgorithm digest, std::string_view data) const override;

 private:
  crypto::PrivateKey key_;
};

// The member signature's material: the signer, its signing certificate and a fresh OCSP
// response for that certificate (DER), as X-Road's signer's MemberSigningInfo gives them.
struct MemberSigning {
  const RequestSigner* signer = nullptr;  // REQUIRES: not null, outlives the call
  crypto::Certificate cert;
  std::string ocsp_der;
};

// An HTTP request body and its Content-Type.
struct HttpBody {
  std::string content_type;
  std::string body;
};

// clientDeletion, authCertDeletion: the SOAP part as it is, text/xml; charset=UTF-8.
HttpBody plain_request(std::string soap);

// The requests signed by a member (Signatures::owner): SOAP part, signature, certificate,
// OCSP. The boundary is "jetty" and 30 random letters from `random`.
// Errors: errc::cannot_create_signature (the signer failed).
Result<HttpBody> member_signed_request(std::string_view soap, const MemberSigning& member,
                                       Random& random = Random::system(),
                                       DigestAlgorithm digest = DigestAlgorithm::sha512);

// authCertReg: SOAP part, the auth key's signature, the owner's signature, the auth
// certificate (`auth_cert_der`, the one in the body), the owner's signing certificate, its OCSP.
// Errors: errc::invalid_argument (`auth_cert_der` is not a certificate), errc::cannot_create_signature.
Result<HttpBody> auth_cert_reg_request(std::string_view soap, std::string_view auth_cert_der,
                                       const RequestSigner& auth_signer, const MemberSigning& owner,
                                       Random& random = Random::system(),
                                       DigestAlgorithm digest = DigestAlgorithm::sha512);

// A received request split into its parts and read, not yet verified (verify.h does that).
struct SignaturePart {
  std::string algorithm_id;  // the part's signature-algorithm-id header
  std::string bytes;
};
struct ReceivedRequest {
  std::string soap;  // the SOAP part's bytes as received: what the signatures cover
  SoapRequest request;
  std::optional<SignaturePart> auth_signature;   // authCertReg
  std::optional<SignaturePart> owner_signature;  // every signed type
  std::optional<std::string> auth_cert;          // authCertReg: the auth certificate part (DER)
  std::optional<std::string> signer_cert;        // the member's signing certificate part (DER)
  std::optional<std::string> signer_ocsp;        // its OCSP response part (DER)
};

// A received HTTP body must be at most this large.
inline constexpr std::size_t kMaxRequestBytes = 4 * 1024 * 1024;

// Reads a management request from an HTTP body: text/xml for the unsigned types,
// multipart/related with the parts its type needs, in X-Road's order, for the others (the
// SOAP part's Content-Type text/xml, each signature part with a signature-algorithm-id header
// naming an algorithm the services take). Nothing is verified here but form.
// Errors: errc::invalid_request (wrong content type, missing or extra parts, an unknown
// signature algorithm, and parse_soap_request's), errc::invalid_client_identifier.
Result<ReceivedRequest> parse_request(std::string_view content_type, std::string_view body);

}  // namespace roadside::management
