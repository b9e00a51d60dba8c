// The OCSP response X-Road embedded in its own signed messages verifies by X-Road's rules
// against the CA and responder the instance's shared parameters name.
#include <gtest/gtest.h>

#include "globalconf/parameters.h"
#include "messagelog/zip.h"
#include "support/test_support.h"
#include "globalconf/certificate_profile.h"
#include "xml/dom.h"
#include "xml/identifier_xml.h"

namespace roadside::messagelog {
namespace {

using roadside::testing::read_file;

// The first element with this local name, depth-first.
std::optional<xml::Element> find(const xml::Element& e, std::string_view name) {
  if (e.name() == name) return e;
  for (const auto& c : e.children()) {
    if (auto f = find(c, name)) return f;
  }
  return std::nullopt;
}

TEST(AsicVectors, EmbeddedOcspResponsesVerifyByXRoadsRules) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  auto trust = globalconf::SharedParameters::parse(read_file(vectors / "xroad" / "asic" / "trust" / "DEV" / "shared-params.xml"));
  ASSERT_TRUE(trust.ok()) << trust.error().to_string();
  for (const char* name : {"valid-signed-message.asice", "valid-signed-hashchain.asice", "valid-batch-ts.asice"}) {
    SCOPED_TRACE(name);
    auto zip = ZipFile::read(read_file(vectors / "xroad" / "asic" / name));
    ASSERT_TRUE(zip.ok());
    auto doc = xml::Document::parse(zip->find("META-INF/signatures.xml")->data);
    ASSERT_TRUE(doc.ok());
    auto cert_el = find(doc->root(), "X509Certificate");
    auto ocsp_el = find(doc->root(), "EncapsulatedOCSPValue");
    ASSERT_TRUE(cert_el && ocsp_el);
    auto signer = crypto::Certificate::from_der(*crypto::base64_decode(cert_el->text()));
    ASSERT_TRUE(signer.ok());
    const globalconf::ApprovedCa* ca = trust->ca_by_subject(signer->issuer());
    ASSERT_NE(ca, nullptr) << signer->issuer();
    crypto::OcspCheck check;
    check.now = std::chrono::system_clock::now();
    check.freshness = std::chrono::hours(24 * 365 * 30);  // these responses are old; freshness is tested elsewhere
    check.verify_next_update = false;
    for (const auto& o : ca->top.ocsp) {
      if (o.cert) check.trusted_responders.push_back(*o.cert);
    }
    const std::string ocsp = *crypto::base64_decode(ocsp_el->text());
    auto r = crypto::verify_ocsp_response(ocsp, *signer, ca->top.cert, check);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->status, crypto::CertStatus::good);
    // The same response does not vouch for the CA's own certificate.
    EXPECT_FALSE(crypto::verify_ocsp_response(ocsp, ca->top.cert, ca->top.cert, check).ok());
  }
}

std::vector<crypto::Certificate> approved_tsas(const globalconf::SharedParameters& sp) {
  std::vector<crypto::Certificate> out;
  for (const auto& t : sp.approved_tsas) out.push_back(t.cert);
  return out;
}

TEST(AsicVectors, BatchTimestampCoversTsHashChainResult) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  auto trust = globalconf::SharedParameters::parse(read_file(vectors / "xroad" / "asic" / "trust" / "DEV" / "shared-params.xml"));
  ASSERT_TRUE(trust.ok());
  auto zip = ZipFile::read(read_file(vectors / "xroad" / "asic" / "valid-batch-ts.asice"));
  ASSERT_TRUE(zip.ok());
  const ZipEntry* token = zip->find("META-INF/timestamp.tst");
  const ZipEntry* result = zip->find("ts-hashchainresult.xml");
  ASSERT_TRUE(token && result);
  auto info = crypto::verify_timestamp_token(token->data, result->data, approved_tsas(*trust));
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  // Not over the ASiC manifest, whatever ASiC-E suggests.
  EXPECT_FALSE(crypto::verify_timestamp_token(token->data, zip->find("META-INF/ASiCManifest.xml")->data,
                                              approved_tsas(*trust)).ok());
}

TEST(AsicVectors, SignatureTimestampCoversTheRawSignatureValue) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  auto trust = globalconf::SharedParameters::parse(read_file(vectors / "xroad" / "asic" / "trust" / "DEV" / "shared-params.xml"));
  ASSERT_TRUE(trust.ok());
  auto zip = ZipFile::read(read_file(vectors / "xroad" / "asic" / "valid-signed-message.asice"));
  ASSERT_TRUE(zip.ok());
  auto doc = xml::Document::parse(zip->find("META-INF/signatures.xml")->data);
  ASSERT_TRUE(doc.ok());
  auto value = find(doc->root(), "SignatureValue");
  auto stamp = find(doc->root(), "EncapsulatedTimeStamp");
  ASSERT_TRUE(value && stamp);
  const std::string signature = *crypto::base64_decode(value->text());
  auto info = crypto::verify_timestamp_token(*crypto::base64_decode(stamp->text()), signature, approved_tsas(*trust));
  ASSERT_TRUE(info.ok()) << info.error().to_string();
}

TEST(AsicVectors, SignerChainsToTheApprovedCaAndIsTheClientMember) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  auto trust = globalconf::SharedParameters::parse(read_file(vectors / "xroad" / "asic" / "trust" / "DEV" / "shared-params.xml"));
  ASSERT_TRUE(trust.ok());
  auto zip = ZipFile::read(read_file(vectors / "xroad" / "asic" / "valid-signed-message.asice"));
  ASSERT_TRUE(zip.ok());
  auto sig = xml::Document::parse(zip->find("META-INF/signatures.xml")->data);
  auto msg = xml::Document::parse(zip->find("message.xml")->data);
  ASSERT_TRUE(sig.ok() && msg.ok());
  auto signer = crypto::Certificate::from_der(*crypto::base64_decode(find(sig->root(), "X509Certificate")->text()));
  ASSERT_TRUE(signer.ok());
  EXPECT_TRUE(signer->is_signing_cert());

  const globalconf::ApprovedCa* ca = trust->ca_by_subject(signer->issuer());
  ASSERT_NE(ca, nullptr);
  const auto now = std::chrono::system_clock::now();
  EXPECT_TRUE(crypto::verify_chain(*signer, {}, {ca->top.cert}, now).ok());
  auto wrong = crypto::verify_chain(*signer, {}, {trust->approved_tsas[0].cert}, now);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().fault_code(), "cert_validation");

  // Verifier obligation 3: the signer is the member of the request's client.
  auto member = globalconf::signing_cert_member(*signer, ca->certificate_profile_info);
  ASSERT_TRUE(member.ok()) << member.error().to_string();
  auto client = xml::identifier_from_element(*find(msg->root(), "client"));
  ASSERT_TRUE(client.ok()) << client.error().to_string();
  EXPECT_EQ(*member, client->owner_member()) << member->to_string() << " vs " << client->to_string();
}

}  // namespace
}  // namespace roadside::messagelog
