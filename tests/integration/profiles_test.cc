// Every certificate profile through a running instance: for each of X-Road's profiles,
// `roadside testbed init --profile NAME` makes an instance whose CA issues its certificates
// in that profile and whose shared-params names the profile's class for the CA; once up, a
// REST call (the echo service) and a SOAP call (getRandom) go from ss1 to ss2, signed and
// verified both ways, so each server maps the other's signing certificate to its member by
// that profile.
//
// Instances run side by side (a few at a time) to keep this quick. Each is started only once
// the one before listens on its server ports, so init never hands two instances the same
// X-Road port (5500, 5577 when free).
#include <deque>
#include <memory>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// X-Road's profiles (trust::CertificateProfile::all() without the test-only one).
const char* const kProfiles[] = {"Basic", "BasicACME", "Ejbca", "FiVRK", "Fo", "Is", "SkEsteId", "SkKlass3"};
// One at a time under sanitizers: their servers start several times slower, and three
// instances (six servers) side by side on two cores could miss the 120 s readiness limit.
constexpr std::size_t kSideBySide = kSanitized ? 1 : 3;

unsigned short port_of(const std::string& url) {
  return static_cast<unsigned short>(std::stoi(url.substr(url.rfind(':') + 1)));
}

bool listening(const std::string& address, unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
  const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

bool ready(const json& server) {
  auto r = http_get(port_of(server["health_url"].get<std::string>()), "/readyz", 1s);
  return r && r->status == 200;
}

// "SUBSYSTEM:DEV/COM/1001/CLIENT" -> "DEV/COM/1001/CLIENT"
std::string without_type(const std::string& id) {
  return id.substr(id.find(':') + 1);
}

std::string id_xml(const std::string& tag, const std::string& type, const std::string& id, const char* const* names) {
  std::string out = "<xrd:" + tag + " id:objectType=\"" + type + "\">";
  std::string rest = without_type(id);
  for (int i = 0; names[i] && !rest.empty(); ++i) {
    const auto slash = rest.find('/');
    out += std::string("<id:") + names[i] + ">" + rest.substr(0, slash) + "</id:" + names[i] + ">";
    rest = slash == std::string::npos ? "" : rest.substr(slash + 1);
  }
  return out + "</xrd:" + tag + ">";
}

std::string soap_request(const std::string& client, const std::string& service) {
  static const char* const kClient[] = {"xRoadInstance", "memberClass", "memberCode", "subsystemCode", nullptr};
  static const char* const kService[] = {"xRoadInstance", "memberClass",    "memberCode", "subsystemCode",
                                         "serviceCode",   "serviceVersion", nullptr};
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
         "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:xrd=\"http://x-road.eu/xsd/xroad.xsd\" xmlns:id=\"http://x-road.eu/xsd/identifiers\">\n"
         "  <SOAP-ENV:Header>\n    " +
         id_xml("client", "SUBSYSTEM", client, kClient) + "\n    " + id_xml("service", "SERVICE", service, kService) +
         "\n    <xrd:id>profile-1</xrd:id>\n    <xrd:protocolVersion>4.0</xrd:protocolVersion>\n  </SOAP-ENV:Header>\n"
         "  <SOAP-ENV:Body><ns1:getRandom xmlns:ns1=\"http://test.x-road.global/producer\"/></SOAP-ENV:Body>\n"
         "</SOAP-ENV:Envelope>\n";
}

struct Instance {
  std::string profile;
  TempDir dir;
  json contract;
  std::unique_ptr<Process> up;
  std::chrono::steady_clock::time_point started;
  std::string log(int n) const {
    const auto p = dir / "tb" / "servers" / ("ss" + std::to_string(n)) / "serve.log";
    return std::filesystem::exists(p) ? read_file(p) : "";
  }
};

// init --profile and up; returns once the servers listen on their X-Road ports.
std::unique_ptr<Instance> start(const std::string& profile) {
  auto in = std::make_unique<Instance>();
  in->profile = profile;
  in->started = std::chrono::steady_clock::now();
  const std::string d = (in->dir / "tb").string();
  std::string out;
  EXPECT_EQ(
      run_command(roadside_binary().string() + " testbed init --ecdsa --dir " + d + " --servers 2 --profile " + profile,
                  &out),
      0)
      << profile << ": " << out;
  if (!std::filesystem::exists(in->dir / "tb" / "instance.json")) return nullptr;
  in->contract = json::parse(read_file(in->dir / "tb" / "instance.json"));
  in->up = std::make_unique<Process>(std::vector<std::string>{roadside_binary().string(), "testbed", "up", "--dir", d},
                                     std::vector<std::pair<std::string, std::string>>{}, in->dir / "up.log");
  EXPECT_TRUE(in->up->wait_for_output("\"msg\":\"testbed is up\"", 30s)) << profile << ": " << in->up->output();
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  auto bound = [&] {
    for (const auto& s : in->contract["servers"]) {
      if (!listening(s["address"], s["server_port"]) || !listening(s["address"], s["ocsp_port"])) return false;
    }
    return true;
  };
  while (!bound() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  return in;
}

// The REST and SOAP calls from ss1's client proxy to ss2's service.
void exchange(const Instance& in) {
  SCOPED_TRACE("profile " + in.profile);
  const json& j = in.contract;
  // The CA issues in the profile, and shared-params names its class.
  EXPECT_EQ(j["ca"]["profile"], in.profile);
  const std::string shared = read_file(in.dir / "tb" / "globalconf" / "shared-params.xml");
  EXPECT_NE(shared.find("<certificateProfileInfo>ee.ria.xroad.common.certificateprofile.impl." + in.profile +
                        "CertificateProfileInfoProvider</certificateProfileInfo>"),
            std::string::npos);

  const std::string proxy = j["servers"][0]["client_http"];
  const std::string client = without_type(j["servers"][0]["clients"][1]);  // ss1's CLIENT subsystem
  const std::string echo = without_type(j["services"][0]["id"]);
  std::string out;
  ASSERT_EQ(run_command("curl -s -m 30 -w '\\n%{http_code}' -H 'X-Road-Client: " + client + "' 'http://" + proxy +
                            "/r1/" + echo + "/hello?profile=" + in.profile + "'",
                        &out),
            0)
      << out;
  EXPECT_EQ(last_line(out), "200") << out << "\nss1: " << in.log(1) << "\nss2: " << in.log(2);
  EXPECT_NE(out.find("profile=" + in.profile), std::string::npos) << out;

  TempDir tmp;
  write_file(tmp / "req.xml", soap_request(j["servers"][0]["clients"][1], j["services"][1]["id"]));
  ASSERT_EQ(
      run_command("curl -s -m 30 -w '\\n%{http_code}' -H 'Content-Type: text/xml; charset=utf-8' -H 'SOAPAction: \"\"' "
                  "--data-binary @" +
                      (tmp / "req.xml").string() + " http://" + proxy + "/",
                  &out),
      0)
      << out;
  EXPECT_EQ(last_line(out), "200") << out << "\nss1: " << in.log(1) << "\nss2: " << in.log(2);
  EXPECT_NE(out.find("<ns1:getRandomResponse"), std::string::npos) << out;
}

TEST(TestbedProfiles, EveryCertificateProfileCarriesRestAndSoapBetweenTwoServers) {
  const auto begin = std::chrono::steady_clock::now();
  std::deque<std::string> waiting(std::begin(kProfiles), std::end(kProfiles));
  std::vector<std::unique_ptr<Instance>> running;
  int done = 0;
  while (!waiting.empty() || !running.empty()) {
    while (running.size() < kSideBySide && !waiting.empty()) {
      auto in = start(waiting.front());
      waiting.pop_front();
      if (in) running.push_back(std::move(in));
    }
    for (auto it = running.begin(); it != running.end();) {
      Instance& in = **it;
      const bool both = ready(in.contract["servers"][0]) && ready(in.contract["servers"][1]);
      const bool late = std::chrono::steady_clock::now() - in.started > 120s;
      if (!both && !late) {
        ++it;
        continue;
      }
      if (both) {
        exchange(in);
        ++done;
        std::cout << "[ profile ] " << in.profile << ": "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                           in.started)
                         .count()
                  << " ms from init to both calls answered\n";
      } else {
        ADD_FAILURE() << in.profile << ": the servers were not ready within 120 s\nss1: " << in.log(1)
                      << "\nss2: " << in.log(2);
      }
      in.up->signal(SIGTERM);
      in.up->wait(30s);
      it = running.erase(it);
    }
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(done, static_cast<int>(std::size(kProfiles)));
  std::cout << "[ profiles ] " << done << " instances in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - begin).count()
            << " ms\n";
}

}  // namespace
}  // namespace roadside::testing
