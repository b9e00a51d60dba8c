// The test CA's OCSP responder, TSA and CSR signing over HTTP, as OpenSSL's clients and curl
// use them.
#include "testbed/authorities.h"

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/executor_work_guard.hpp>

#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::testbed {
namespace {

using roadside::testing::read_file;
using roadside::testing::run_command;
using roadside::testing::TempDir;
using roadside::testing::write_file;

class Authorities : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto ca = TestCa::create(dir_.path() / "ca", "Testbed CA", GetParam());
    ASSERT_TRUE(ca.ok()) << ca.error().to_string();
    ca_ = std::move(ca).value();
    server_ = std::make_unique<AuthorityServer>(io_, *ca_, "DEV", net::ServerOptions{}, metrics_);
    ASSERT_TRUE(server_->start().ok());
    thread_ = std::thread([this] { io_.run(); });
    key_ = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
    auto cert = ca_->issue_signing(*XRoadId::member("DEV", "COM", "1234"), "ss1", "Test member", *key_);
    ASSERT_TRUE(cert.ok()) << cert.error().to_string();
    cert_ = *cert;
    write_file(dir_ / "ca.pem", ca_->ca().to_pem());
    write_file(dir_ / "tsa.pem", ca_->tsa().to_pem());
    write_file(dir_ / "cert.pem", cert_->to_pem());
  }
  void TearDown() override {
    if (server_) server_->stop_blocking(std::chrono::seconds(1));
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string d() const { return dir_.path().string(); }
  // `openssl ocsp` asking the responder over HTTP about the issued certificate.
  std::string openssl_ocsp() const {
    std::string out;
    run_command("openssl ocsp -issuer " + d() + "/ca.pem -cert " + d() + "/cert.pem -url " + server_->ocsp_url() + " -CAfile " +
                    d() + "/ca.pem -resp_text",
                &out);
    return out;
  }

  TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{io_.get_executor()};
  std::thread thread_;
  metrics::Registry metrics_;
  std::unique_ptr<TestCa> ca_;
  std::unique_ptr<AuthorityServer> server_;
  std::optional<crypto::PrivateKey> key_;
  std::optional<crypto::Certificate> cert_;
};

TEST_P(Authorities, OpenSslOcspSeesGoodThenRevoked) {
  std::string out = openssl_ocsp();
  EXPECT_NE(out.find("Response verify OK"), std::string::npos) << out;
  EXPECT_NE(out.find("cert.pem: good"), std::string::npos) << out;
  EXPECT_NE(out.find("Next Update:"), std::string::npos) << out;

  ASSERT_TRUE(ca_->revoke(*cert_, std::chrono::system_clock::now()).ok());
  out = openssl_ocsp();
  EXPECT_NE(out.find("cert.pem: revoked"), std::string::npos) << out;

  // The revocation is part of the CA's state on disk.
  auto reloaded = TestCa::load(dir_.path() / "ca");
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().to_string();
  ASSERT_TRUE((*reloaded)->status(cert_->serial_hex()).has_value());
  EXPECT_EQ((*reloaded)->status(cert_->serial_hex())->status, crypto::CertStatus::revoked);
  EXPECT_FALSE((*reloaded)->status("ABCDEF").has_value());
}

TEST_P(Authorities, OcspOverGetAsRfc6960Describes) {
  auto req = crypto::make_ocsp_request(*cert_, ca_->ca());
  ASSERT_TRUE(req.ok());
  std::string b64 = crypto::base64_encode(*req), encoded;
  for (char c : b64) encoded += c == '+' ? "%2B" : c == '/' ? "%2F" : c == '=' ? "%3D" : std::string(1, c);
  std::string out;
  ASSERT_EQ(run_command("curl -sf -o " + d() + "/get.der " + server_->ocsp_url() + "/" + encoded, &out), 0) << out;
  crypto::OcspCheck check;
  check.now = std::chrono::system_clock::now();
  auto st = crypto::verify_ocsp_response(read_file(dir_ / "get.der"), *cert_, ca_->ca(), check);
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(st->status, crypto::CertStatus::good);

  EXPECT_NE(run_command("curl -sf " + server_->ocsp_url() + "/not-base64!", &out), 0);
  EXPECT_NE(run_command("curl -sf " + server_->ocsp_url().substr(0, server_->ocsp_url().size() - 5) + "/other", &out), 0);
  run_command("curl -s -o /dev/null -w '%{http_code}' " + server_->tsa_url(), &out);
  EXPECT_EQ(out, "405");
}

