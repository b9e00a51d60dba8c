// Hardware tokens on a real PKCS#11 device, SoftHSM2 (Debian's softhsm2; the library's path
// from ROADSIDE_PKCS11_LIBRARY, else Debian's): keys generated on the token sign XML
// signatures and CSRs that verify and are never written out; a wrong PIN is X-Road's error
// without the PIN in it; a token whose device goes away is not available, and when it is back
// it signs again with the same key, without a restart.
#include "signer/hardware_token.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "crypto/test_pki.h"
#include "signer/hardware_tokens.h"
#include "storage/store.h"
#include "support/test_support.h"

namespace roadside::signer {
namespace {

namespace fs = std::filesystem;

TEST(HardwareTokenId, IsTheLowerCaseHexOfXRoadsFormat) {
  pkcs11::TokenInfo info;
  info.slot_id = 123;
  info.serial = "abcd";
  info.label = "L";
  EXPECT_EQ(hardware_token_id("{moduleType}{slotIndex}{serialNumber}{label}", "softhsm", info),
            crypto::to_hex("softhsm123abcdL"));
  EXPECT_EQ(hardware_token_id("{moduleType}-{label}", "hsm", info), crypto::to_hex("hsm-L"));
  EXPECT_EQ(hardware_token_id("", "hsm", info), crypto::to_hex("hsm123abcdL"));
}

std::string softhsm_library() {
  if (const char* set = std::getenv("ROADSIDE_PKCS11_LIBRARY")) return set;
  return "/usr/lib/softhsm/libsofthsm2.so";
}

constexpr const char* kPin = "1234-user";

class SoftHsm : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(softhsm_library()))
      GTEST_SKIP() << "SoftHSM2 is not installed (" << softhsm_library() << "); scripts/setup.sh installs it";
    fs::create_directories(dir_ / "tokens");
    std::ofstream(dir_ / "softhsm2.conf") << "directories.tokendir = " << (dir_ / "tokens").string()
                                          << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    ::setenv("SOFTHSM2_CONF", (dir_ / "softhsm2.conf").c_str(), 1);
    // A fresh device: its free slot initialized as X-Road's operator would with softhsm2-util.
    auto module = pkcs11::Module::load(softhsm_library());
    ASSERT_TRUE(module.ok()) << module.error().detail();
    auto listed = (*module)->tokens();
    ASSERT_TRUE(listed.ok()) << listed.error().detail();
    ASSERT_FALSE(listed->empty());
    ASSERT_FALSE(listed->front().initialized);
    auto made = (*module)->init_token(listed->front().slot_id, "so-pin-5678", "roadside", kPin);
    ASSERT_TRUE(made.ok()) << made.error().detail();
    module->reset();  // C_Finalize: the device is the server's now

    HardwareDevice::Options options;
    options.library = softhsm_library();
    options.token.module_type = "softhsm";
    auto device = HardwareDevice::open(options);
    ASSERT_TRUE(device.ok()) << device.error().detail();
    device_ = std::move(*device);
    ASSERT_EQ(device_->tokens().size(), 1U) << "the free slot is no token";
    token_ = device_->tokens().front();
  }

  // The token's folder, as SoftHSM2 keeps it (one per token).
  fs::path token_folder() {
    for (const auto& entry : fs::directory_iterator(dir_ / "tokens")) return entry.path();
    return {};
  }

  roadside::testing::TempDir dir_;
  std::unique_ptr<HardwareDevice> device_;
  std::shared_ptr<HardwareToken> token_;
};

std::string_view algorithm_of(const crypto::PrivateKey& key) {
  return key.is_ec_key() ? crypto::kEcdsaSha256Uri : crypto::kRsaSha256Uri;
}

