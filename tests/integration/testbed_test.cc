// `roadside testbed init` and `up` as a newcomer runs them: a two-server instance whose
// authorities, publisher and servers all answer, checked with OpenSSL, curl and the servers'
// own logs and metrics.
#include <gtest/gtest.h>

#include <signal.h>

#include <nlohmann/json.hpp>

#include "signer/keyconf.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"

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

}  // namespace
}  // namespace roadside::testing
