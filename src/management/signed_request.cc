#include "management/signed_request.h"

#include <array>
#include <utility>
#include <vector>

#include "crypto/signature.h"
#include "management/errors.h"
#include "mime/multipart.h"

namespace roadside::management {
namespace {

struct AlgorithmName {
  std::string_view xroad;
  std::string_view uri;
};
constexpr std::array<AlgorithmName, 9> kAlgorithms{{
    {"SHA256withRSA", crypto::kRsaSha256Uri},
    {"SHA384withRSA", crypto::kRsaSha384Uri},
    {"SHA512withRSA", crypto::kRsaSha512Uri},
    {"SHA256withRSAandMGF1", crypto::kRsaPssSha256Uri},
    {"SHA384withRSAandMGF1", crypto::kRsaPssSha384Uri},
    {"SHA512withRSAandMGF1", crypto::kRsaPssSha512Uri},
    {"SHA256withECDSA", crypto::kEcdsaSha256Uri},
    {"SHA384withECDSA", crypto::kEcdsaSha384Uri},
    {"SHA512withECDSA", crypto::kEcdsaSha512Uri},
}};

std::string_view digest_prefix(DigestAlgorithm d) {
  switch (d) {
    case DigestAlgorithm::sha256:
      return "SHA256";
    case DigestAlgorithm::sha384:
      return "SHA384";
    case DigestAlgorithm::sha512:
      return "SHA512";
  }
  return "SHA512";
}

constexpr std::string_view kBinary = "application/octet-stream";
constexpr std::string_view kTextXmlUtf8 = "text/xml; charset=UTF-8";
constexpr std::string_view kSigAlgHeader = "signature-algorithm-id";

// Jetty's MultiPartOutputStream, as X-Road writes management requests.
class MultipartWriter {
 public:
  explicit MultipartWriter(std::string boundary) : boundary_(std::move(boundary)) {}
  void part(std::string_view content_type, std::string_view bytes, std::string_view extra_header = {}) {
    if (in_part_) out_ += "\r\n";
    in_part_ = true;
    out_ += "--" + boundary_ + "\r\nContent-Type: ";
    out_ += content_type;
    out_ += "\r\n";
    if (!extra_header.empty()) {
      out_ += extra_header;
      out_ += "\r\n";
    }
    out_ += "\r\n";
    out_ += bytes;
  }
  HttpBody finish() {
    if (in_part_) out_ += "\r\n";
    out_ += "--" + boundary_ + "--\r\n";
    return {"multipart/related; type=\"application/octet-stream\"; charset=UTF-8; boundary=" + boundary_,
            std::move(out_)};
  }

