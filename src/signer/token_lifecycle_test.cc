// The token's life after the import: a PIN for a token without keys, keys generated and sealed,
// certificates imported for their keys with X-Road's states, and the certificate the message
// path uses following activation (renewal without a restart).
#include <gtest/gtest.h>

#include "crypto/key_wrap.h"
#include "signer/keyconf.h"
#include "signer/token.h"
#include "support/test_support.h"

namespace roadside::signer {
namespace {

using roadside::testing::TempDir;
using namespace std::chrono_literals;

constexpr const char* kPin = "a-pin-0123";

std::unique_ptr<storage::Store> open_store(const TempDir& dir) {
  auto conn = storage::open_sqlite({dir / "roadside.db"});
  EXPECT_TRUE(conn.ok()) << conn.error().to_string();
  auto store = std::make_unique<storage::Store>(std::move(conn).value());
  EXPECT_TRUE(store->migrate().ok());
  return store;
}

XRoadId member() {
  return *XRoadId::member("DEV", "COM", "1234");
}

// A token folder with one signing and one authentication key, their keys kept for issuing more
// certificates.
struct Folder {
  TempDir dir;
  crypto::PrivateKey sign_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::PrivateKey auth_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::Certificate sign_cert = issue(sign_key, crypto::Usage::signing, 10min);
  crypto::Certificate auth_cert = issue(auth_key, crypto::Usage::tls_server_and_client, 10min);

  static crypto::Certificate issue(const crypto::PrivateKey& key, crypto::Usage usage, std::chrono::minutes age) {
    return *crypto::issue_certificate(
        {.common_name = "1234", .usage = usage, .not_before = std::chrono::system_clock::now() - age}, key, nullptr,
        key);
  }

  Folder() {
    Keyconf conf;
    conf.devices.push_back({"softToken",
                            "0",
                            {{KeyUsage::authentication,
                              "AA01",
                              "Auth key",
                              "CKM_ECDSA",
                              {{auth_cert.sha1_hex(), true, std::nullopt, auth_cert, "registered"}}},
                             {KeyUsage::signing,
                              "BB02",
                              "Sign key",
                              "CKM_ECDSA",
                              {{sign_cert.sha1_hex(), true, member(), sign_cert, "registered"}}}}});
    roadside::testing::write_file(dir / "keyconf.xml", conf.to_xml());
    EXPECT_TRUE(write_soft_token_key(dir.path(), "AA01", auth_key, kPin).ok());
    EXPECT_TRUE(write_soft_token_key(dir.path(), "BB02", sign_key, kPin).ok());
  }
};

TEST(TokenLifecycle, APinForATokenWithoutKeysIsCheckedAtLogin) {
  TempDir data;
  auto store = open_store(data);
  SoftToken token(*store);
  EXPECT_FALSE(*token.initialized());
  auto no_pin = token.login(kPin);
  ASSERT_FALSE(no_pin.ok());
  EXPECT_EQ(no_pin.error().code(), errc::key_not_found);
  ASSERT_TRUE(token.initialize(kPin).ok());
  EXPECT_TRUE(token.active());
  EXPECT_TRUE(*token.initialized());
  EXPECT_FALSE(token.initialize("another").ok()) << "a PIN is set once";

  SoftToken again(*store);
  auto wrong = again.login("wrong-pin");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), errc::pin_incorrect);
  EXPECT_TRUE(again.login(kPin).ok());
}

