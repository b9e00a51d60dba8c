// Issue 13, item 12 (keys at rest): the software token keeps no PKCS#12 file in the database
// once it has the PIN; keys are sealed under scrypt and AES-256-GCM.
#include "signer/token.h"

#include <array>

#include <gtest/gtest.h>

#include "crypto/key_wrap.h"
#include "signer/keyconf.h"
#include "support/test_support.h"

namespace roadside::signer {
namespace {

using roadside::testing::TempDir;

constexpr const char* kPin = "a-pin-0123";

XRoadId member(const char* code) {
  return *XRoadId::member("DEV", "COM", code);
}

// A software-token folder as X-Road's signer writes it: a signing and an authentication key,
// each in <keyId>.p12 under kPin.
struct TokenFolder {
  TempDir dir;
  std::vector<std::string> p12s;  // the files' bytes

  TokenFolder() {
    auto sign_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
    auto sign_cert = *crypto::issue_certificate({.common_name = "1234", .usage = crypto::Usage::signing}, sign_key,
                                                nullptr, sign_key);
    auto auth_key = *crypto::PrivateKey::generate(crypto::KeyType::rsa2048);
    auto auth_cert = *crypto::issue_certificate({.common_name = "ss1", .usage = crypto::Usage::tls_server_and_client},
                                                auth_key, nullptr, auth_key);
    Keyconf conf;
    conf.devices.push_back({"softToken",
                            "0",
                            {{KeyUsage::authentication,
                              "AA01",
                              "Auth key",
                              "CKM_RSA_PKCS",
                              {{auth_cert.sha1_hex(), true, std::nullopt, auth_cert, "registered"}}},
                             {KeyUsage::signing,
                              "BB02",
                              "Sign key",
                              "CKM_ECDSA",
                              {{sign_cert.sha1_hex(), true, member("1234"), sign_cert, "registered"}}}}});
    roadside::testing::write_file(dir / "keyconf.xml", conf.to_xml());
    EXPECT_TRUE(write_soft_token_key(dir.path(), "AA01", auth_key, kPin).ok());
    EXPECT_TRUE(write_soft_token_key(dir.path(), "BB02", sign_key, kPin).ok());
    for (const char* id : {"AA01", "BB02"}) p12s.push_back(*read_soft_token_key_file(dir.path(), id));
  }
};

std::unique_ptr<storage::Store> open_store(const TempDir& dir,
                                           std::span<const storage::Migration> migrations = storage::migrations()) {
  auto conn = storage::open_sqlite({dir / "roadside.db"});
  EXPECT_TRUE(conn.ok()) << conn.error().to_string();
  auto store = std::make_unique<storage::Store>(std::move(conn).value());
  auto info = store->migrate(migrations);
  EXPECT_TRUE(info.ok()) << info.error().to_string();
  return store;
}

struct StoredKey {
  std::optional<std::string> pkcs12;
  std::optional<std::string> wrapped;
};

std::vector<StoredKey> stored_keys(storage::Store& store) {
  auto rows = store.with_connection(
      [](storage::Connection& c) { return c.query("SELECT key_pkcs12, key_wrapped FROM token_keys ORDER BY key_id"); });
  EXPECT_TRUE(rows.ok()) << rows.error().to_string();
  std::vector<StoredKey> out;
  if (!rows.ok()) return out;
  for (const auto& r : *rows) out.push_back({storage::as_text(r[0]), storage::as_text(r[1])});
  return out;
}

// Every key sealed, none as PKCS#12, and no byte string of an imported file anywhere in the row.
void expect_all_sealed(storage::Store& store, const TokenFolder& folder) {
  const auto keys = stored_keys(store);
  ASSERT_EQ(keys.size(), 2u);
  for (const auto& k : keys) {
    EXPECT_FALSE(k.pkcs12.has_value()) << "a PKCS#12 file is still in the database";
    ASSERT_TRUE(k.wrapped.has_value());
    auto h = crypto::read_wrapped_key_header(*k.wrapped);
    ASSERT_TRUE(h.ok()) << h.error().to_string();
    EXPECT_EQ(h->kdf.kdf, crypto::Kdf::scrypt);
    EXPECT_GE(h->kdf.n, std::uint64_t{1} << 15);
    EXPECT_GE(h->kdf.r, 8u);
    EXPECT_GE(h->kdf.n * h->kdf.r * h->kdf.p, crypto::kKeyWrapMinWork);
    EXPECT_EQ(h->salt.size(), 16u);
    EXPECT_EQ(h->nonce.size(), 12u);
    for (const auto& p12 : folder.p12s) EXPECT_EQ(k.wrapped->find(p12.substr(p12.size() / 2, 32)), std::string::npos);
  }
}

void expect_logs_in(storage::Store& store, const std::string& pin) {
  SoftToken token(store);
  auto st = token.login(pin);
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_TRUE(token.signing_key(member("1234")).ok());
  EXPECT_TRUE(token.auth_key().ok());
}

TEST(KeysAtRest, ImportWithoutThePinThenLoginLeavesNoPkcs12InTheDatabase) {
  TokenFolder folder;
  TempDir data;
  auto store = open_store(data);
  SoftToken token(*store);
  ASSERT_EQ(*token.import_folder(folder.dir.path()), 2);
  ASSERT_TRUE(token.login(kPin).ok());
  expect_all_sealed(*store, folder);
  // Another host with the database and the PIN alone is the same server.
  expect_logs_in(*store, kPin);
}

TEST(KeysAtRest, ImportWithThePinNeverStoresThePkcs12) {
  TokenFolder folder;
  TempDir data;
  auto store = open_store(data);
  SoftToken token(*store);
  ASSERT_EQ(*token.import_folder(folder.dir.path(), kPin), 2);
  ASSERT_NO_FATAL_FAILURE(expect_all_sealed(*store, folder));
  // One derivation for the token: both keys share the salt, not the nonce.
  const auto keys = stored_keys(*store);
  ASSERT_TRUE(keys[0].wrapped && keys[1].wrapped);
  auto a = *crypto::read_wrapped_key_header(*keys[0].wrapped);
  auto b = *crypto::read_wrapped_key_header(*keys[1].wrapped);
  EXPECT_EQ(a.salt, b.salt);
  EXPECT_NE(a.nonce, b.nonce);
  expect_logs_in(*store, kPin);
  // Importing again adds nothing and changes nothing.
  EXPECT_EQ(*token.import_folder(folder.dir.path(), kPin), 0);
  EXPECT_EQ(stored_keys(*store)[0].wrapped, keys[0].wrapped);
}

TEST(KeysAtRest, WrongPinAndAlteredKeysAreRefusedAsPinIncorrect) {
  TokenFolder folder;
  TempDir data;
  auto store = open_store(data);
  ASSERT_EQ(*SoftToken(*store).import_folder(folder.dir.path(), kPin), 2);

  SoftToken token(*store);
  auto wrong = token.login("a-pin-0124");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), errc::pin_incorrect);
  EXPECT_EQ(wrong.error().to_string().find("a-pin-0124"), std::string::npos);
  EXPECT_FALSE(token.active());

