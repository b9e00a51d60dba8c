// X-Road's own signed messages (vectors/xroad/asic) against the trust their instance's
// shared parameters give: the embedded OCSP responses, the time-stamps, the signer's chain
// and identity, and verify_asic as a whole.
#include <gtest/gtest.h>

#include "globalconf/parameters.h"
#include "messagelog/asic.h"
#include "messagelog/zip.h"
#include "support/test_support.h"
#include "trust/certificate_profile.h"
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

// One container, opened: its zip entries and its parsed signature document.
struct Container {
  ZipFile zip;
  xml::Document signatures;

  std::string entry(std::string_view name) const { return zip.find(name)->data; }
  // The base64 content of the first element with this name in the signature document, decoded.
  std::string decoded(std::string_view element) const {
    return *crypto::base64_decode(find(signatures.root(), element)->text());
  }
  crypto::Certificate signer() const { return *crypto::Certificate::from_der(decoded("X509Certificate")); }
};

class AsicVectors : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = roadside::testing::vectors_dir();
    if (!v) GTEST_SKIP() << "X-Road test vectors not found (set ROADSIDE_VECTORS_DIR)";
    asic_ = *v / "xroad" / "asic";
    auto trust = globalconf::SharedParameters::parse(read_file(asic_ / "trust" / "DEV" / "shared-params.xml"));
    ASSERT_TRUE(trust.ok()) << trust.error().to_string();
    trust_ = std::move(trust).value();
    for (const auto& t : trust_->approved_tsas) tsas_.push_back(t.cert);
  }

  Container open(const char* name) const {
    auto zip = ZipFile::read(read_file(asic_ / name));
    EXPECT_TRUE(zip.ok()) << name;
    auto doc = xml::Document::parse(zip->find("META-INF/signatures.xml")->data);
    EXPECT_TRUE(doc.ok()) << name;
    return Container{std::move(zip).value(), std::move(doc).value()};
  }

  // verify_asic on one of the containers.
  Result<AsicVerification> verify(const std::string& name) const {
    auto c = AsicContainer::read(read_file(asic_ / name));
    if (!c.ok()) return c.error();
    return verify_asic(*c, *trust_);
  }

  std::filesystem::path asic_;
  std::optional<globalconf::SharedParameters> trust_;
  std::vector<crypto::Certificate> tsas_;
};

TEST_F(AsicVectors, EmbeddedOcspResponsesVerifyByXRoadsRules) {
  for (const char* name : {"valid-signed-message.asice", "valid-signed-hashchain.asice", "valid-batch-ts.asice"}) {
    SCOPED_TRACE(name);
    const Container c = open(name);
    const crypto::Certificate signer = c.signer();
    const globalconf::ApprovedCa* ca = trust_->ca_by_subject(signer.issuer());
    ASSERT_NE(ca, nullptr) << signer.issuer();
    crypto::OcspCheck check;
    check.now = std::chrono::system_clock::now();
    check.freshness = std::chrono::hours(24 * 365 * 30);  // these responses are old; freshness is tested elsewhere
    check.verify_next_update = false;
    for (const auto& o : ca->top.ocsp) {
      if (o.cert) check.trusted_responders.push_back(*o.cert);
    }
    const std::string ocsp = c.decoded("EncapsulatedOCSPValue");
    auto r = crypto::verify_ocsp_response(ocsp, signer, ca->top.cert, check);
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->status, crypto::CertStatus::good);
    // The same response does not vouch for the CA's own certificate.
    EXPECT_FALSE(crypto::verify_ocsp_response(ocsp, ca->top.cert, ca->top.cert, check).ok());
  }
}

TEST_F(AsicVectors, BatchTimestampCoversTsHashChainResult) {
  const Container c = open("valid-batch-ts.asice");
  const std::string token = c.entry("META-INF/timestamp.tst");
  auto info = crypto::verify_timestamp_token(token, c.entry("ts-hashchainresult.xml"), tsas_);
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  // Not over the ASiC manifest, whatever ASiC-E suggests.
  EXPECT_FALSE(crypto::verify_timestamp_token(token, c.entry("META-INF/ASiCManifest.xml"), tsas_).ok());
}

TEST_F(AsicVectors, SignatureTimestampCoversTheRawSignatureValue) {
  const Container c = open("valid-signed-message.asice");
  auto info = crypto::verify_timestamp_token(c.decoded("EncapsulatedTimeStamp"), c.decoded("SignatureValue"), tsas_);
  ASSERT_TRUE(info.ok()) << info.error().to_string();
}

TEST_F(AsicVectors, SignerChainsToTheApprovedCaAndIsTheClientMember) {
  const Container c = open("valid-signed-message.asice");
  const crypto::Certificate signer = c.signer();
  EXPECT_TRUE(signer.is_signing_cert());

  const globalconf::ApprovedCa* ca = trust_->ca_by_subject(signer.issuer());
  ASSERT_NE(ca, nullptr);
  const auto now = std::chrono::system_clock::now();
  EXPECT_TRUE(crypto::verify_chain(signer, {}, {ca->top.cert}, now).ok());
  auto wrong = crypto::verify_chain(signer, {}, {trust_->approved_tsas[0].cert}, now);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().fault_code(), "cert_validation");

  // Verifier obligation 3: the signer is the member of the request's client.
  auto message = xml::Document::parse(c.entry("message.xml"));
  ASSERT_TRUE(message.ok());
  auto client = xml::identifier_from_element(*find(message->root(), "client"));
  ASSERT_TRUE(client.ok()) << client.error().to_string();
  auto member = trust::signing_cert_member(signer, ca->certificate_profile_info, *client);
  ASSERT_TRUE(member.ok()) << member.error().to_string();
  EXPECT_EQ(*member, client->owner_member()) << member->to_string() << " vs " << client->to_string();
}