TEST(TokenLifecycle, GeneratedKeysAreSealedAndOpenAtTheNextLogin) {
  TempDir data;
  auto store = open_store(data);
  SoftToken token(*store);
  EXPECT_EQ(token.generate_key("before login", crypto::KeyType::rsa2048).error().code(), errc::token_not_active);
  ASSERT_TRUE(token.initialize(kPin).ok());
  auto key = token.generate_key("sign key 1", crypto::KeyType::rsa2048);
  ASSERT_TRUE(key.ok()) << key.error().to_string();
  EXPECT_EQ(key->friendly_name, "sign key 1");
  EXPECT_FALSE(key->usage);
  auto contents = token.contents();
  ASSERT_EQ(contents->size(), 1u);
  EXPECT_EQ((*contents)[0].key_id, key->key_id);
  auto rows = store->with_connection([](storage::Connection& c) {
    return c.query("SELECT key_pkcs12 IS NULL, key_wrapped IS NOT NULL, public_key IS NOT NULL FROM token_keys");
  });
  ASSERT_EQ(rows->size(), 1u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(storage::as_int((*rows)[0][i]), 1) << i;

  ASSERT_TRUE(token.rename_key(key->key_id, "renamed").ok());
  EXPECT_EQ((*token.contents())[0].friendly_name, "renamed");
  EXPECT_EQ(token.rename_key("nope", "x").error().code(), errc::key_not_found);
  SoftToken later(*store);
  EXPECT_TRUE(later.login(kPin).ok()) << "the verifier and the new key open with the PIN";
  EXPECT_FALSE(SoftToken(*store).login("wrong").ok());
  ASSERT_TRUE(later.delete_key(key->key_id).ok());
  EXPECT_TRUE(later.contents()->empty());
}

TEST(TokenLifecycle, ARenewedSigningCertificateIsUsedOnceActiveAndTheOldOneWhenItIsDisabled) {
  Folder folder;
  TempDir data;
  auto store = open_store(data);
  SoftToken token(*store);
  ASSERT_EQ(*token.import_folder(folder.dir.path(), kPin), 2);
  ASSERT_TRUE(token.login(kPin).ok());
  EXPECT_EQ((*token.signing_key(member()))->info.cert.serial_hex(), folder.sign_cert.serial_hex());

  // The renewed certificate for the same key: imported active and registered, and newer.
  const crypto::Certificate renewed = Folder::issue(folder.sign_key, crypto::Usage::signing, 1min);
  auto imported = token.import_certificate(renewed, member());
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  EXPECT_TRUE(imported->active);
  EXPECT_EQ(imported->status, CertStatus::registered);
  EXPECT_EQ(imported->key_id, "BB02");
  EXPECT_EQ((*token.signing_key(member()))->info.cert.serial_hex(), renewed.serial_hex());

  // Disabled, the old one is used again; the old one disabled and the new active: the new one.
  ASSERT_TRUE(token.set_active(renewed.sha256_hex(), false).ok());
  EXPECT_EQ((*token.signing_key(member()))->info.cert.serial_hex(), folder.sign_cert.serial_hex());
  ASSERT_TRUE(token.set_active(renewed.sha256_hex(), true).ok());
  ASSERT_TRUE(token.set_active(folder.sign_cert.sha256_hex(), false).ok());
  EXPECT_EQ((*token.signing_key(member()))->info.cert.serial_hex(), renewed.serial_hex());
  // Another server process reading the same database sees the same.
  SoftToken other(*store);
  ASSERT_TRUE(other.login(kPin).ok());
  EXPECT_EQ((*other.signing_key(member()))->info.cert.serial_hex(), renewed.serial_hex());

  EXPECT_EQ(token.import_certificate(renewed, member()).error().code(), errc::cert_exists) << "already there";
  const auto stranger_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  EXPECT_EQ(
      token.import_certificate(Folder::issue(stranger_key, crypto::Usage::signing, 1min), member()).error().code(),
      errc::key_not_found);
  ASSERT_TRUE(token.set_active(renewed.sha256_hex(), false).ok());
  EXPECT_EQ(token.signing_key(member()).error().code(), errc::key_not_found) << "no active certificate is left";
  EXPECT_EQ(token.set_active("00", true).error().code(), errc::cert_not_found);
}

TEST(TokenLifecycle, AnAuthenticationCertificateIsUsedOnceRegisteredAndActive) {
  Folder folder;
  TempDir data;
  auto store = open_store(data);
  SoftToken token(*store);
  ASSERT_EQ(*token.import_folder(folder.dir.path(), kPin), 2);
  ASSERT_TRUE(token.login(kPin).ok());
  const crypto::Certificate renewed = Folder::issue(folder.auth_key, crypto::Usage::tls_server_and_client, 1min);
  auto imported = token.import_certificate(renewed);
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  EXPECT_FALSE(imported->active);
  EXPECT_EQ(imported->status, CertStatus::saved);
  EXPECT_FALSE(imported->member);
  EXPECT_EQ((*token.auth_key())->info.cert.serial_hex(), folder.auth_cert.serial_hex());
  ASSERT_TRUE(token.set_active(renewed.sha256_hex(), true).ok());
  EXPECT_EQ((*token.auth_key())->info.cert.serial_hex(), folder.auth_cert.serial_hex()) << "active but not registered";
  ASSERT_TRUE(token.set_status(renewed.sha256_hex(), CertStatus::registered).ok());
  EXPECT_EQ((*token.auth_key())->info.cert.serial_hex(), renewed.serial_hex());
  ASSERT_TRUE(token.delete_certificate(renewed.sha256_hex()).ok());
  EXPECT_EQ((*token.auth_key())->info.cert.serial_hex(), folder.auth_cert.serial_hex());

  auto contents = *token.contents();
  ASSERT_EQ(contents.size(), 2u);
  for (const auto& k : contents) {
    ASSERT_EQ(k.certs.size(), 1u);
    EXPECT_EQ(k.certs[0].status, CertStatus::registered);
    EXPECT_TRUE(k.certs[0].active);
  }
}

}  // namespace
}  // namespace roadside::signer
