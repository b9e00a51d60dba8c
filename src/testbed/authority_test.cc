// Roadside's OCSP responder and TSA answers, read by Roadside's client side and by OpenSSL's
// `ocsp` and `ts` commands.
#include "testbed/authority.h"

#include <gtest/gtest.h>

#include "crypto/test_pki.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::testbed {
using namespace crypto;  // NOLINT(google-build-using-namespace): the facade this answers
namespace {

const roadside::testing::TestPki& authority() {
  return roadside::testing::test_pki();
}

using roadside::testing::run_command;
using roadside::testing::TempDir;
using roadside::testing::write_file;

std::optional<OcspAnswer> lookup(const std::string& serial) {
  if (serial == authority().good.serial_hex()) return OcspAnswer{CertStatus::good, {}};
  if (serial == authority().revoked.serial_hex()) {
    return OcspAnswer{CertStatus::revoked, std::chrono::system_clock::now() - std::chrono::hours(1)};
  }
  return std::nullopt;
}

Result<std::string> answer(const Certificate& cert, const Certificate& issuer) {
  const auto& a = authority();
  return make_ocsp_response(*make_ocsp_request(cert, issuer), lookup, {a.ca, a.ocsp, a.ocsp_key},
                            std::chrono::system_clock::now(), std::chrono::hours(1));
}

TEST(OcspResponder, AnswersGoodRevokedAndUnknown) {
  const auto& a = authority();
  OcspCheck check;
  check.now = std::chrono::system_clock::now();
  auto good = verify_ocsp_response(*answer(a.good, a.ca), a.good, a.ca, check);
  ASSERT_TRUE(good.ok()) << good.error().to_string();
  EXPECT_EQ(good->status, CertStatus::good);
  ASSERT_TRUE(good->next_update.has_value());

  auto revoked = verify_ocsp_response(*answer(a.revoked, a.ca), a.revoked, a.ca, check);
  ASSERT_FALSE(revoked.ok());
  EXPECT_EQ(revoked.error().fault_code(), "cert_validation");

  // Another CA's certificate: this responder does not know it.
  auto unknown = verify_ocsp_response(*answer(a.stranger, a.stranger), a.stranger, a.stranger, check);
  EXPECT_FALSE(unknown.ok());

  // OpenSSL reads the same answers.
  TempDir dir;
  write_file(dir / "ca.pem", a.ca.to_pem());
  write_file(dir / "good.pem", a.good.to_pem());
  write_file(dir / "revoked.pem", a.revoked.to_pem());
  write_file(dir / "good.der", *answer(a.good, a.ca));
  write_file(dir / "revoked.der", *answer(a.revoked, a.ca));
  const std::string d = dir.path().string();
  std::string out;
  EXPECT_EQ(run_command("openssl ocsp -respin " + d + "/good.der -CAfile " + d + "/ca.pem -issuer " + d +
                            "/ca.pem -cert " + d + "/good.pem",
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
  EXPECT_NE(out.find("good.pem: good"), std::string::npos) << out;
  run_command("openssl ocsp -respin " + d + "/revoked.der -CAfile " + d + "/ca.pem -issuer " + d + "/ca.pem -cert " +
                  d + "/revoked.pem",
              &out);
  EXPECT_NE(out.find("revoked.pem: revoked"), std::string::npos) << out;
}

TEST(OcspResponder, GarbageGetsMalformedRequest) {
  const auto& a = authority();
  auto resp = make_ocsp_response("not DER", lookup, {a.ca, a.ocsp, a.ocsp_key}, std::chrono::system_clock::now(),
                                 std::chrono::hours(1));
  ASSERT_TRUE(resp.ok());
  OcspCheck check;
  check.now = std::chrono::system_clock::now();
  auto st = verify_ocsp_response(*resp, a.good, a.ca, check);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().fault_code(), "incorrect_validation_info");
}

// A signed thisUpdate centuries before this server's clock is refused as too old, and the
// message gives its age (ocsp_fuzz, corpus/ocsp/this-update-1700: the difference of the time
// points, in nanoseconds, overflowed past 292 years).
TEST(OcspResponder, ThisUpdateCenturiesAgoIsRefusedWithItsAge) {
  using std::chrono::sys_days;
  using std::chrono::year;
  const auto& a = authority();
  auto resp = make_ocsp_response(*make_ocsp_request(a.good, a.ca), lookup, {a.ca, a.ocsp, a.ocsp_key},
                                 sys_days{year{1700} / 1 / 1}, std::chrono::hours(1));
  ASSERT_TRUE(resp.ok());
  OcspCheck check;
  check.now = sys_days{year{2026} / 1 / 1};
  auto r = verify_ocsp_response(*resp, a.good, a.ca, check);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().fault_code(), "incorrect_validation_info");
  EXPECT_NE(r.error().detail().find("(thisUpdate 10287561600 s ago)"), std::string::npos) << r.error().detail();
}

TEST(Tsa, TokensVerifyHereAndInOpenSsl) {
  const auto& a = authority();
  const std::string data = "the signature value";
  auto resp =
      make_timestamp_response(*make_timestamp_request(data), a.tsa, a.tsa_key, 7, std::chrono::system_clock::now());
  ASSERT_TRUE(resp.ok()) << resp.error().to_string();
  auto token = timestamp_token_from_response(*resp);
  ASSERT_TRUE(token.ok()) << token.error().to_string();
  auto info = verify_timestamp_token(*token, data, {a.tsa});
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->serial_hex, "07");

  TempDir dir;
  write_file(dir / "data", data);
  write_file(dir / "resp.tsr", *resp);
  write_file(dir / "ca.pem", a.ca.to_pem());
  write_file(dir / "tsa.pem", a.tsa.to_pem());
  const std::string d = dir.path().string();
  std::string out;
  EXPECT_EQ(run_command("openssl ts -verify -data " + d + "/data -in " + d + "/resp.tsr -CAfile " + d +
                            "/ca.pem -untrusted " + d + "/tsa.pem",
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("Verification: OK"), std::string::npos) << out;

  // Garbage is rejected, not signed.
  auto rejected = make_timestamp_response("garbage", a.tsa, a.tsa_key, 8, std::chrono::system_clock::now());
  ASSERT_TRUE(rejected.ok());
  EXPECT_FALSE(timestamp_token_from_response(*rejected).ok());
}

}  // namespace
}  // namespace roadside::testbed
