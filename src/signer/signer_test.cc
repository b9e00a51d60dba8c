// The software token of X-Road's test system (vectors/xroad/pki/softtoken) and messages
// signed with it, verified as a receiving Security Server would.
#include <gtest/gtest.h>

#include "messagelog/asic.h"
#include "signer/keyconf.h"
#include "signer/message_signer.h"
#include "support/test_support.h"

namespace roadside::signer {
namespace {

using roadside::testing::read_file;

XRoadId member(const char* code) { return *XRoadId::member("DEV", "COM", code); }

TEST(Keyconf, ReadsXRoadsSoftTokenConfiguration) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  auto conf = Keyconf::parse(read_file(vectors / "xroad" / "pki" / "softtoken" / "keyconf.xml"));
  ASSERT_TRUE(conf.ok()) << conf.error().to_string();
  ASSERT_EQ(conf->devices.size(), 1u);
  EXPECT_EQ(conf->devices[0].type, "softToken");
  ASSERT_EQ(conf->devices[0].keys.size(), 3u);
  EXPECT_EQ(conf->devices[0].keys[0].usage, KeyUsage::authentication);

  auto found = conf->signing_key(*XRoadId::subsystem("DEV", "COM", "1234", "TestService"));
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  EXPECT_EQ(found->key->key_id, "1342B84B4829BB79226AB268B4D8E70B01068613");
  EXPECT_EQ(found->cert->cert.subject_entry("CN"), "1234");

  auto none = conf->signing_key(member("9999"));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().fault_code(), "cert_not_found");
  EXPECT_FALSE(Keyconf::parse("<keyConf/>").ok());
}

TEST(SoftToken, OpensTheSigningKeyWithThePin) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto token = vectors / "xroad" / "pki" / "softtoken";
  auto id = open_soft_token_signing_key(token, "Secret1234", member("1234"));
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  EXPECT_TRUE(id->cert.matches_key(id->key));
  EXPECT_TRUE(id->cert.is_signing_cert());

  auto wrong = open_soft_token_signing_key(token, "Secret12345", member("1234"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().fault_code(), "pin_incorrect");
  // The PIN is never part of the message.
  EXPECT_EQ(wrong.error().to_string().find("Secret12345"), std::string::npos);
}

TEST(SoftToken, WrittenTokensOpenAsXRoadsDo) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  // X-Road's keyconf.xml read, written and read again says the same.
  auto conf = Keyconf::parse(read_file(vectors / "xroad" / "pki" / "softtoken" / "keyconf.xml"));
  ASSERT_TRUE(conf.ok());
  auto again = Keyconf::parse(conf->to_xml());
  ASSERT_TRUE(again.ok()) << again.error().to_string() << "\n" << conf->to_xml();
  ASSERT_EQ(again->devices[0].keys.size(), 3u);
  EXPECT_EQ(again->devices[0].keys[2].certs[0].member, conf->devices[0].keys[2].certs[0].member);
  EXPECT_EQ(again->devices[0].keys[2].certs[0].cert.to_der(), conf->devices[0].keys[2].certs[0].cert.to_der());

  // A token written here opens with its PIN, and only with it.
  roadside::testing::TempDir dir;
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto cert = *crypto::issue_certificate({.common_name = "1234", .usage = crypto::Usage::signing}, key, nullptr, key);
  Keyconf mine;
  mine.devices.push_back({"softToken", "0", {{KeyUsage::signing, "AB12", "Sign key", "CKM_ECDSA",
                                              {{cert.sha1_hex(), true, member("1234"), cert, "registered"}}}}});
  roadside::testing::write_file(dir / "keyconf.xml", mine.to_xml());
  ASSERT_TRUE(write_soft_token_key(dir.path(), "AB12", key, "a-pin-0123").ok());
  auto opened = open_soft_token_signing_key(dir.path(), "a-pin-0123", member("1234"));
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  EXPECT_TRUE(opened->cert.matches_key(opened->key));
  EXPECT_EQ(open_soft_token_signing_key(dir.path(), "wrong", member("1234")).error().fault_code(), "pin_incorrect");
  EXPECT_FALSE(write_soft_token_key(dir.path(), "../x", key, "p").ok());
}

}  // namespace
}  // namespace roadside::signer
