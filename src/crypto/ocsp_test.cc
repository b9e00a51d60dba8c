// OCSP requests and X-Road's response rules, against the OpenSSL command-line responder
// (`openssl ocsp -index`), an implementation Roadside did not write.
#include <gtest/gtest.h>

#include <cstdlib>

#include "crypto/crypto.h"
#include "crypto/test_pki.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::crypto {
namespace {

const roadside::testing::TestPki& pki() { return roadside::testing::test_pki(); }

using namespace std::chrono_literals;
using roadside::testing::read_file;
using roadside::testing::TempDir;
using roadside::testing::write_file;



// Asks `openssl ocsp` (as the responder, signing with `signer`) about `cert`, using a
// request Roadside made. Returns the DER response.
std::string openssl_respond(TempDir& dir, const Certificate& cert, const Certificate& signer, const PrivateKey& signer_key,
                            const std::string& extra = "-ndays 1") {
  roadside::testing::OcspResponder r{pki().ca.to_pem(), signer.to_pem(), signer_key.to_pem(),
                                     "V\t350101000000Z\t\t" + pki().good.serial_hex() + "\tunknown\t/CN=1234\n" +
                                         "R\t350101000000Z\t250101000000Z\t" + pki().revoked.serial_hex() +
                                         "\tunknown\t/CN=4321\n"};
  auto req = make_ocsp_request(cert, pki().ca);
  EXPECT_TRUE(req.ok());
  return roadside::testing::openssl_ocsp_respond(dir, r, *req, extra);
}

OcspCheck at(std::chrono::system_clock::time_point now, std::vector<Certificate> trusted = {}) {
  OcspCheck c;
  c.now = now;
  c.trusted_responders = std::move(trusted);
  return c;
}

TEST(Ocsp, RequestIsSha1WithoutNonceAsOpenSslReadsIt) {
  TempDir dir;
  auto req = make_ocsp_request(pki().good, pki().ca);
  ASSERT_TRUE(req.ok());
  write_file(dir / "req.der", *req);
  const std::string text_file = (dir / "req.txt").string();
  ASSERT_EQ(std::system(("openssl ocsp -reqin " + (dir / "req.der").string() + " -req_text > " + text_file).c_str()), 0);
  const std::string text = read_file(dir / "req.txt");
  EXPECT_NE(text.find("Hash Algorithm: sha1"), std::string::npos) << text;
  EXPECT_NE(text.find("Serial Number: " + pki().good.serial_hex()), std::string::npos) << text;
  EXPECT_EQ(text.find("Nonce"), std::string::npos) << text;
}

TEST(Ocsp, GoodFromADelegatedResponder) {
  TempDir dir;
  const std::string resp = openssl_respond(dir, pki().good, pki().ocsp, pki().ocsp_key);
  auto r = verify_ocsp_response(resp, pki().good, pki().ca, at(std::chrono::system_clock::now()));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, CertStatus::good);
  EXPECT_EQ(r->responder_subject, "CN=Test OCSP");
  EXPECT_TRUE(r->next_update.has_value());
}

TEST(Ocsp, GoodFromTheCaItself) {
  TempDir dir;
  const std::string resp = openssl_respond(dir, pki().good, pki().ca, pki().ca_key);
  EXPECT_TRUE(verify_ocsp_response(resp, pki().good, pki().ca, at(std::chrono::system_clock::now())).ok());
}