TEST_F(SoftHsm, KeysGeneratedOnTheTokenSignAndAreNeverWrittenOut) {
  const auto info = token_->info();
  EXPECT_EQ(info.label, "roadside");
  EXPECT_EQ(token_->id(), hardware_token_id(HardwareTokenOptions{}.token_id_format, "softhsm", info));
  EXPECT_TRUE(token_->available());
  EXPECT_FALSE(token_->active());
  auto early = token_->generate_key("early", crypto::KeyType::ec_p256);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code(), make_error_code(errc::token_not_active));

  auto wrong = token_->login("not-the-pin");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), make_error_code(errc::pin_incorrect));
  EXPECT_NE(wrong.error().detail().find("CKR_PIN_INCORRECT"), std::string::npos) << wrong.error().detail();
  EXPECT_EQ(wrong.error().detail().find("not-the-pin"), std::string::npos) << "the PIN is never in a message";
  ASSERT_TRUE(token_->login(kPin).ok());
  EXPECT_TRUE(token_->active());

  auto rsa = token_->generate_key("signing key", crypto::KeyType::rsa2048);
  ASSERT_TRUE(rsa.ok()) << rsa.error().detail();
  auto ec = token_->generate_key("auth key", crypto::KeyType::ec_p256);
  ASSERT_TRUE(ec.ok()) << ec.error().detail();
  EXPECT_EQ(rsa->key_id.size(), 40U);
  EXPECT_EQ(rsa->key_id.find_first_not_of("0123456789ABCDEF"), std::string::npos) << rsa->key_id;
  EXPECT_FALSE(rsa->ec);
  EXPECT_TRUE(ec->ec);

  auto listed = token_->keys();
  ASSERT_TRUE(listed.ok()) << listed.error().detail();
  ASSERT_EQ(listed->size(), 2U);
  for (const auto& made : {*rsa, *ec}) {
    auto key = token_->private_key(made.key_id);
    ASSERT_TRUE(key.ok()) << key.error().detail();
    EXPECT_TRUE(crypto::is_external(*key));
    EXPECT_EQ(key->public_key_der(), made.public_key_der);
    EXPECT_TRUE(key->to_pem().empty());
    auto cert =
        crypto::issue_certificate({.common_name = made.label, .usage = crypto::Usage::signing}, *key, nullptr, *key);
    ASSERT_TRUE(cert.ok()) << cert.error().detail();
    std::vector<std::string_view> uris = {algorithm_of(*key)};
    if (!made.ec) uris.push_back(crypto::kRsaPssSha512Uri);
    for (auto uri : uris) {
      auto value = crypto::sign_xmldsig(*key, uri, "signed info");
      ASSERT_TRUE(value.ok()) << uri << ": " << value.error().detail();
      EXPECT_TRUE(crypto::verify_xmldsig(*cert, uri, "signed info", *value).ok()) << uri;
    }
    auto csr = crypto::make_csr(*key, {{"CN", "ss1"}});
    ASSERT_TRUE(csr.ok()) << csr.error().detail();
    EXPECT_TRUE(crypto::CertificateRequest::from_der(*csr)->verify().ok());
  }
  auto unknown = token_->private_key(std::string(40, 'A'));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), make_error_code(errc::key_not_found));

  // Logged out, the keys handed out refuse; logged in again, they sign.
  auto key = *token_->private_key(rsa->key_id);
  token_->logout();
  auto refused = crypto::sign_xmldsig(key, crypto::kRsaSha256Uri, "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().detail().find("not logged in"), std::string::npos) << refused.error().detail();
  ASSERT_TRUE(token_->login(kPin).ok());
  EXPECT_TRUE(crypto::sign_xmldsig(key, crypto::kRsaSha256Uri, "x").ok());

  ASSERT_TRUE(token_->delete_key(ec->key_id).ok());
  EXPECT_EQ(token_->keys()->size(), 1U);
}

