// 4. The provider's authentication certificate, as the client proxy judges it at the TLS
// handshake: registered, chained to an approved CA, within its validity, and good by an OCSP
// response from the provider's server (tests/integration/exchange_test.cc fetches them).
#include "proxy/peer_trust.h"

#include <gtest/gtest.h>

#include "proxy/proxy_fakes.h"
#include "testbed/authority.h"
#include "trust/certificate_profile.h"

namespace roadside::proxy {
namespace {

using namespace std::chrono_literals;

struct Pki {
  crypto::PrivateKey ca_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::Certificate ca =
      *crypto::issue_certificate({.common_name = "CA", .usage = crypto::Usage::ca}, ca_key, nullptr, ca_key);
  crypto::PrivateKey ocsp_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::Certificate ocsp =
      *crypto::issue_certificate({.common_name = "OCSP", .usage = crypto::Usage::ocsp_signing}, ocsp_key, &ca, ca_key);
  crypto::PrivateKey key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);

  crypto::Certificate auth(std::uint64_t serial,
                           std::chrono::system_clock::time_point not_before = std::chrono::system_clock::now() - 5min,
                           std::chrono::seconds validity = 24h) {
    return *crypto::issue_certificate({.common_name = "ss2",
                                       .usage = crypto::Usage::tls_server_and_client,
                                       .not_before = not_before,
                                       .validity = validity,
                                       .serial = serial},
                                      key, &ca, ca_key);
  }
  // The responder's answer for `cert`, made at `at`.
  std::string response(const crypto::Certificate& cert, crypto::CertStatus status,
                       std::chrono::system_clock::time_point at = std::chrono::system_clock::now()) {
    auto request = crypto::make_ocsp_request(cert, ca);
    auto lookup = [&](const std::string&) -> std::optional<testbed::OcspAnswer> {
      return testbed::OcspAnswer{status, at - 1h};
    };
    return *testbed::make_ocsp_response(*request, lookup, {ca, ocsp, ocsp_key}, at, 1h);
  }
};

constexpr const char* kAt = "SERVER:DEV/COM/1002/ss2";  // the server expected

TEST(ProviderAuthCertValidation, RegisteredChainedValidAndGoodByOcspOrRefused) {
  Pki pki;
  const auto now = std::chrono::system_clock::now();
  const crypto::Certificate good = pki.auth(1), revoked = pki.auth(2), expired = pki.auth(3, now - 72h, 24h),
                            unregistered = pki.auth(4);
  globalconf::SharedParameters shared;
  shared.ocsp_freshness_seconds = 600;
  shared.approved_cas.push_back(
      {"CA", false, {pki.ca, {{"http://ocsp.example", pki.ocsp, "FREE"}}}, {}, std::string(trust::kFiVrkProfile)});
  globalconf::SecurityServer ss2{*XRoadId::server("DEV", "COM", "1002", "ss2"), "127.0.0.3", {}, {}};
  for (const auto* c : {&good, &revoked, &expired}) ss2.auth_cert_hashes.push_back(crypto::sha256(c->to_der()));
  shared.security_servers.push_back(ss2);
  PeerTrust trust;

  // No OCSP status yet: refused, and the certificate waits for its server's responses.
  EXPECT_NE(trust.check({good.to_der()}, shared, now, kAt).find("no OCSP response"), std::string::npos);
  auto pending = trust.pending(ss2);
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->to_der(), good.to_der());
  // Every request that met the refusal may fetch: a second one side by side is not left out.
  EXPECT_TRUE(trust.pending(ss2).has_value());
  trust.store(good, {pki.response(good, crypto::CertStatus::good)});
  EXPECT_FALSE(trust.pending(ss2).has_value()) << "stored, so no longer pending";
  EXPECT_EQ(trust.check({good.to_der()}, shared, now, kAt), "");

  // Revoked, by its own server's response.
  trust.store(revoked, {pki.response(revoked, crypto::CertStatus::revoked)});
  EXPECT_NE(trust.check({revoked.to_der()}, shared, now, kAt).find("revoked"), std::string::npos)
      << trust.check({revoked.to_der()}, shared, now, kAt);

  // Expired, with a good OCSP response.
  trust.store(expired, {pki.response(expired, crypto::CertStatus::good)});
  EXPECT_NE(trust.check({expired.to_der()}, shared, now, kAt), "");

  // A stale response is no status at all: refused and pending again.
  trust.store(good, {pki.response(good, crypto::CertStatus::good, now - 20min)});
  EXPECT_NE(trust.check({good.to_der()}, shared, now, kAt), "");
  EXPECT_TRUE(trust.pending(ss2).has_value());

  // Not registered for any server: refused, nothing to fetch.
  EXPECT_NE(trust.check({unregistered.to_der()}, shared, now, kAt).find("not registered"), std::string::npos);
  EXPECT_EQ(trust.check({}, shared, now, kAt), "the server presented no certificate");
}