 private:
  std::string boundary_;
  std::string out_;
  bool in_part_ = false;
};

// "jetty" and 30 letters (MimeUtils.randomBoundary: RandomStringUtils.randomAlphabetic(30)).
std::string boundary(Random& random) {
  static constexpr std::string_view kLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const std::string bytes = random.bytes(30);
  std::string out = "jetty";
  for (char b : bytes) out += kLetters[static_cast<unsigned char>(b) % kLetters.size()];
  return out;
}

Result<SignatureValue> sign_with(const RequestSigner& signer, DigestAlgorithm digest, std::string_view data,
                                 std::string_view whose) {
  auto sig = signer.sign(digest, data);
  if (!sig.ok()) return make_error(errc::cannot_create_signature, std::string(whose) + ": " + sig.error().detail());
  if (!signature_algorithm_uri(sig->algorithm_id)) {
    return make_error(errc::cannot_create_signature,
                      std::string(whose) + ": the signer named an algorithm the management services do not take: " +
                          sig->algorithm_id.substr(0, 60));
  }
  return sig;
}

std::string sig_header(const SignatureValue& s) {
  return std::string(kSigAlgHeader) + ": " + s.algorithm_id;
}

Error invalid_request(std::string detail) {
  return make_error(errc::invalid_request, std::move(detail));
}

}  // namespace

std::optional<std::string_view> signature_algorithm_uri(std::string_view xroad_name) noexcept {
  for (const auto& a : kAlgorithms) {
    if (a.xroad == xroad_name) return a.uri;
  }
  return std::nullopt;
}

Result<SignatureValue> KeySigner::sign(DigestAlgorithm digest, std::string_view data) const {
  const std::string algorithm = std::string(digest_prefix(digest)) + (key_.is_ec_key() ? "withECDSA" : "withRSA");
  const auto uri = signature_algorithm_uri(algorithm);
  ROADSIDE_TRY(std::string bytes, crypto::sign(key_, *uri, data));
  return SignatureValue{algorithm, std::move(bytes)};
}

HttpBody plain_request(std::string soap) {
  return {std::string(kTextXmlUtf8), std::move(soap)};
}

Result<HttpBody> member_signed_request(std::string_view soap, const MemberSigning& member, Random& random,
                                       DigestAlgorithm digest) {
  ROADSIDE_TRY(SignatureValue sig, sign_with(*member.signer, digest, soap, "member signature"));
  MultipartWriter w(boundary(random));
  w.part(kTextXmlUtf8, soap);
  w.part(kBinary, sig.bytes, sig_header(sig));
  w.part(kBinary, member.cert.to_der());
  w.part(kBinary, member.ocsp_der);
  return w.finish();
}

Result<HttpBody> auth_cert_reg_request(std::string_view soap, std::string_view auth_cert_der,
                                       const RequestSigner& auth_signer, const MemberSigning& owner, Random& random,
                                       DigestAlgorithm digest) {
  if (!crypto::Certificate::from_der(auth_cert_der).ok()) {
    return make_error(errc::invalid_argument, "the authentication certificate is not a DER certificate");
  }
  ROADSIDE_TRY(SignatureValue auth_sig, sign_with(auth_signer, digest, soap, "authentication key signature"));
  ROADSIDE_TRY(SignatureValue owner_sig, sign_with(*owner.signer, digest, soap, "owner signature"));
  MultipartWriter w(boundary(random));
  w.part(kTextXmlUtf8, soap);
  w.part(kBinary, auth_sig.bytes, sig_header(auth_sig));
  w.part(kBinary, owner_sig.bytes, sig_header(owner_sig));
  w.part(kBinary, auth_cert_der);
  w.part(kBinary, owner.cert.to_der());
  w.part(kBinary, owner.ocsp_der);
  return w.finish();
}

Result<ReceivedRequest> parse_request(std::string_view content_type, std::string_view body) {
  if (body.size() > kMaxRequestBytes) {
    return invalid_request("the request is larger than " + std::to_string(kMaxRequestBytes) + " bytes");
  }
  const auto ct = mime::HeaderValue::parse(content_type);
  ReceivedRequest out;
  std::vector<mime::Part> attachments;
  if (ct.value == "text/xml") {
    out.soap = std::string(body);
  } else if (ct.value == "multipart/related") {
    const auto b = ct.params.find("boundary");
    if (b == ct.params.end() || b->second.empty()) return invalid_request("multipart/related without a boundary");
    auto parts = mime::parse_multipart(body, b->second, 8);
    if (!parts.ok()) return invalid_request("the multipart body is malformed: " + parts.error().detail());
    const auto soap_type = parts->front().headers.get("Content-Type");
    if (!soap_type || mime::HeaderValue::parse(*soap_type).value != "text/xml") {
      return invalid_request("the first part is not the SOAP message (text/xml)");
    }
    out.soap = std::string(parts->front().body);
    attachments.assign(parts->begin() + 1, parts->end());
  } else {
    return invalid_request("content type \"" + ct.value.substr(0, 60) + "\" is not text/xml or multipart/related");
  }
  ROADSIDE_TRY(out.request, parse_soap_request(out.soap));

  const Signatures kind = signatures_of(out.request.body.type);
  const std::string code(service_code(out.request.body.type));
  // X-Road's decoder callbacks take the parts in this order.
  std::vector<std::pair<std::string_view, bool>> expected;  // {what, is a signature}
  if (kind == Signatures::owner) {
    expected = {{"client signature", true}, {"client certificate", false}, {"client certificate OCSP", false}};
  } else if (kind == Signatures::auth_and_owner) {
    expected = {{"auth signature", true},
                {"owner signature", true},
                {"auth certificate", false},
                {"owner certificate", false},
                {"owner certificate OCSP", false}};
  }
  if (attachments.size() > expected.size()) {
    return invalid_request("unexpected content in multipart while reading request of type " + code);
  }
  if (attachments.size() < expected.size()) {
    return invalid_request(code + ": " + std::string(expected[attachments.size()].first) + " is missing");
  }
  std::vector<std::string> plain;
  std::vector<SignaturePart> signatures;
  for (std::size_t i = 0; i < attachments.size(); ++i) {
    if (!expected[i].second) {
      plain.emplace_back(attachments[i].body);
      continue;
    }
    const auto alg = attachments[i].headers.get(kSigAlgHeader);
    if (!alg)
      return invalid_request(code + ": the " + std::string(expected[i].first) + " has no signature-algorithm-id");
    if (!signature_algorithm_uri(*alg)) {
      return invalid_request(code + ": unknown signature algorithm \"" + alg->substr(0, 60) + "\"");
    }
    signatures.push_back({*alg, std::string(attachments[i].body)});
  }
  if (kind == Signatures::owner) {
    out.owner_signature = std::move(signatures[0]);
    out.signer_cert = std::move(plain[0]);
    out.signer_ocsp = std::move(plain[1]);
  } else if (kind == Signatures::auth_and_owner) {
    out.auth_signature = std::move(signatures[0]);
    out.owner_signature = std::move(signatures[1]);
    out.auth_cert = std::move(plain[0]);
    out.signer_cert = std::move(plain[1]);
    out.signer_ocsp = std::move(plain[2]);
  }
  return out;
}

}  // namespace roadside::management
