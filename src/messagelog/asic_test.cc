// verify_asic on X-Road's own containers: what X-Road accepts passes, what it rejects fails
// with X-Road's error code.
#include "messagelog/asic.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace roadside::messagelog {
namespace {

using roadside::testing::read_file;

class AsicVerify : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = roadside::testing::vectors_dir();
    if (!v) GTEST_SKIP() << "X-Road test vectors not found (set ROADSIDE_VECTORS_DIR)";
    asic_ = *v / "xroad" / "asic";
    auto trust = globalconf::SharedParameters::parse(read_file(asic_ / "trust" / "DEV" / "shared-params.xml"));
    ASSERT_TRUE(trust.ok()) << trust.error().to_string();
    trust_ = std::move(trust).value();
  }
  Result<AsicVerification> verify(const std::string& name) {
    auto c = AsicContainer::read(read_file(asic_ / name));
    if (!c.ok()) return c.error();
    return verify_asic(*c, *trust_);
  }
  std::filesystem::path asic_;
  std::optional<globalconf::SharedParameters> trust_;
};

TEST_F(AsicVerify, XRoadsValidContainersVerify) {
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

TEST_F(AsicVerify, XRoadsInvalidContainersFailWithXRoadsCodes) {
  auto wrong = verify("wrong-message.asice");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().fault_code(), "invalid_signature_value") << wrong.error().to_string();

  auto chain = verify("invalid-signed-hashchain.asice");
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.error().fault_code(), "malformed_signature.invalid_hash_chain_ref") << chain.error().to_string();
}

TEST_F(AsicVerify, ReadWriteKeepsXRoadsLayout) {
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
  EXPECT_EQ(names, (std::vector<std::string>{"mimetype", "message.xml", "META-INF/signatures.xml", "ts-hashchainresult.xml",
                                             "ts-hashchain.xml", "META-INF/manifest.xml", "META-INF/ASiCManifest.xml",
                                             "META-INF/timestamp.tst"}));
  EXPECT_EQ(zip->comment, "mimetype=application/vnd.etsi.asic-e+zip");
  // The rewritten container still verifies, and its ASiC manifest says what X-Road's does.
  auto again = AsicContainer::read(*bytes);
  ASSERT_TRUE(again.ok());
  auto v = verify_asic(*again, *trust_);
  EXPECT_TRUE(v.ok()) << v.error().to_string();
  auto original = ZipFile::read(read_file(asic_ / "valid-batch-ts.asice"));
  EXPECT_EQ(zip->find("META-INF/ASiCManifest.xml")->data, original->find("META-INF/ASiCManifest.xml")->data);
}

TEST_F(AsicVerify, MessageRouteReadsSoapAndRest) {
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

TEST_F(AsicVerify, NotAContainer) {
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