// A certificate registered for one server, presented by whatever answers where the client
// called another (a DNS or routing attack, a member that registered its server at another's
// address): refused at the handshake, before any byte of the request is sent there.
TEST(ProviderAuthCertValidation, ACertificateOfAnotherServerIsRefusedAtTheHandshake) {
  Pki pki;
  const auto now = std::chrono::system_clock::now();
  const crypto::Certificate ss3_cert = pki.auth(7);
  globalconf::SharedParameters shared;
  shared.ocsp_freshness_seconds = 600;
  shared.approved_cas.push_back(
      {"CA", false, {pki.ca, {{"http://ocsp.example", pki.ocsp, "FREE"}}}, {}, std::string(trust::kFiVrkProfile)});
  // Both registered at one address.
  shared.security_servers.push_back({*XRoadId::server("DEV", "COM", "1002", "ss2"), "ss.example", {}, {}});
  globalconf::SecurityServer ss3{*XRoadId::server("DEV", "ORG", "1003", "ss3"), "ss.example", {}, {}};
  ss3.auth_cert_hashes.push_back(crypto::sha256(ss3_cert.to_der()));
  shared.security_servers.push_back(ss3);
  PeerTrust trust;
  trust.store(ss3_cert, {pki.response(ss3_cert, crypto::CertStatus::good)});
  EXPECT_EQ(trust.check({ss3_cert.to_der()}, shared, now, ss3.id.to_string()), "");
  const std::string why =
      trust.check({ss3_cert.to_der()}, shared, now, XRoadId::server("DEV", "COM", "1002", "ss2")->to_string());
  EXPECT_NE(why.find("DEV/ORG/1003/ss3"), std::string::npos) << why;
  EXPECT_NE(why.find("DEV/COM/1002/ss2"), std::string::npos) << why;
}

// The handshake check judges by the rules it is given: a test's, or X-Road's by default.
TEST(ProviderAuthCertValidation, TheRulesGivenJudgeNotAlwaysXRoads) {
  Pki pki;
  const auto now = std::chrono::system_clock::now();
  const crypto::Certificate cert = pki.auth(11);
  globalconf::SharedParameters shared;  // no approved CA: X-Road's rules refuse every certificate
  globalconf::SecurityServer ss2{*XRoadId::server("DEV", "COM", "1002", "ss2"), "127.0.0.3", {}, {}};
  ss2.auth_cert_hashes.push_back(crypto::sha256(cert.to_der()));
  shared.security_servers.push_back(ss2);

  EXPECT_NE(PeerTrust().check({cert.to_der()}, shared, now, kAt), "");
  fakes::FakeTrust rules;
  PeerTrust trust(rules);
  trust.store(cert, {"the stored response"});
  EXPECT_EQ(trust.check({cert.to_der()}, shared, now, kAt), "");
  ASSERT_EQ(rules.ocsp_seen.size(), 1u);
  EXPECT_EQ(rules.ocsp_seen[0], std::vector<std::string>{"the stored response"});
  rules.refuse_certificate = Error(make_error_code(crypto::errc::cert_validation), "refused by the test's rules");
  EXPECT_NE(trust.check({cert.to_der()}, shared, now, kAt).find("refused by the test's rules"), std::string::npos);
}

// A request refused before another stored the responses finds nothing pending; the
// generation tells it to connect again rather than fail.
TEST(ProviderAuthCertValidation, StoringMovesTheGeneration) {
  Pki pki;
  PeerTrust trust;
  const auto before = trust.generation();
  const crypto::Certificate cert = pki.auth(9);
  trust.store(cert, {pki.response(cert, crypto::CertStatus::good)});
  EXPECT_GT(trust.generation(), before);
}

TEST(ProviderAuthCertValidation, TheResponderAnswerIsMultipartOcspResponses) {
  auto two = ocsp_responses_of("multipart/related; type=\"application/ocsp-response\"; boundary=b",
                               "--b\r\ncontent-type: application/ocsp-response\r\n\r\nONE\r\n--b\r\ncontent-type: "
                               "application/ocsp-response\r\n\r\nTWO\r\n--b--\r\n");
  ASSERT_TRUE(two.ok()) << two.error().to_string();
  EXPECT_EQ(*two, (std::vector<std::string>{"ONE", "TWO"}));
  EXPECT_EQ(ocsp_responses_of("text/plain", "no").error().fault_code(), "ssl_authentication_failed");
  EXPECT_FALSE(
      ocsp_responses_of("multipart/related; boundary=b", "--b\r\ncontent-type: text/plain\r\n\r\nx\r\n--b--\r\n").ok());
}

}  // namespace
}  // namespace roadside::proxy
