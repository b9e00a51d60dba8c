// `roadside testbed init` and `up` as a newcomer runs them: a two-server instance whose
// authorities, publisher and servers all answer, checked with OpenSSL, curl and the servers'
// own logs and metrics.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include "crypto/crypto.h"
#include "globalconf/parameters.h"
#include "management/messages.h"
#include "management/signed_request.h"
#include "signer/keyconf.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"
#include "testbed/authority.h"
#include "testbed/ca.h"
#include "trust/certificate_profile.h"

namespace roadside::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

unsigned short port_of(const std::string& url) {
  const auto colon = url.rfind(':');
  return static_cast<unsigned short>(std::stoi(url.substr(colon + 1)));
}


TEST(Testbed, InitAndUpStartATwoServerInstance) {
  TempDir dir;
  const std::string d = (dir / "tb").string();
  std::string out;
  ASSERT_EQ(run_command(roadside_binary().string() + " testbed init --dir " + d + " --servers 2", &out), 0) << out;
  EXPECT_NE(run_command(roadside_binary().string() + " testbed init --dir " + d, &out), 0) << "a second init must refuse";
  // An option it cannot take is the user's mistake: exit 2 naming it, as configuration errors.
  EXPECT_EQ(run_command(roadside_binary().string() + " testbed init --dir " + d + "-bogus --profile Bogus", &out), 2) << out;
  EXPECT_NE(out.find("unknown certificate profile \"Bogus\""), std::string::npos) << out;
  EXPECT_EQ(out.find("internal_error"), std::string::npos) << out;

  // The contract.
  const json j = json::parse(read_file(dir / "tb" / "instance.json"));
  for (const char* key : {"instance", "anchor", "globalconf_url", "ca", "tsa_url", "servers", "services", "token_pin_env"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["instance"], "DEV");
  EXPECT_EQ(j["token_pin_env"], "XROAD_TOKEN_PIN");
  EXPECT_TRUE(j["ca"].contains("cert") && j["ca"].contains("ocsp_url"));
  ASSERT_EQ(j["servers"].size(), 2u);
  for (const auto& s : j["servers"]) {
    for (const char* key : {"id", "owner", "config", "client_http", "client_https", "server_port", "health_url", "admin_url", "clients"}) {
      EXPECT_TRUE(s.contains(key)) << key;
    }
  }
  EXPECT_EQ(j["servers"][0]["id"], "SERVER:DEV/COM/1001/ss1");
  ASSERT_EQ(j["services"].size(), 3u);
  EXPECT_EQ(j["services"][0]["type"], "REST");
  EXPECT_EQ(j["services"][1]["type"], "SOAP");
  EXPECT_EQ(j["services"][2]["type"], "REST");
  for (const auto& s : j["services"]) EXPECT_EQ(s["allowed_clients"].size(), 2u);

  Process up({roadside_binary().string(), "testbed", "up", "--dir", d}, {}, dir / "up.log");
  ASSERT_TRUE(up.wait_for_output("\"msg\":\"testbed is up\"", 20s)) << up.output();

  // The publisher: a directory that verifies against the anchor.
  auto conf = http_get(port_of(j["globalconf_url"].get<std::string>().substr(0, j["globalconf_url"].get<std::string>().find("/internalconf"))),
                       "/internalconf?version=6", 2s);
  ASSERT_TRUE(conf.has_value());
  EXPECT_EQ(conf->status, 200);
  EXPECT_EQ(run_command(roadside_binary().string() + " verify-globalconf --anchor " + j["anchor"].get<std::string>() + " " + d +
                            "/public/V6/internalconf",
                        &out),
            0)
      << out;

  // The OCSP responder knows ss1's signing certificate, which opens from its token with the PIN.
  auto pin = read_file(dir / "tb" / "secrets" / "token-pin");
  pin.pop_back();
  auto id = signer::open_soft_token_signing_key(j["servers"][0]["token"].get<std::string>(), pin,
                                                 *XRoadId::member("DEV", "COM", "1001"));
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  write_file(dir / "sign.pem", id->cert.to_pem());
  const std::string ca = j["ca"]["cert"].get<std::string>();
  EXPECT_EQ(run_command("openssl ocsp -issuer " + ca + " -cert " + (dir / "sign.pem").string() + " -url " +
                            j["ca"]["ocsp_url"].get<std::string>() + " -CAfile " + ca,
                        &out),
            0)
      << out;
  EXPECT_NE(out.find("sign.pem: good"), std::string::npos) << out;

  // The TSA.
  write_file(dir / "data", "stamp me");
  EXPECT_EQ(run_command("openssl ts -query -data " + (dir / "data").string() + " -sha512 | curl -sf --data-binary @- -H "
                        "'Content-Type: application/timestamp-query' -o " + (dir / "r.tsr").string() + " " +
                            j["tsa_url"].get<std::string>() + " && openssl ts -verify -data " + (dir / "data").string() +
                            " -in " + (dir / "r.tsr").string() + " -CAfile " + ca + " -untrusted " + j["tsa_cert"].get<std::string>(),
                        &out),
            0)
      << out;

  // Both servers download and verify the configuration, and are alive.
  for (const auto& s : j["servers"]) {
    const std::string log = s["log"].get<std::string>();
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (read_file(log).find("\"msg\":\"global configuration updated\"") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(50ms);
    }
    EXPECT_NE(read_file(log).find("\"msg\":\"global configuration updated\""), std::string::npos) << read_file(log);
    const unsigned short health = port_of(s["health_url"].get<std::string>());
    auto live = http_get(health, "/livez", 2s);
    ASSERT_TRUE(live.has_value());
    EXPECT_EQ(live->status, 200);
    // (The log line comes before the metrics are set.)
    const std::string metrics = metrics_when(health, "roadside_globalconf_version", 6, 10s);
    const auto* m = &metrics;
    EXPECT_GE(metric(*m, "roadside_globalconf_updates_total{result=\"ok\"}"), 1) << *m;
    EXPECT_EQ(metric(*m, "roadside_globalconf_version"), 6);
  }

  // The example REST service.
  EXPECT_EQ(run_command("curl -sf -X POST -d hello " + j["services"][0]["url"].get<std::string>(), &out), 0);
  EXPECT_EQ(json::parse(out)["body"], "hello");

  // down stops it all.
  EXPECT_EQ(run_command(roadside_binary().string() + " testbed down --dir " + d, &out), 0) << out;
  EXPECT_EQ(up.wait(10s), 0) << up.output();
  EXPECT_FALSE(http_get(port_of(j["servers"][0]["health_url"].get<std::string>()), "/livez", 500ms).has_value());
  EXPECT_FALSE(std::filesystem::exists(dir / "tb" / "testbed.pid"));
  EXPECT_NE(run_command(roadside_binary().string() + " testbed down --dir " + d, &out), 0);
}

// Servers that cannot start (here: a folder so deep their control socket's path does not fit
// a Unix socket address) end the testbed with exit 1 instead of leaving it up with none.
TEST(Testbed, UpEndsWhenEveryServerHasExited) {
  TempDir dir;
  const std::string d = (dir / std::string(100, 'd')).string();
  std::string out;
  ASSERT_EQ(run_command(roadside_binary().string() + " testbed init --dir " + d + " --servers 1", &out), 0) << out;
  Process up({roadside_binary().string(), "testbed", "up", "--dir", d}, {}, dir / "up.log");
  EXPECT_EQ(up.wait(kSanitized ? 60s : 20s), 1) << up.output();
  EXPECT_NE(up.output().find("every server exited"), std::string::npos) << up.output();
}

// `testbed sign-csr` as a Security Server's administrator uses it: the instance's CA signs
// CSRs made from its profile's form (PEM or DER in, PEM or DER out), refuses what the profile
// cannot use with exit 2 and a reason, and while `up` runs the OCSP responder knows what it
// issued; the authorities' POST /sign does the same over HTTP.
TEST(Testbed, SignCsrIssuesFromTheInstancesCa) {
  TempDir dir;
  const std::string d = (dir / "tb").string();
  const std::string bin = roadside_binary().string() + " testbed sign-csr --dir " + d;
  std::string out;
  ASSERT_EQ(run_command(roadside_binary().string() + " testbed init --dir " + d + " --servers 1", &out), 0) << out;
  const json j = json::parse(read_file(dir / "tb" / "instance.json"));
  const std::string ca = j["ca"]["cert"].get<std::string>();
  const auto path = [&](const char* name) { return (dir / name).string(); };

  const auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  const crypto::SubjectEntries sign_subject{
      {"C", "FI"}, {"O", "Member 1"}, {"serialNumber", "DEV/ss1/COM"}, {"CN", "1001"}};
  write_file(dir / "sign.der", *crypto::make_csr(key, sign_subject));
  ASSERT_EQ(run_command(bin + " --usage sign --out " + path("sign.pem") + " " + path("sign.der"), &out), 0) << out;
  EXPECT_EQ(run_command("openssl verify -CAfile " + ca + " " + path("sign.pem"), &out), 0) << out;
  auto sign = crypto::Certificate::from_pem(read_file(dir / "sign.pem"));
  ASSERT_TRUE(sign.ok()) << sign.error().to_string();
  EXPECT_TRUE(sign->matches_key(key));
  EXPECT_TRUE(sign->is_signing_cert());
  const XRoadId member = *XRoadId::member("DEV", "COM", "1001");
  auto mapped = trust::signing_cert_member(*sign, j["ca"]["profile_class"].get<std::string>(), member);
  ASSERT_TRUE(mapped.ok()) << mapped.error().to_string();
  EXPECT_EQ(*mapped, member);

  // PEM in, DER out on standard output.
  auto auth_csr = crypto::CertificateRequest::from_der(
      *crypto::make_csr(key, {{"C", "FI"}, {"O", "Member 1"}, {"serialNumber", "DEV/ss1/COM"}, {"CN", "ss1"}}));
  ASSERT_TRUE(auth_csr.ok());
  write_file(dir / "auth.csr", auth_csr->to_pem());
  ASSERT_EQ(run_command(bin + " --usage auth --der " + path("auth.csr") + " > " + path("auth.der")), 0);
  auto auth = crypto::Certificate::from_der(read_file(dir / "auth.der"));
  ASSERT_TRUE(auth.ok()) << auth.error().to_string();
  EXPECT_TRUE(auth->is_auth_cert());

  // What it cannot sign is the user's mistake: exit 2 with the reason.
  write_file(dir / "garbage.csr", "not a CSR");
  write_file(dir / "cn-only.der", *crypto::make_csr(key, {{"CN", "1001"}}));
  for (const auto& [args, why] : std::vector<std::pair<std::string, std::string>>{
           {"--usage sign " + path("garbage.csr"), "not a certificate signing request"},
           {"--usage sign " + path("cn-only.der"), "is missing"},
           {"--usage both " + path("sign.der"), "--usage is auth or sign"},
           {"--usage sign " + path("absent.der"), "absent.der"}}) {
    EXPECT_EQ(run_command(bin + " " + args, &out), 2) << args << ": " << out;
    EXPECT_NE(out.find(why), std::string::npos) << out;
    EXPECT_EQ(out.find("internal_error"), std::string::npos) << out;
  }

  // While `up` runs, its OCSP responder knows what sign-csr issued, and /sign signs.
  Process up({roadside_binary().string(), "testbed", "up", "--dir", d, "--no-servers"}, {}, dir / "up.log");
  ASSERT_TRUE(up.wait_for_output("\"msg\":\"testbed is up\"", 20s)) << up.output();
  const auto other = *crypto::PrivateKey::generate(crypto::KeyType::rsa2048);
  write_file(dir / "other.der", *crypto::make_csr(other, sign_subject));
  ASSERT_EQ(run_command(bin + " --usage sign --out " + path("other.pem") + " " + path("other.der"), &out), 0) << out;
  const std::string ocsp_url = j["ca"]["ocsp_url"].get<std::string>();
  EXPECT_EQ(
      run_command("openssl ocsp -issuer " + ca + " -cert " + path("other.pem") + " -url " + ocsp_url + " -CAfile " + ca,
                  &out),
      0)
      << out;
  EXPECT_NE(out.find("other.pem: good"), std::string::npos) << out;
  const std::string sign_url = ocsp_url.substr(0, ocsp_url.rfind('/')) + "/sign?usage=sign";
  ASSERT_EQ(
      run_command("curl -sf --data-binary @" + path("other.der") + " -o " + path("posted.der") + " '" + sign_url + "'",
                  &out),
      0)
      << out;
  auto posted = crypto::Certificate::from_der(read_file(dir / "posted.der"));
  ASSERT_TRUE(posted.ok()) << posted.error().to_string();
  EXPECT_TRUE(posted->matches_key(other));

  EXPECT_EQ(run_command(roadside_binary().string() + " testbed down --dir " + d, &out), 0) << out;
  EXPECT_EQ(up.wait(10s), 0) << up.output();
}

// The Central Server's management side through the binary: a new server's authCertReg by
// HTTPS to the published authCertRegServiceAddress (the TLS certificate checked against the
// published authCertRegServiceCert), held, approved by `testbed approve` from another process,
// and the running `up` republishing shared parameters that list the new certificate's hash.
TEST(Testbed, AuthCertRegIsHeldApprovedAndPublished) {
  TempDir dir;
  const std::string d = (dir / "tb").string();
  const std::string bin = roadside_binary().string();
  std::string out;
  ASSERT_EQ(run_command(bin + " testbed init --dir " + d + " --servers 1 --ecdsa --hold-requests", &out), 0) << out;
  const json j = json::parse(read_file(dir / "tb" / "instance.json"));
  EXPECT_TRUE(j["central"]["hold_requests"].get<bool>());
  Process up({bin, "testbed", "up", "--dir", d, "--no-servers"}, {}, dir / "up.log");
  ASSERT_TRUE(up.wait_for_output("\"msg\":\"testbed is up\"", 20s)) << up.output();

  // What a Security Server knows: the published private parameters.
  auto published = [&](const std::string& name) {
    std::string newest;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "tb" / "public" / "V6")) {
      if (e.path().filename() == name && e.path().string() > newest) newest = e.path().string();
    }
    return newest.empty() ? std::string() : read_file(newest);
  };
  const auto priv = globalconf::PrivateParameters::parse(published("private-params.xml"));
  ASSERT_TRUE(priv.ok()) << priv.error().to_string();
  ASSERT_TRUE(priv->auth_cert_reg_service_cert.has_value());
  ASSERT_TRUE(priv->management_service_provider.has_value());
  write_file(dir / "cs.pem", priv->auth_cert_reg_service_cert->to_pem());

  // A new server of member 1001: an auth key and certificate from the test CA, and the
  // owner's signing key from ss1's token with a fresh OCSP response.
  auto ca = std::move(testbed::TestCa::load(dir / "tb" / "ca")).value();
  const XRoadId owner = *XRoadId::member("DEV", "COM", "1001");
  const XRoadId server = *XRoadId::server("DEV", "COM", "1001", "ss7");
  const auto auth_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  const auto auth_cert = *ca->issue_auth(server, auth_key, "Member 1");
  auto pin = read_file(dir / "tb" / "secrets" / "token-pin");
  pin.pop_back();
  auto signing = signer::open_soft_token_signing_key(j["servers"][0]["token"].get<std::string>(), pin, owner);
  ASSERT_TRUE(signing.ok()) << signing.error().to_string();
  const std::string ocsp = *testbed::make_ocsp_response(
      *crypto::make_ocsp_request(signing->cert, ca->ca()),
      [&](const std::string& serial) { return ca->status(serial); }, ca->ocsp_key(), std::chrono::system_clock::now(),
      std::chrono::hours(1));
  const management::KeySigner owner_signer(signing->key), auth_signer(auth_key);
  const management::RequestBuilder builder(owner, *priv->management_service_provider);
  const std::string soap = *builder.auth_cert_reg(server, "127.0.0.9", auth_cert.to_der());
  const auto request =
      *management::auth_cert_reg_request(soap, auth_cert.to_der(), auth_signer, {&owner_signer, signing->cert, ocsp});
  write_file(dir / "request.bin", request.body);
  auto post = [&](const std::string& file) {
    return run_command("curl -s --cacert " + (dir / "cs.pem").string() + " -o " + (dir / "answer.xml").string() +
                           " -w '%{http_code}' -H 'Content-Type: " + request.content_type + "' --data-binary @" +
                           (dir / file).string() + " '" + priv->auth_cert_reg_service_address + "'",
                       &out);
  };
  ASSERT_EQ(post("request.bin"), 0) << out;
  EXPECT_EQ(out, "200");
  auto answer = management::parse_response("text/xml", read_file(dir / "answer.xml"), soap);
  ASSERT_TRUE(answer.ok()) << answer.error().to_string();
  ASSERT_EQ(answer->request_id, 1);

  // A tampered copy: X-Road's fault with HTTP 500.
  std::string tampered = request.body;
  tampered[tampered.find("127.0.0.9") + 8] = '8';
  write_file(dir / "tampered.bin", tampered);
  ASSERT_EQ(post("tampered.bin"), 0) << out;
  EXPECT_EQ(out, "500");
  EXPECT_NE(read_file(dir / "answer.xml").find("<faultcode>invalid_signature_value</faultcode>"), std::string::npos);

  // Held: listed, not published.
  ASSERT_EQ(run_command(bin + " testbed requests --dir " + d, &out), 0) << out;
  json list = json::parse(out.substr(out.find('[')));
  ASSERT_EQ(list.size(), 1u) << out;
  EXPECT_EQ(list[0]["state"], "SUBMITTED_FOR_APPROVAL");
  EXPECT_EQ(list[0]["server"], server.to_string());
  const std::string hash = crypto::sha256(auth_cert.to_der());
  auto lists_hash = [&] {
    auto shared = globalconf::SharedParameters::parse(published("shared-params.xml"));
    return shared.ok() && shared->server_by_auth_cert_hash(hash) != nullptr;
  };
  EXPECT_FALSE(lists_hash());

  ASSERT_EQ(run_command(bin + " testbed approve --dir " + d + " 1", &out), 0) << out;
  EXPECT_NE(out.find("\"APPROVED\""), std::string::npos) << out;
  EXPECT_NE(run_command(bin + " testbed approve --dir " + d + " 1", &out), 0) << "approved already";
  EXPECT_TRUE(eventually(lists_hash, 10s)) << up.output();
  EXPECT_TRUE(up.wait_for_output("configuration republished", 5s)) << up.output();

  EXPECT_EQ(run_command(bin + " testbed down --dir " + d, &out), 0) << out;
  EXPECT_EQ(up.wait(10s), 0) << up.output();
}

}  // namespace
}  // namespace roadside::testing