TEST(Ocsp, RevokedIsACertValidationError) {
  TempDir dir;
  const std::string resp = openssl_respond(dir, pki().revoked, pki().ocsp, pki().ocsp_key);
  auto r = verify_ocsp_response(resp, pki().revoked, pki().ca, at(std::chrono::system_clock::now()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().fault_code(), "cert_validation");
  EXPECT_NE(r.error().detail().find("revoked"), std::string::npos);
}

TEST(Ocsp, AResponseAboutAnotherCertificateIsRefused) {
  TempDir dir;
  const std::string resp = openssl_respond(dir, pki().good, pki().ocsp, pki().ocsp_key);
  auto r = verify_ocsp_response(resp, pki().revoked, pki().ca, at(std::chrono::system_clock::now()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().fault_code(), "incorrect_validation_info");
  EXPECT_NE(r.error().detail().find("CertID"), std::string::npos);
}

TEST(Ocsp, AnUnauthorizedResponderIsRefusedUnlessTheConfigurationListsIt) {
  TempDir dir;
  const std::string resp = openssl_respond(dir, pki().good, pki().rogue, pki().rogue_key);
  auto r = verify_ocsp_response(resp, pki().good, pki().ca, at(std::chrono::system_clock::now()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail().find("not authorized"), std::string::npos) << r.error().detail();
  EXPECT_TRUE(verify_ocsp_response(resp, pki().good, pki().ca, at(std::chrono::system_clock::now(), {pki().rogue})).ok());
}

TEST(Ocsp, FreshnessAndNextUpdate) {
  TempDir dir;
  const std::string resp = openssl_respond(dir, pki().good, pki().ocsp, pki().ocsp_key);
  const auto now = std::chrono::system_clock::now();
  auto stale = verify_ocsp_response(resp, pki().good, pki().ca, at(now + 2h));  // freshness 3600 s
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().detail().find("older than the allowed 3600 s"), std::string::npos) << stale.error().detail();
  OcspCheck lenient = at(now + 48h);
  lenient.freshness = std::chrono::hours(72);
  auto expired = verify_ocsp_response(resp, pki().good, pki().ca, lenient);
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.error().detail().find("nextUpdate has passed"), std::string::npos);
  lenient.verify_next_update = false;
  EXPECT_TRUE(verify_ocsp_response(resp, pki().good, pki().ca, lenient).ok());
}

TEST(Ocsp, AResponseCheckedBeforeIsStillJudgedByTheTimeAndStatusOfEachCheck) {
  TempDir dir;
  const std::string good = openssl_respond(dir, pki().good, pki().ocsp, pki().ocsp_key);
  const auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(verify_ocsp_response(good, pki().good, pki().ca, at(now)).ok());
  ASSERT_TRUE(verify_ocsp_response(good, pki().good, pki().ca, at(now)).ok());  // from the cache
  auto stale = verify_ocsp_response(good, pki().good, pki().ca, at(now + 2h));
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().detail().find("older than the allowed"), std::string::npos) << stale.error().detail();
  // The same response about another certificate, or with another issuer, is not taken from the cache.
  EXPECT_FALSE(verify_ocsp_response(good, pki().revoked, pki().ca, at(now)).ok());
  EXPECT_FALSE(verify_ocsp_response(good, pki().good, pki().rogue, at(now)).ok());

  const std::string revoked = openssl_respond(dir, pki().revoked, pki().ocsp, pki().ocsp_key);
  for (int i = 0; i < 2; ++i) {
    auto r = verify_ocsp_response(revoked, pki().revoked, pki().ca, at(now));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().detail().find("revoked"), std::string::npos);
  }
}

// Issue 13, item 15: a response "from the future" would stay fresh for longer than the
// configuration's freshness allows; only clock skew of up to a minute is tolerated.
TEST(OcspThisUpdateInTheFuture, IsRefusedBeyondAMinuteOfClockSkew) {
  TempDir dir;
  const std::string resp = openssl_respond(dir, pki().good, pki().ocsp, pki().ocsp_key);
  const auto now = std::chrono::system_clock::now();
  // Checked two minutes before the responder's thisUpdate (this server's clock behind).
  auto ahead = verify_ocsp_response(resp, pki().good, pki().ca, at(now - 2min));
  ASSERT_FALSE(ahead.ok());
  EXPECT_EQ(ahead.error().fault_code(), "incorrect_validation_info");
  EXPECT_NE(ahead.error().detail().find("thisUpdate is in the future"), std::string::npos) << ahead.error().detail();
  // Thirty seconds of skew is fine.
  auto skewed = verify_ocsp_response(resp, pki().good, pki().ca, at(now - 30s));
  EXPECT_TRUE(skewed.ok()) << skewed.error().to_string();
}

TEST(Ocsp, TamperedAndGarbageResponses) {
  TempDir dir;
  std::string resp = openssl_respond(dir, pki().good, pki().ocsp, pki().ocsp_key);
  resp[resp.size() / 3] ^= 0x01;
  EXPECT_FALSE(verify_ocsp_response(resp, pki().good, pki().ca, at(std::chrono::system_clock::now())).ok());
  auto garbage = verify_ocsp_response("garbage", pki().good, pki().ca, at(std::chrono::system_clock::now()));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().fault_code(), "incorrect_validation_info");
}

}  // namespace
}  // namespace roadside::crypto