// ---- verify_asic: what X-Road accepts passes, what it rejects fails with its code -------

TEST_F(AsicVectors, XRoadsValidContainersVerify) {
  auto single = verify("valid-signed-message.asice");
  ASSERT_TRUE(single.ok()) << single.error().to_string();
  EXPECT_EQ(single->timestamp, AsicVerification::Timestamp::signature);
  EXPECT_FALSE(single->batch_signature);
  EXPECT_TRUE(single->route.request);
  EXPECT_EQ(single->signer_member.to_string(), "MEMBER:DEV/COM/4321");
  EXPECT_EQ(single->ocsp.status, crypto::CertStatus::good);

  auto chained = verify("valid-signed-hashchain.asice");
  ASSERT_TRUE(chained.ok()) << chained.error().to_string();
  EXPECT_TRUE(chained->batch_signature);

  auto batch_ts = verify("valid-batch-ts.asice");
  ASSERT_TRUE(batch_ts.ok()) << batch_ts.error().to_string();
  EXPECT_EQ(batch_ts->timestamp, AsicVerification::Timestamp::batch);
}

TEST_F(AsicVectors, XRoadsInvalidContainersFailWithXRoadsCodes) {
  auto wrong = verify("wrong-message.asice");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().fault_code(), "invalid_signature_value") << wrong.error().to_string();

  auto chain = verify("invalid-signed-hashchain.asice");
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.error().fault_code(), "malformed_signature.invalid_hash_chain_ref") << chain.error().to_string();
}

TEST_F(AsicVectors, ReadWriteKeepsXRoadsLayout) {
  auto c = AsicContainer::read(read_file(asic_ / "valid-batch-ts.asice"));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  auto bytes = c->write();
  ASSERT_TRUE(bytes.ok());
  auto zip = ZipFile::read(*bytes);
  ASSERT_TRUE(zip.ok());
  std::vector<std::string> names;
  for (const auto& e : zip->entries) {
    names.push_back(e.name);
    EXPECT_TRUE(e.deflated) << e.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"mimetype", "message.xml", "META-INF/signatures.xml",
                                             "ts-hashchainresult.xml", "ts-hashchain.xml", "META-INF/manifest.xml",
                                             "META-INF/ASiCManifest.xml", "META-INF/timestamp.tst"}));
  EXPECT_EQ(zip->comment, "mimetype=application/vnd.etsi.asic-e+zip");
  // The rewritten container still verifies, and its ASiC manifest says what X-Road's does.
  auto again = AsicContainer::read(*bytes);
  ASSERT_TRUE(again.ok());
  auto v = verify_asic(*again, *trust_);
  EXPECT_TRUE(v.ok()) << v.error().to_string();
  auto original = ZipFile::read(read_file(asic_ / "valid-batch-ts.asice"));
  EXPECT_EQ(zip->find("META-INF/ASiCManifest.xml")->data, original->find("META-INF/ASiCManifest.xml")->data);
}

TEST_F(AsicVectors, MessageRouteReadsSoapAndRest) {
  auto v = roadside::testing::vectors_dir();
  auto rest = message_route(read_file(*v / "xroad" / "signatures" / "non-batch-rest-request" / "message.xml"));
  ASSERT_TRUE(rest.ok()) << rest.error().to_string();
  EXPECT_TRUE(rest->request);
  EXPECT_EQ(rest->client.to_string(), "SUBSYSTEM:DEV/COM/4321/TestClient");
  EXPECT_EQ(rest->signer().to_string(), "SUBSYSTEM:DEV/COM/4321/TestClient");

  auto response = message_route(
      "200\r\nOK\r\nContent-Type:application/json\r\nx-road-client:DEV/COM/4321/TestClient\r\n"
      "x-road-service:DEV/COM/1234/TestService/mock1\r\n");
  ASSERT_TRUE(response.ok()) << response.error().to_string();
  EXPECT_FALSE(response->request);
  EXPECT_EQ(response->signer().to_string(), "MEMBER:DEV/COM/1234");

  EXPECT_FALSE(message_route("").ok());
  EXPECT_FALSE(message_route("<a/>").ok());
  EXPECT_FALSE(message_route("GET\r\n/r1/x\r\n").ok());
}

TEST_F(AsicVectors, NotAContainer) {
  auto r = AsicContainer::read("PK not really");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().fault_code(), AsicContainer::read("").error().fault_code());
  ZipFile z;
  z.entries.push_back({"mimetype", "text/plain", true});
  auto bytes = z.write();
  auto wrong = AsicContainer::read(*bytes);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().detail().find("mimetype"), std::string::npos);
}

}  // namespace
}  // namespace roadside::messagelog
