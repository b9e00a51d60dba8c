#include "globalconf/signature_verifier.h"

#include <algorithm>

#include "globalconf/certificate_profile.h"
#include "globalconf/directory.h"

namespace roadside::globalconf {
namespace {

Error incorrect(std::string detail) { return Error(make_error_code(errc::incorrect_certificate), std::move(detail)); }
Error cert_invalid(std::string detail) { return Error(make_error_code(crypto::errc::cert_validation), std::move(detail)); }

// Obligation 2: the hash chain ties the signed result to the message's parts.
Status check_coverage(const xml::XadesSignature& sig, const SignedMessage& m) {
  if (sig.is_batch()) {
    if (!m.hash_chain_result || !m.hash_chain) {
      return Error(make_error_code(xml::errc::invalid_hash_chain_ref), "a batch signature without its hash chain");
    }
    xml::HashChainCheck hc;
    hc.resolve = m.parts;
    hc.all_inputs = m.part_uris;
    hc.allow_missing_parts = m.allow_missing_parts;
    return xml::verify_hash_chain(*m.hash_chain_result, *m.hash_chain, hc);
  }
  for (const auto& uri : m.part_uris) {
    const bool covered = std::any_of(sig.references.begin(), sig.references.end(), [&](const auto& r) { return r.uri == uri; });
    if (!covered) return Error(make_error_code(xml::errc::invalid_signature_value), "part " + uri + " is not signed");
  }
  return {};
}

// The certificate that issued `cert` among the CA's top and intermediate certificates.
const CaCertificate* issuer_of(const ApprovedCa& ca, const crypto::Certificate& cert) {
  if (ca.top.cert.subject() == cert.issuer()) return &ca.top;
  for (const auto& i : ca.intermediates) {
    if (i.cert.subject() == cert.issuer()) return &i;
  }
  return nullptr;
}

}  // namespace

Result<VerifiedSignature> verify_signed_message(const xml::XadesSignature& sig, const SignedMessage& m,
                                                const SharedParameters& trust, const SignerCheck& check) {
  ROADSIDE_TRY_STATUS(check_coverage(sig, m));
  xml::PartResolver resolve = m.parts;
  if (sig.is_batch()) {
    resolve = [&](std::string_view uri) -> std::optional<std::string> {
      if (uri == "/sig-hashchainresult.xml") return *m.hash_chain_result;
      return std::nullopt;
    };
  }
  // Obligation 4: the signature value (and every reference digest).
  ROADSIDE_TRY_STATUS(sig.verify_core(resolve));

  // Obligation 5: the signer's certificate, its chain and its OCSP status.
  const crypto::Certificate& signer = sig.signing_cert;
  if (!signer.is_signing_cert()) {
    return incorrect("the signer certificate " + signer.subject() + " is not a signing certificate (no nonRepudiation)");
  }
  const ApprovedCa* ca = trust.ca_by_subject(signer.issuer());
  if (!ca) return cert_invalid("the signer certificate's issuer " + signer.issuer() + " is not an approved CA");
  if (ca->authentication_only) return cert_invalid("CA " + ca->name + " issues authentication certificates only");
  const CaCertificate* issuer = issuer_of(*ca, signer);
  if (!issuer) return cert_invalid("no certificate of CA " + ca->name + " issued " + signer.subject());
  std::vector<crypto::Certificate> intermediates = sig.extra_certs;
  for (const auto& i : ca->intermediates) intermediates.push_back(i.cert);
  ROADSIDE_TRY_STATUS(crypto::verify_chain(signer, intermediates, {ca->top.cert}, check.at));

  crypto::OcspCheck ocsp;
  ocsp.now = check.at;
  ocsp.freshness = std::chrono::seconds(trust.ocsp_freshness_seconds);
  for (const auto* source : {&ca->top, issuer}) {
    for (const auto& o : source->ocsp) {
      if (o.cert) ocsp.trusted_responders.push_back(*o.cert);
    }
  }
  if (sig.ocsp_responses.empty()) {
    return Error(make_error_code(crypto::errc::incorrect_validation_info), "the signature carries no OCSP response");
  }
  std::optional<Error> first_error;
  std::optional<crypto::OcspResult> status;
  for (const auto& der : sig.ocsp_responses) {
    auto r = crypto::verify_ocsp_response(der, signer, issuer->cert, ocsp);
    if (r.ok()) {
      status = std::move(r).value();
      break;
    }
    if (!first_error) first_error = r.error();
  }
  if (!status) return *first_error;

  // Obligation 3: the certificate belongs to the member that should have signed.
  ROADSIDE_TRY(XRoadId member, signing_cert_member(signer, ca->certificate_profile_info));
  if (member != check.expected_signer.owner_member()) {
    return incorrect("the message is signed by " + member.to_string() + ", not by " +
                     check.expected_signer.owner_member().to_string());
  }
  return VerifiedSignature{std::move(member), ca, *status};
}

}  // namespace roadside::globalconf
