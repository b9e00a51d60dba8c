// Security server targeting end to end (PR-TARGETSS; PR-REST's X-Road-Security-Server): one
// provider, DEV/COM/1002/SERVICE, served by both servers of a testbed instance. `testbed
// add-client --server 1` registers it on ss1 too (global configuration, a signing key in ss1's
// token), and each server's configuration points its two services at its own path of one
// HTTPS test service (/ss1, /ss2), which answers with the path it was called at. A request
// from ss1's client proxy that names a server reaches that server's path, every time; one
// naming a server that is unknown or does not host the provider is refused.
//
// One instance for all cases (starting one takes seconds, more under sanitizers).
#include <memory>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include "crypto/crypto.h"
#include "support/https_service.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::string kClient = "DEV/COM/1001/CLIENT";
const std::string kSoapId = "targeting-1";

// The X-Road header of the SOAP request and of the test service's response.
std::string soap_header(const std::string& extra = "") {
  return "<SOAP-ENV:Header>"
         "<xrd:client "
         "id:objectType=\"SUBSYSTEM\"><id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass>"
         "<id:memberCode>1001</id:memberCode><id:subsystemCode>CLIENT</id:subsystemCode></xrd:client>"
         "<xrd:service "
         "id:objectType=\"SERVICE\"><id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass>"
         "<id:memberCode>1002</id:memberCode><id:subsystemCode>SERVICE</id:subsystemCode><id:serviceCode>getRandom</"
         "id:serviceCode>"
         "<id:serviceVersion>v1</id:serviceVersion></xrd:service>" +
         extra + "<xrd:id>" + kSoapId + "</xrd:id><xrd:protocolVersion>4.0</xrd:protocolVersion></SOAP-ENV:Header>";
}

std::string soap_envelope(const std::string& header, const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><SOAP-ENV:Envelope "
         "xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:xrd=\"http://x-road.eu/xsd/xroad.xsd\" xmlns:id=\"http://x-road.eu/xsd/identifiers\">" +
         header + "<SOAP-ENV:Body>" + body + "</SOAP-ENV:Body></SOAP-ENV:Envelope>";
}

// getRandom, naming server `code` of member DEV/COM/`member` in securityServer.
std::string soap_request_to(const std::string& member, const std::string& code) {
  const std::string target =
      "<xrd:securityServer id:objectType=\"SERVER\"><id:xRoadInstance>DEV</id:xRoadInstance>"
      "<id:memberClass>COM</id:memberClass><id:memberCode>" +
      member + "</id:memberCode><id:serverCode>" + code + "</id:serverCode></xrd:securityServer>";
  return soap_envelope(soap_header(target), "<ns1:getRandom xmlns:ns1=\"http://test.x-road.global/producer\"/>");
}

// What the test service answers, REST or SOAP: a getRandom response whose data is the path
// it was called at.
std::string served(const std::string& target) {
  return soap_envelope(soap_header(),
                       "<ns1:getRandomResponse xmlns:ns1=\"http://test.x-road.global/producer\"><ns1:data>served " +
                           target + "</ns1:data></ns1:getRandomResponse>");
}

// Server `n`'s configuration: its member with its CLIENT and SERVICE subsystems, as init
// writes them, and the provider DEV/COM/1002/SERVICE with a REST service (whoami) and a SOAP
// one (getRandom v1), both at `service_url`/ssN, open to ss1's CLIENT.
// (`tsa_url`: the testbed's TSA; a full server takes no message without a time-stamping service.)
std::string server_conf(int n, const std::string& service_url, const std::string& tsa_url) {
  const std::string member = "DEV/COM/" + std::to_string(1000 + n), url = service_url + "/ss" + std::to_string(n);
  std::string conf = "owner: MEMBER:" + member + "\nserver_code: ss" + std::to_string(n) +
                     "\ntimestamping_services:\n  - name: DEV Test TSA\n    url: " + tsa_url +
                     "\nclients:\n  - id: MEMBER:" + member + "\n  - id: SUBSYSTEM:" + member +
                     "/CLIENT\n    connection: NOAUTH\n";
  if (n != 2) conf += "  - id: SUBSYSTEM:" + member + "/SERVICE\n";
  return conf +
         "  - id: SUBSYSTEM:DEV/COM/1002/SERVICE\n    services:\n      - code: whoami\n        type: REST\n        "
         "url: " +
         url +
         "\n        tls_authentication: false\n      - code: getRandom\n        version: v1\n        type: WSDL\n      "
         "  url: " +
         url +
         "\n        tls_authentication: false\n    access:\n      - service: whoami\n        subjects: [SUBSYSTEM:" +
         kClient + "]\n      - service: getRandom\n        version: v1\n        subjects: [SUBSYSTEM:" + kClient +
         "]\n";
}

struct Instance {
  TempDir dir;
  json contract;
  std::unique_ptr<HttpsService> service;
  std::unique_ptr<Process> up;
};
Instance* instance = nullptr;

bool ready(const json& server) {
  const std::string url = server["health_url"];
  auto r = http_get(static_cast<unsigned short>(std::stoi(url.substr(url.rfind(':') + 1))), "/readyz", 1s);
  return r && r->status == 200;
}

std::string server_log(int n) {
  const auto p = instance->dir / "tb" / "servers" / ("ss" + std::to_string(n)) / "serve.log";
  return std::filesystem::exists(p) ? read_file(p) : "";
}

struct Reply {
  int status = 0;
  std::string error;  // X-Road-Error
  std::string body;
};

