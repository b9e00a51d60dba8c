#include "trust/verifier.h"

#include <algorithm>
#include <memory>

#include "base/bounded_cache.h"
#include "crypto/digest.h"
#include "trust/certificate_profile.h"
#include "trust/errors.h"

namespace roadside::trust {
namespace {

Error incorrect(std::string detail) {
  return Error(make_error_code(errc::incorrect_certificate), std::move(detail));
}
Error cert_invalid(std::string detail) {
  return Error(make_error_code(crypto::errc::cert_validation), std::move(detail));
}

// Obligation 2: the hash chain ties the signed result to the message's parts.
Status check_coverage(const xml::XadesSignature& sig, const SignedMessage& m) {
  if (sig.is_batch()) {
    if (!m.hash_chain_result || !m.hash_chain) {
      return Error(make_error_code(xml::errc::invalid_hash_chain_ref), "a batch signature without its hash chain");
    }
    xml::HashChainCheck hc;
    hc.resolve = m.parts;
    hc.digest = m.part_digests;
    hc.all_inputs = m.part_uris;
    hc.allow_missing_parts = m.allow_missing_parts;
    return xml::verify_hash_chain(*m.hash_chain_result, *m.hash_chain, hc);
  }
  for (const auto& uri : m.part_uris) {
    const bool covered =
        std::any_of(sig.references.begin(), sig.references.end(), [&](const auto& r) { return r.uri == uri; });
    if (!covered) return Error(make_error_code(xml::errc::invalid_signature_value), "part " + uri + " is not signed");
  }
  return {};
}

}  // namespace

Result<IssuerOf> find_issuer(const crypto::Certificate& cert, const globalconf::SharedParameters& trust) {
  const globalconf::ApprovedCa* ca = trust.ca_by_subject(cert.issuer());
  if (!ca) return cert_invalid("the issuer " + cert.issuer() + " of " + cert.subject() + " is not an approved CA");
  if (ca->top.cert.subject() == cert.issuer()) return IssuerOf{ca, &ca->top};
  for (const auto& i : ca->intermediates) {
    if (i.cert.subject() == cert.issuer()) return IssuerOf{ca, &i};
  }
  return cert_invalid("no certificate of CA " + ca->name + " issued " + cert.subject());
}

crypto::OcspCheck ocsp_check_for(const IssuerOf& issuer, const globalconf::SharedParameters& trust,
                                 std::chrono::system_clock::time_point at) {
  crypto::OcspCheck ocsp;
  ocsp.now = at;
  ocsp.freshness = std::chrono::seconds(trust.ocsp_freshness_seconds);
  for (const auto* source : {&issuer.ca->top, issuer.cert}) {
    for (const auto& o : source->ocsp) {
      if (o.cert) ocsp.trusted_responders.push_back(*o.cert);
    }
  }
  return ocsp;
}

Result<CertificateStatus> verify_certificate(const crypto::Certificate& cert,
                                             const std::vector<crypto::Certificate>& extra_intermediates,
                                             const std::vector<std::string>& ocsp_responses,
                                             const globalconf::SharedParameters& trust,
                                             std::chrono::system_clock::time_point at) {
  ROADSIDE_TRY(IssuerOf issuer, find_issuer(cert, trust));
  std::vector<crypto::Certificate> intermediates = extra_intermediates;
  for (const auto& i : issuer.ca->intermediates) intermediates.push_back(i.cert);
  ROADSIDE_TRY_STATUS(crypto::verify_chain(cert, intermediates, {issuer.ca->top.cert}, at));
  if (ocsp_responses.empty()) {
    return Error(make_error_code(crypto::errc::incorrect_validation_info), "no OCSP response for " + cert.subject());
  }
  const crypto::OcspCheck ocsp = ocsp_check_for(issuer, trust, at);
  std::optional<Error> first_error;
  for (const auto& der : ocsp_responses) {
    auto r = crypto::verify_ocsp_response(der, cert, issuer.cert->cert, ocsp);
    if (r.ok()) return CertificateStatus{issuer.ca, issuer.cert, std::move(r).value()};
    if (!first_error) first_error = r.error();
  }
  return *first_error;
}

namespace {

// Obligation 4: the signature value (and every reference digest). A batch signature covers
// the hash chain's result alone, so its outcome depends on the signature and that result.
Status verify_core_of(const xml::XadesSignature& sig, const SignedMessage& m) {
  xml::PartResolver resolve = m.parts;
  if (sig.is_batch()) {
    resolve = [&](std::string_view uri) -> std::optional<std::string> {
      if (uri == "/sig-hashchainresult.xml") return *m.hash_chain_result;
      return std::nullopt;
    };
  }
  return sig.verify_core(resolve, sig.is_batch() ? xml::PartDigester() : m.part_digests);
}

// Obligations 5 and 3, which hold for the signature whatever message it came with.
Result<VerifiedSignature> check_signer(const xml::XadesSignature& sig, const globalconf::SharedParameters& trust,
                                       const SignerCheck& check) {
  // Obligation 5: the signer's certificate, its chain and its OCSP status.
  const crypto::Certificate& signer = sig.signing_cert;
  if (!signer.is_signing_cert()) {
    return incorrect("the signer certificate " + signer.subject() +
                     " is not a signing certificate (no nonRepudiation)");
  }
  ROADSIDE_TRY(CertificateStatus status,
               verify_certificate(signer, sig.extra_certs, sig.ocsp_responses, trust, check.at));
  if (status.ca->authentication_only)
    return cert_invalid("CA " + status.ca->name + " issues authentication certificates only");
  const globalconf::ApprovedCa* ca = status.ca;

  // Obligation 3: the certificate belongs to the member that should have signed.
  ROADSIDE_TRY(XRoadId member, signing_cert_member(signer, ca->certificate_profile_info, check.expected_signer));
  if (member != check.expected_signer.owner_member()) {
    return incorrect("the message is signed by " + member.to_string() + ", not by " +
                     check.expected_signer.owner_member().to_string());
  }
  return VerifiedSignature{std::move(member), ca, status.ocsp};
}

}  // namespace

Result<VerifiedSignature> verify_signed_message(const xml::XadesSignature& sig, const SignedMessage& m,
                                                const globalconf::SharedParameters& trust, const SignerCheck& check) {
  ROADSIDE_TRY_STATUS(check_coverage(sig, m));
  ROADSIDE_TRY_STATUS(verify_core_of(sig, m));
  return check_signer(sig, trust, check);
}

namespace {

// Batch signatures that verified, by a digest of the signature document and
// the hash chain result it signs: every message of a batch carries both, the same, so the
// parse and the XML-DSig check are done once per batch. Each entry holds a parsed document
// (tens of KiB); 16 cover the batches in flight from a few peers (Roadside's signer makes at
// most one a window per key). Entries are forgotten in no order: many peers only cost misses.
using VerifiedBatches = BoundedCache<std::shared_ptr<const xml::XadesSignature>>;
constexpr std::size_t kMaxKeptSignatureBytes = 32 * 1024;
VerifiedBatches& verified_batches() {
  static auto* cache = new VerifiedBatches(16);  // never destroyed: used until exit
  return *cache;
}

class XRoadTrust final : public Trust {
 public:
  Result<VerifiedSignature> verify_message(const std::string& signature, const SignedMessage& message,
                                           const globalconf::SharedParameters& trust,
                                           const SignerCheck& check) const override {
    std::string key;
    if (message.hash_chain_result) {
      key = crypto::sha256(signature) + crypto::sha256(*message.hash_chain_result);
      if (auto sig = verified_batches().find(key)) {
        ROADSIDE_TRY_STATUS(check_coverage(**sig, message));
        return check_signer(**sig, trust, check);
      }
    }
    ROADSIDE_TRY(xml::XadesSignature parsed, xml::XadesSignature::parse(signature));
    ROADSIDE_TRY(VerifiedSignature verified, verify_signed_message(parsed, message, trust, check));
    // Kept only once its signer is trusted (no peer fills the cache with a throwaway key), and
    // only when small: X-Road's batch signatures are a few KiB.
    if (parsed.is_batch() && !key.empty() && signature.size() <= kMaxKeptSignatureBytes) {
      verified_batches().add(std::move(key), std::make_shared<const xml::XadesSignature>(std::move(parsed)));
    }
    return verified;
  }
  Result<CertificateStatus> verify_certificate(const crypto::Certificate& cert,
                                               const std::vector<crypto::Certificate>& extra_intermediates,
                                               const std::vector<std::string>& ocsp_responses,
                                               const globalconf::SharedParameters& trust,
                                               std::chrono::system_clock::time_point at) const override {
    return trust::verify_certificate(cert, extra_intermediates, ocsp_responses, trust, at);
  }
};

}  // namespace

const Trust& Trust::xroad() {
  static const XRoadTrust trust;
  return trust;
}

}  // namespace roadside::trust