  // One byte of the sealed signing key changed in the database: the right PIN no longer opens it.
  const auto stored = stored_keys(*store);
  ASSERT_TRUE(stored.size() == 2 && stored[1].wrapped) << "the key is not stored sealed";
  std::string sealed = *stored[1].wrapped;
  sealed[sealed.size() - 20] = static_cast<char>(sealed[sealed.size() - 20] ^ 0x40);
  ASSERT_TRUE(store
                  ->with_connection([&](storage::Connection& c) {
                    const storage::Value params[] = {storage::Blob{sealed}, std::string("BB02")};
                    return c.query("UPDATE token_keys SET key_wrapped = ? WHERE key_id = ?", params);
                  })
                  .ok());
  auto altered = token.login(kPin);
  ASSERT_FALSE(altered.ok());
  EXPECT_EQ(altered.error().code(), errc::pin_incorrect);
  EXPECT_NE(altered.error().detail().find("BB02"), std::string::npos) << altered.error().detail();
  EXPECT_FALSE(token.active());
}

// A database of schema 4 keeps keys as imported, in key_pkcs12.
void insert_as_schema_4(storage::Store& store, const TokenFolder& folder) {
  auto conf = *read_keyconf(folder.dir.path());
  for (const auto& key : conf.devices[0].keys) {
    const auto& cert = key.certs[0];
    const storage::Value params[] = {key.key_id,
                                     std::string("0"),
                                     std::string(key.usage == KeyUsage::signing ? "SIGNING" : "AUTHENTICATION"),
                                     cert.member ? storage::Value(cert.member->to_string()) : storage::Value(nullptr),
                                     key.friendly_name,
                                     storage::Blob{cert.cert.to_der()},
                                     storage::Blob{*read_soft_token_key_file(folder.dir.path(), key.key_id)},
                                     std::string("2026-01-01T00:00:00Z")};
    ASSERT_TRUE(
        store
            .with_connection([&](storage::Connection& c) {
              return c.query(
                  "INSERT INTO token_keys (key_id, token_id, usage, member_id, friendly_name, certificate, key_pkcs12, "
                  "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  params);
            })
            .ok());
  }
}

TEST(KeysAtRest, KeysOfASchema4DatabaseAreSealedAtTheFirstLogin) {
  TokenFolder folder;
  TempDir data;
  {
    auto old = open_store(data, storage::migrations().first(4));
    insert_as_schema_4(*old, folder);
  }
  auto store = open_store(data);  // upgraded

  // A wrong PIN changes nothing.
  ASSERT_FALSE(SoftToken(*store).login("wrong").ok());
  for (const auto& k : stored_keys(*store)) EXPECT_TRUE(k.pkcs12.has_value());

  SoftToken token(*store);
  ASSERT_TRUE(token.login(kPin).ok());
  EXPECT_TRUE(token.signing_key(member("1234")).ok());
  expect_all_sealed(*store, folder);
  expect_logs_in(*store, kPin);
}

TEST(KeysAtRest, AFailedSealingKeepsEveryKeyAsItWas) {
  TokenFolder folder;
  TempDir data;
  {
    auto old = open_store(data, storage::migrations().first(4));
    insert_as_schema_4(*old, folder);
  }
  auto store = open_store(data);
  // The second key's update fails, after the first one's went through.
  ASSERT_TRUE(store
                  ->with_connection([](storage::Connection& c) {
                    return c.execute_script(
                        "CREATE TRIGGER refuse_bb02 BEFORE UPDATE ON token_keys WHEN old.key_id = 'BB02' "
                        "BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;");
                  })
                  .ok());
  SoftToken token(*store);
  ASSERT_TRUE(token.login(kPin).ok());  // the keys opened; sealing them is tried again next time
  for (const auto& k : stored_keys(*store)) {
    EXPECT_TRUE(k.pkcs12.has_value());
    EXPECT_FALSE(k.wrapped.has_value());
  }
  ASSERT_TRUE(
      store->with_connection([](storage::Connection& c) { return c.execute_script("DROP TRIGGER refuse_bb02;"); })
          .ok());
  ASSERT_TRUE(SoftToken(*store).login(kPin).ok());
  expect_all_sealed(*store, folder);
}

}  // namespace
}  // namespace roadside::signer
