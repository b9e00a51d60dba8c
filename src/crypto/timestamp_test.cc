// RFC 3161 requests and token verification, against `openssl ts -reply` as the TSA and
// against the tokens in X-Road's own containers.
#include <gtest/gtest.h>

#include <cstdlib>

#include "crypto/crypto.h"
#include "crypto/test_pki.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::crypto {
namespace {

const roadside::testing::TestPki& tsa() { return roadside::testing::test_pki(); }

using roadside::testing::read_file;
using roadside::testing::TempDir;
using roadside::testing::write_file;


// openssl ts -reply answers Roadside's request for `data`; returns the DER response.
std::string openssl_tsa_reply(TempDir& dir, std::string_view data) {
  return roadside::testing::openssl_ts_reply(dir, tsa().tsa.to_pem(), tsa().tsa_key.to_pem(), *make_timestamp_request(data));
}

TEST(Timestamp, RequestIsSha512WithoutNonceOrCertReq) {
  TempDir dir;
  write_file(dir / "req.tsq", *make_timestamp_request("data to stamp"));
  const std::string out = (dir / "req.txt").string();
  ASSERT_EQ(std::system(("openssl ts -query -in " + (dir / "req.tsq").string() + " -text > " + out).c_str()), 0);
  const std::string text = read_file(out);
  EXPECT_NE(text.find("Hash Algorithm: sha512"), std::string::npos) << text;
  EXPECT_NE(text.find("Nonce: unspecified"), std::string::npos) << text;
  EXPECT_NE(text.find("Certificate required: no"), std::string::npos) << text;
  EXPECT_NE(text.find(to_hex(sha512("data to stamp")).substr(0, 2)), std::string::npos);
}

TEST(Timestamp, TokensFromAnIndependentTsaVerify) {
  TempDir dir;
  const std::string resp = openssl_tsa_reply(dir, "ts-hashchainresult bytes");
  auto token = timestamp_token_from_response(resp);
  ASSERT_TRUE(token.ok()) << token.error().to_string();
  auto info = verify_timestamp_token(*token, "ts-hashchainresult bytes", {tsa().tsa});
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->tsa_subject, "CN=Test TSA");
  EXPECT_LT(std::chrono::abs(info->gen_time - std::chrono::system_clock::now()), std::chrono::minutes(5));

  auto other_data = verify_timestamp_token(*token, "other bytes", {tsa().tsa});
  ASSERT_FALSE(other_data.ok());
  EXPECT_NE(other_data.error().detail().find("imprint differs"), std::string::npos);
  auto unapproved = verify_timestamp_token(*token, "ts-hashchainresult bytes", {tsa().ca});
  ASSERT_FALSE(unapproved.ok());
  EXPECT_NE(unapproved.error().detail().find("not signed by an approved"), std::string::npos);
  std::string tampered = *token;
  tampered[tampered.size() - 20] ^= 1;  // inside the signature
  EXPECT_FALSE(verify_timestamp_token(tampered, "ts-hashchainresult bytes", {tsa().tsa}).ok());
  EXPECT_FALSE(timestamp_token_from_response("garbage").ok());
}

// A refused response leaves no OpenSSL error behind for the next call to report as its own
// (timestamp_fuzz, corpus/timestamp/status-too-large-for-a-long).
TEST(Timestamp, ARefusalLeavesNoErrorForTheNextCall) {
  const std::string status_too_large("\x30\x0d\x30\x0b\x02\x09\x01\0\0\0\0\0\0\0\0", 15);  // PKIStatus 2^64
  const std::string alone = verify_timestamp_token("garbage", "data", {}).error().detail();
  auto refused = timestamp_token_from_response(status_too_large);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().detail().find("refused"), std::string::npos) << refused.error().detail();
  EXPECT_EQ(verify_timestamp_token("garbage", "data", {}).error().detail(), alone);
}

}  // namespace
}  // namespace roadside::crypto