TEST_F(SoftHsm, ATokenThatGoesAwayIsNotAvailableAndSignsAgainWhenBack) {
  ASSERT_TRUE(token_->login(kPin).ok());
  auto made = token_->generate_key("signing key", crypto::KeyType::rsa2048);
  ASSERT_TRUE(made.ok()) << made.error().detail();
  auto key = token_->private_key(made->key_id);
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(crypto::sign_xmldsig(*key, crypto::kRsaSha256Uri, "before").ok());

  // The device loses the token (SoftHSM2's folder of it goes).
  const fs::path folder = token_folder();
  const fs::path away = dir_ / "away";
  fs::rename(folder, away);
  auto refused = crypto::sign_xmldsig(*key, crypto::kRsaSha256Uri, "while away");
  ASSERT_FALSE(refused.ok());
  EXPECT_FALSE(token_->available());
  EXPECT_FALSE(token_->active());
  EXPECT_NE(refused.error().detail().find("not available"), std::string::npos) << refused.error().detail();
  // The periodic check agrees, and finds it still missing.
  (void)device_->refresh();
  EXPECT_FALSE(token_->available());
  auto again = crypto::sign_xmldsig(*key, crypto::kRsaSha256Uri, "still away");
  ASSERT_FALSE(again.ok());

  // Back: the next check finds it, logs in with the PIN kept, and the same key signs.
  fs::rename(away, folder);
  ASSERT_TRUE(device_->refresh().ok());
  EXPECT_TRUE(token_->available());
  EXPECT_TRUE(token_->active());
  EXPECT_EQ(device_->tokens().size(), 1U) << "the token came back as itself";
  auto after = crypto::sign_xmldsig(*key, crypto::kRsaSha256Uri, "after");
  ASSERT_TRUE(after.ok()) << after.error().detail();
}

// A call the device refuses gives its session back: more failures than the pool has sessions
// leave signing working (and quick). A wrong PIN while logged in is refused without asking the
// device, which would say CKR_USER_ALREADY_LOGGED_IN without checking it.
TEST_F(SoftHsm, RefusedCallsGiveTheirSessionsBackAndALoginIsNotReplacedByAWrongPin) {
  ASSERT_TRUE(token_->login(kPin).ok());
  auto made = token_->generate_key("k", crypto::KeyType::ec_p256);
  ASSERT_TRUE(made.ok()) << made.error().detail();
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 3 * static_cast<int>(token_->options().max_sessions); ++i) {
    auto refused = token_->sign(std::string(20, 'x'), pkcs11::Mechanism::ecdsa, std::string(32, 'd'));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code(), make_error_code(errc::key_not_found)) << refused.error().detail();
    EXPECT_EQ(token_->delete_key("not hex").error().code(), make_error_code(errc::key_not_found));
  }
  auto key = token_->private_key(made->key_id);
  ASSERT_TRUE(key.ok()) << key.error().detail();
  EXPECT_TRUE(crypto::sign_xmldsig(*key, crypto::kEcdsaSha256Uri, "x").ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));

  auto wrong = token_->login("not-the-pin");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code(), make_error_code(errc::pin_incorrect));
  EXPECT_TRUE(token_->active());
  EXPECT_TRUE(token_->login(kPin).ok()) << "the same PIN again is no error";
  // Logged out, the device checks the PIN again.
  token_->logout();
  EXPECT_EQ(token_->login("not-the-pin").error().code(), make_error_code(errc::pin_incorrect));
  EXPECT_FALSE(token_->active());
}