// curl to ss1's client proxy at `path`, with `args` before the URL.
Reply curl(const std::string& args, const std::string& path) {
  TempDir tmp;
  std::string out;
  run_command("curl -s -m 30 -D " + (tmp / "h").string() + " -o " + (tmp / "b").string() + " -w '%{http_code}' " +
                  args + " 'http://" + instance->contract["servers"][0]["client_http"].get<std::string>() + path + "'",
              &out);
  Reply r;
  r.status = std::atoi(last_line(out).c_str());
  r.body = std::filesystem::exists(tmp / "b") ? read_file(tmp / "b") : "";
  const std::string headers = std::filesystem::exists(tmp / "h") ? read_file(tmp / "h") : "";
  if (const auto at = headers.find("X-Road-Error: "); at != std::string::npos) {
    r.error = headers.substr(at + 14, headers.find('\r', at) - at - 14);
  }
  return r;
}

// A REST request of ss1's CLIENT to whoami with X-Road-Security-Server: `server`.
Reply rest_to(const std::string& server, const std::string& service = "DEV/COM/1002/SERVICE/whoami") {
  return curl("-H 'X-Road-Client: " + kClient + "' -H 'X-Road-Security-Server: " + server + "'",
              "/r1/" + service + "/hello");
}

Reply soap(const std::string& request) {
  TempDir tmp;
  write_file(tmp / "request.xml", request);
  return curl("-H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: \"\"' --data-binary @" +
                  (tmp / "request.xml").string(),
              "/");
}

class Targeting : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    instance = new Instance;
    const std::string d = (instance->dir / "tb").string(), roadside = roadside_binary().string();
    std::string out;
    ASSERT_EQ(run_command(roadside + " testbed init --ecdsa --dir " + d + " --servers 2", &out), 0) << out;
    ASSERT_EQ(run_command(roadside + " testbed add-client --dir " + d + " --server 1 DEV/COM/1002/SERVICE", &out), 0)
        << out;
    instance->contract = json::parse(read_file(instance->dir / "tb" / "instance.json"));

    auto key = *crypto::PrivateKey::generate(crypto::KeyType::rsa2048);
    auto cert = *crypto::issue_certificate({.common_name = "whoami", .ip_addresses = {"127.0.0.1"}}, key, nullptr, key);
    instance->service = std::make_unique<HttpsService>(cert.to_pem(), key.to_pem(), net::TlsPolicy{}, served,
                                                       "text/xml; charset=utf-8");
    for (int n = 1; n <= 2; ++n) {
      write_file(instance->contract["servers"][n - 1]["server_conf"].get<std::string>(),
                 server_conf(n, instance->service->url(), instance->contract["tsa_url"].get<std::string>()));
    }

    instance->up =
        std::make_unique<Process>(std::vector<std::string>{roadside, "testbed", "up", "--dir", d},
                                  std::vector<std::pair<std::string, std::string>>{}, instance->dir / "up.log");
    ASSERT_TRUE(instance->up->wait_for_output("\"msg\":\"testbed is up\"", 30s)) << instance->up->output();
    const auto& servers = instance->contract["servers"];
    const auto deadline = std::chrono::steady_clock::now() + (kSanitized ? 120s : 30s);
    while (!(ready(servers[0]) && ready(servers[1])) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(100ms);
    ASSERT_TRUE(ready(servers[0]) && ready(servers[1])) << "ss1: " << server_log(1) << "\nss2: " << server_log(2);
  }
  static void TearDownTestSuite() { stop_shared_instance(instance); }
  void SetUp() override {
    if (!instance || !instance->up) GTEST_SKIP() << "the instance did not start";
  }
};

TEST_F(Targeting, RestRequestsReachTheServerTheirXRoadSecurityServerNames) {
  for (const int n : {1, 2, 1, 2}) {
    const Reply r = rest_to("DEV/COM/100" + std::to_string(n) + "/ss" + std::to_string(n));
    EXPECT_EQ(r.status, 200) << r.body << "\nss1: " << server_log(1) << "\nss2: " << server_log(2);
    EXPECT_NE(r.body.find("served /ss" + std::to_string(n) + "/hello<"), std::string::npos)
        << "ss" << n << ": " << r.body;
  }
}

TEST_F(Targeting, SoapRequestsReachTheServerTheirSecurityServerHeaderNames) {
  for (const int n : {2, 1, 2, 1}) {
    const Reply r = soap(soap_request_to("100" + std::to_string(n), "ss" + std::to_string(n)));
    EXPECT_EQ(r.status, 200) << r.body << "\nss1: " << server_log(1) << "\nss2: " << server_log(2);
    EXPECT_NE(r.body.find("served /ss" + std::to_string(n) + "<"), std::string::npos) << "ss" << n << ": " << r.body;
  }
}

TEST_F(Targeting, AServerThatIsUnknownOrDoesNotHostTheProviderIsRefused) {
  const Reply unknown = rest_to("DEV/COM/1002/ss9");
  EXPECT_EQ(unknown.status, 500) << unknown.body;
  EXPECT_EQ(unknown.error, "server.clientproxy.invalid_security_server") << unknown.body;
  // ss1 hosts DEV/COM/1002/SERVICE only, not the member's other subsystems.
  const Reply elsewhere = rest_to("DEV/COM/1001/ss1", "DEV/COM/1002/CLIENT/whoami");
  EXPECT_EQ(elsewhere.error, "server.clientproxy.invalid_security_server") << elsewhere.body;
  const Reply soap_unknown = soap(soap_request_to("1002", "ss9"));
  EXPECT_NE(soap_unknown.body.find("<faultcode>server.clientproxy.invalid_security_server</faultcode>"),
            std::string::npos)
      << soap_unknown.body;
  const Reply malformed = rest_to("DEV/COM/1002");
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  EXPECT_EQ(malformed.error, "client.bad_request") << malformed.body;
}

}  // namespace
}  // namespace roadside::testing