TEST_P(Authorities, OpenSslTimestampQueryThroughCurlVerifies) {
  write_file(dir_ / "data", "what is time-stamped");
  std::string out;
  const int rc = run_command("openssl ts -query -data " + d() + "/data -sha512 -cert | curl -sf --data-binary @- -H "
                             "'Content-Type: application/timestamp-query' -o " + d() + "/resp.tsr " + server_->tsa_url(),
                             &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(run_command("openssl ts -verify -data " + d() + "/data -in " + d() + "/resp.tsr -CAfile " + d() + "/ca.pem -untrusted " +
                            d() + "/tsa.pem",
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("Verification: OK"), std::string::npos) << out;
  // And the token verifies as the message log checks it, against the approved TSA.
  auto token = crypto::timestamp_token_from_response(read_file(dir_ / "resp.tsr"));
  ASSERT_TRUE(token.ok()) << token.error().to_string();
  EXPECT_TRUE(crypto::verify_timestamp_token(*token, "what is time-stamped", {ca_->tsa()}).ok());
}

TEST_P(Authorities, IssuedCertificatesFollowTheFiVrkProfile) {
  EXPECT_TRUE(cert_->is_signing_cert());
  EXPECT_EQ(cert_->subject_entry("serialNumber"), "DEV/ss1/COM");
  EXPECT_EQ(cert_->subject_entry("CN"), "1234");
  auto auth_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto auth = ca_->issue_auth(*XRoadId::server("DEV", "COM", "1234", "ss1"), auth_key);
  ASSERT_TRUE(auth.ok()) << auth.error().to_string();
  EXPECT_TRUE(auth->is_auth_cert());
  EXPECT_FALSE(auth->is_signing_cert());
  // Another CA's certificate cannot be revoked here.
  EXPECT_FALSE(ca_->revoke(ca_->ca(), std::chrono::system_clock::now()).ok());
}

TEST_P(Authorities, SignsCsrsPostedToItForTheOcspResponderToKnow) {
  const auto key = *crypto::PrivateKey::generate(crypto::KeyType::rsa2048);
  write_file(
      dir_ / "sign.der",
      *crypto::make_csr(key, {{"C", "FI"}, {"O", "Test member"}, {"serialNumber", "DEV/ss1/COM"}, {"CN", "1234"}}));
  std::string out;
  ASSERT_EQ(run_command("curl -sf -D " + d() + "/headers --data-binary @" + d() +
                            "/sign.der -H 'Content-Type: application/pkcs10' -o " + d() + "/new.der '" +
                            server_->sign_url() + "?usage=sign'",
                        &out),
            0)
      << out;
  EXPECT_NE(read_file(dir_ / "headers").find("Content-Type: application/pkix-cert"), std::string::npos)
      << read_file(dir_ / "headers");
  auto cert = crypto::Certificate::from_der(read_file(dir_ / "new.der"));
  ASSERT_TRUE(cert.ok()) << cert.error().to_string();
  EXPECT_TRUE(cert->matches_key(key));
  EXPECT_TRUE(cert->is_signing_cert());
  EXPECT_EQ(cert->subject(), cert_->subject());
  write_file(dir_ / "new.pem", cert->to_pem());
  EXPECT_EQ(run_command("openssl verify -CAfile " + d() + "/ca.pem " + d() + "/new.pem", &out), 0) << out;
  EXPECT_EQ(run_command("openssl ocsp -issuer " + d() + "/ca.pem -cert " + d() + "/new.pem -url " +
                            server_->ocsp_url() + " -CAfile " + d() + "/ca.pem",
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("new.pem: good"), std::string::npos) << out;

  // PEM works too.
  const auto ec = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto auth_csr = crypto::CertificateRequest::from_der(
      *crypto::make_csr(ec, {{"C", "FI"}, {"O", "Test member"}, {"serialNumber", "DEV/ss1/COM"}, {"CN", "ss1"}},
                        {.key_usage = crypto::CsrKeyUsage::auth}));
  ASSERT_TRUE(auth_csr.ok());
  write_file(dir_ / "auth.pem", auth_csr->to_pem());
  ASSERT_EQ(run_command("curl -sf --data-binary @" + d() + "/auth.pem -o " + d() + "/auth.der '" + server_->sign_url() +
                            "?usage=auth'",
                        &out),
            0)
      << out;
  auto auth = crypto::Certificate::from_der(read_file(dir_ / "auth.der"));
  ASSERT_TRUE(auth.ok()) << auth.error().to_string();
  EXPECT_TRUE(auth->is_auth_cert());
  EXPECT_TRUE(auth->matches_key(ec));

  // Refusals say why, as text.
  write_file(dir_ / "garbage", "not a CSR");
  write_file(dir_ / "weak-subject.der", *crypto::make_csr(key, {{"CN", "1234"}}));
  write_file(dir_ / "big", std::string(70 * 1024, 'x'));
  auto status = [&](const std::string& args, const std::string& query) {
    std::string code;
    run_command("curl -s -o " + d() + "/body -w '%{http_code}' " + args + " '" + server_->sign_url() + query + "'",
                &code);
    return code;
  };
  EXPECT_EQ(status("--data-binary @" + d() + "/sign.der", "?usage=both"), "400");
  EXPECT_NE(read_file(dir_ / "body").find("usage=auth or /sign?usage=sign"), std::string::npos)
      << read_file(dir_ / "body");
  EXPECT_EQ(status("--data-binary @" + d() + "/sign.der", ""), "400");
  EXPECT_EQ(status("--data-binary @" + d() + "/garbage", "?usage=sign"), "400");
  EXPECT_NE(read_file(dir_ / "body").find("not a CSR"), std::string::npos) << read_file(dir_ / "body");
  EXPECT_EQ(status("--data-binary @" + d() + "/weak-subject.der", "?usage=sign"), "400");
  EXPECT_NE(read_file(dir_ / "body").find("is missing"), std::string::npos) << read_file(dir_ / "body");
  EXPECT_EQ(status("--data-binary @" + d() + "/big", "?usage=sign"), "413");
  EXPECT_EQ(status("", "?usage=sign"), "405");
  EXPECT_EQ(metrics_.value("roadside_testbed_csrs_total", {{"result", "signed"}}), 2);
  EXPECT_EQ(metrics_.value("roadside_testbed_csrs_total", {{"result", "refused"}}), 4);
}

INSTANTIATE_TEST_SUITE_P(Keys, Authorities, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "ecdsa" : "rsa"; });

}  // namespace
}  // namespace roadside::testbed