// Threads signing at once share the token's few sessions; a removal in the middle refuses
// some of them and breaks none.
TEST_F(SoftHsm, ThreadsSigningAtOnceShareTheSessions) {
  ASSERT_TRUE(token_->login(kPin).ok());
  auto made = token_->generate_key("signing key", crypto::KeyType::ec_p256);
  ASSERT_TRUE(made.ok()) << made.error().detail();
  auto key = *token_->private_key(made->key_id);
  auto cert = *crypto::issue_certificate({.common_name = "k", .usage = crypto::Usage::signing}, key, nullptr, key);
  std::atomic<int> verified{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        const std::string data = std::to_string(t) + "/" + std::to_string(i);
        auto value = crypto::sign_xmldsig(key, crypto::kEcdsaSha256Uri, data);
        if (value.ok() && crypto::verify_xmldsig(cert, crypto::kEcdsaSha256Uri, data, *value).ok()) ++verified;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(verified, 160);

  threads.clear();
  std::atomic<int> refused{0};
  std::atomic<bool> stop{false};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (!stop) {
        if (!crypto::sign_xmldsig(key, crypto::kEcdsaSha256Uri, "x").ok()) ++refused;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  token_->lost();  // as a failed call would find it
  for (int i = 0; i < 1000 && refused == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_GT(refused, 0);
  ASSERT_TRUE(device_->refresh().ok());
  EXPECT_TRUE(crypto::sign_xmldsig(key, crypto::kEcdsaSha256Uri, "after").ok());
}

// The key model with a hardware token beside a software token that was never initialized:
// keys generated on the device, a CSR each, certificates imported, and the message path's
// signing and authentication keys sign through the device; the token's state is the errors'.
TEST_F(SoftHsm, TheKeyModelKeepsHardwareKeysAndTheMessagePathSignsWithThem) {
  const std::string token_id = token_->id();
  token_.reset();
  device_.reset();  // the server's HardwareTokens opens the device itself
  DevicesConf conf;
  DeviceConf device;
  device.type = "softhsm";
  device.library = softhsm_library();
  conf.devices.push_back(device);
  auto hardware = HardwareTokens::open(conf);
  ASSERT_EQ(hardware->tokens().size(), 1U);
  auto token = hardware->token(token_id);
  ASSERT_TRUE(token);

  auto conn = storage::open_sqlite({dir_ / "roadside.db"});
  ASSERT_TRUE(conn.ok());
  storage::Store store(std::move(*conn));
  ASSERT_TRUE(store.migrate().ok());
  SoftToken keys(store);
  keys.attach(hardware.get());
  EXPECT_FALSE(*keys.initialized()) << "the software token's PIN is not needed for hardware keys";

  auto early = keys.generate_key("sign", crypto::KeyType::rsa2048, token_id);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code(), make_error_code(errc::token_not_active));
  EXPECT_EQ(keys.generate_key("x", crypto::KeyType::rsa2048, "no-such-token").error().code(),
            make_error_code(errc::token_not_available));
  ASSERT_TRUE(token->login(kPin).ok());

  const XRoadId member = *XRoadId::member("DEV", "COM", "1234");
  const auto& pki = roadside::testing::test_pki();
  auto sign_key = keys.generate_key("sign", crypto::KeyType::rsa2048, token_id);
  ASSERT_TRUE(sign_key.ok()) << sign_key.error().detail();
  EXPECT_EQ(sign_key->token_id, token_id);
  auto auth_key = keys.generate_key("auth", crypto::KeyType::ec_p256, token_id);
  ASSERT_TRUE(auth_key.ok()) << auth_key.error().detail();
  auto listed = keys.contents();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ((*listed)[0].token_id, token_id);
  EXPECT_EQ(token->keys()->size(), 2U) << "the keys are on the device";

  // CSRs signed on the device; the CA's certificates imported.
  auto sign_csr = keys.make_csr(sign_key->key_id, KeyUsage::signing, member, {{"CN", "1234"}}, "basic");
  ASSERT_TRUE(sign_csr.ok()) << sign_csr.error().detail();
  auto auth_csr = keys.make_csr(auth_key->key_id, KeyUsage::authentication, std::nullopt, {{"CN", "ss1"}}, "basic");
  ASSERT_TRUE(auth_csr.ok()) << auth_csr.error().detail();
  auto issue = [&](const TokenCsr& csr, crypto::Usage usage) {
    auto request = crypto::CertificateRequest::from_der(csr.der);
    EXPECT_TRUE(request.ok() && request->verify().ok());
    return *crypto::issue_certificate_for_public_key({.common_name = csr.subject, .usage = usage},
                                                     request->public_key_der(), pki.ca, pki.ca_key);
  };
  const crypto::Certificate sign_cert = issue(*sign_csr, crypto::Usage::signing);
  const crypto::Certificate auth_cert = issue(*auth_csr, crypto::Usage::tls_server_and_client);
  ASSERT_TRUE(keys.import_certificate(sign_cert).ok());
  auto auth = keys.import_certificate(auth_cert);
  ASSERT_TRUE(auth.ok()) << auth.error().detail();
  ASSERT_TRUE(keys.set_status(auth->hash(), CertStatus::registered).ok());
  ASSERT_TRUE(keys.set_active(auth->hash(), true).ok());

  auto signing = keys.signing_key(member);
  ASSERT_TRUE(signing.ok()) << signing.error().detail();
  EXPECT_TRUE(crypto::is_external((*signing)->key));
  auto value = crypto::sign_xmldsig((*signing)->key, crypto::kRsaSha512Uri, "signed info");
  ASSERT_TRUE(value.ok()) << value.error().detail();
  EXPECT_TRUE(crypto::verify_xmldsig(sign_cert, crypto::kRsaSha512Uri, "signed info", *value).ok());
  auto authentication = keys.auth_key();
  ASSERT_TRUE(authentication.ok()) << authentication.error().detail();
  EXPECT_EQ((*authentication)->info.cert.sha256_hex(), auth_cert.sha256_hex());
  EXPECT_TRUE(crypto::is_external((*authentication)->key));

  // The token's state is the message path's error and readiness's: logged out, then gone,
  // then back. The software token holds no keys: its login is not needed.
  EXPECT_EQ(keys.not_ready(), std::nullopt);
  token->logout();
  EXPECT_EQ(keys.not_ready().value_or("").rfind("token_not_active: the hardware token " + token_id, 0), 0U)
      << keys.not_ready().value_or("");
  EXPECT_EQ(keys.signing_key(member).error().code(), make_error_code(errc::token_not_active));
  EXPECT_EQ(keys.auth_key().error().code(), make_error_code(errc::token_not_active));
  ASSERT_TRUE(token->login(kPin).ok());
  token->lost();
  auto gone = keys.signing_key(member);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code(), make_error_code(errc::token_not_available));
  EXPECT_NE(gone.error().detail().find(token_id), std::string::npos) << gone.error().detail();
  EXPECT_EQ(keys.not_ready().value_or("").rfind("token_not_available:", 0), 0U) << keys.not_ready().value_or("");
  EXPECT_TRUE(hardware->refresh()) << "the token came back: a change";
  ASSERT_TRUE(keys.signing_key(member).ok());
  EXPECT_EQ(keys.not_ready(), std::nullopt);

  // A key deleted goes from the device too.
  ASSERT_TRUE(keys.delete_key(auth_key->key_id).ok());
  EXPECT_EQ(token->keys()->size(), 1U);
  EXPECT_EQ(keys.auth_key().error().code(), make_error_code(errc::token_not_active))
      << "no authentication key left, and the software token is not logged in";
}

TEST(Pkcs11Module, ALibraryThatIsNotThereIsNamedInTheError) {
  auto missing = pkcs11::Module::load("/nonexistent/libpkcs11.so");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), make_error_code(errc::token_not_available));
  EXPECT_NE(missing.error().detail().find("/nonexistent/libpkcs11.so"), std::string::npos);
  auto not_pkcs11 = pkcs11::Module::load("libc.so.6");
  ASSERT_FALSE(not_pkcs11.ok());
  EXPECT_NE(not_pkcs11.error().detail().find("no PKCS#11 function list"), std::string::npos)
      << not_pkcs11.error().detail();
  EXPECT_EQ(pkcs11::rv_name(0xa0), "CKR_PIN_INCORRECT");
  EXPECT_EQ(pkcs11::rv_name(0x12345), "CKR_0x12345");
  EXPECT_EQ(pkcs11::classify(0x32), pkcs11::Failure::gone);  // CKR_DEVICE_REMOVED
}

}  // namespace
}  // namespace roadside::signer
