#include "testbed/instance.h"

#include <cstdlib>
#include <set>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/errors.h"
#include "base/files.h"
#include "base/random.h"
#include "globalconf/directory.h"
#include "globalconf/parameters.h"
#include "management/messages.h"
#include "signer/keyconf.h"
#include "testbed/ca.h"
#include "trust/certificate_profile.h"

namespace roadside::testbed {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Error bad(std::string detail) {
  return Error(make_error_code(base::errc::invalid_argument), std::move(detail));
}
Error io(std::string detail) {
  return Error(make_error_code(base::errc::io_error), std::move(detail));
}

// A port below the kernel's ephemeral range (32768 and up). One that bind(0) hands out can be
// taken by an outgoing connection while the server it is meant for is stopped, and that
// server then cannot start again on it.
unsigned short below_ephemeral_range() {
  std::uint8_t b[2];
  Random::system().fill(b);
  return static_cast<unsigned short>(20000 + ((b[0] << 8) | b[1]) % 12000);
}

// A port nothing listens on now at `address` (`preferred` when that one is free, else one below
// the ephemeral range), and not handed out before by this init.
Result<unsigned short> pick_port(const std::string& address, std::set<std::pair<std::string, unsigned short>>& taken,
                                 unsigned short preferred = 0) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return io("socket() failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(attempt == 0 && preferred != 0 ? preferred : below_ephemeral_range());
    ::inet_pton(AF_INET, address.c_str(), &a.sin_addr);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t len = sizeof a;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ::close(fd);
    if (!ok) continue;
    const unsigned short port = ntohs(a.sin_port);
    if (taken.insert({address, port}).second) return port;
  }
  return io("no free port on " + address);
}

// One port free on every address (X-Road contacts every server on the same port): 5500 when
// it is free everywhere.
Result<unsigned short> pick_common_port(const std::vector<std::string>& addresses,
                                        std::set<std::pair<std::string, unsigned short>>& taken,
                                        unsigned short preferred) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::set<std::pair<std::string, unsigned short>> trial = taken;
    ROADSIDE_TRY(unsigned short port, pick_port(addresses.front(), trial, attempt == 0 ? preferred : 0));
    if (attempt == 0 && port != preferred) continue;
    bool everywhere = true;
    for (std::size_t i = 1; i < addresses.size() && everywhere; ++i) {
      auto p = pick_port(addresses[i], trial, port);
      everywhere = p.ok() && *p == port;
    }
    if (!everywhere) continue;
    for (const auto& a : addresses) taken.insert({a, port});
    return port;
  }
  return io("no port is free on every server address");
}

std::string random_pin() {
  static constexpr std::string_view kAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  std::string out;
  for (unsigned char c : Random::system().bytes(16)) out += kAlphabet[c % kAlphabet.size()];
  return out + "-7a";  // upper, lower, digit and other: passes X-Road's PIN policy
}


}  // namespace

Result<std::string> token_pin(const fs::path& dir) {
  if (const char* env = std::getenv("XROAD_TOKEN_PIN"); env && *env) return std::string(env);
  auto pin = read_file_limited(dir / "secrets" / "token-pin", 4096);
  if (!pin.ok()) return bad("no token PIN: set XROAD_TOKEN_PIN or keep " + (dir / "secrets" / "token-pin").string());
  std::string p = std::move(pin).value();
  while (!p.empty() && (p.back() == '\n' || p.back() == '\r')) p.pop_back();
  return p;
}

Result<json> init_instance(const InitOptions& o) {
  if (o.servers < 1 || o.servers > 20) return bad("--servers must be 1 to 20, not " + std::to_string(o.servers));
  auto named = trust::CertificateProfile::named(o.profile);
  if (!named.ok()) return bad("--profile: " + named.error().detail());  // the user's choice, not a CA's
  const trust::CertificateProfile* profile = *named;
  const std::string member_class =
      profile->fixed_member_class().empty() ? "COM" : std::string(profile->fixed_member_class());
  ROADSIDE_TRY(XRoadId probe, XRoadId::member(o.instance, member_class, "1001"));
  (void)probe;
  const fs::path dir = fs::absolute(o.dir);
  if (fs::exists(dir / "instance.json"))
    return bad(dir.string() + " already holds an instance (instance.json); use another folder");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return io("cannot create " + dir.string() + ": " + ec.message());

  std::set<std::pair<std::string, unsigned short>> taken;
  ROADSIDE_TRY(unsigned short publisher_port, pick_port("127.0.0.1", taken));
  ROADSIDE_TRY(unsigned short authority_port, pick_port("127.0.0.1", taken));
  ROADSIDE_TRY(unsigned short services_port, pick_port("127.0.0.1", taken));
  ROADSIDE_TRY(unsigned short central_port, pick_port("127.0.0.1", taken));
  ROADSIDE_TRY(unsigned short management_port, pick_port("127.0.0.1", taken));
  const std::string loop = "http://127.0.0.1:";
  const std::string globalconf_url = loop + std::to_string(publisher_port) + "/internalconf";
  const std::string ocsp_url = loop + std::to_string(authority_port) + "/ocsp";
  const std::string tsa_url = loop + std::to_string(authority_port) + "/tsa";
  const std::string services_url = loop + std::to_string(services_port);
  // X-Road's Central Server: authCertReg by HTTPS at 4001 /managementservice/; the other
  // requests reach its management service through the provider's Security Server.
  const std::string auth_cert_reg_url = "https://127.0.0.1:" + std::to_string(central_port) + "/managementservice/";
  const std::string management_url = loop + std::to_string(management_port) + "/managementservice/manage/";
  const auto key_type = o.ecdsa ? crypto::KeyType::ec_p256 : crypto::KeyType::rsa2048;

  // The authorities and the configuration signing key.
  ROADSIDE_TRY(std::unique_ptr<TestCa> ca,
               o.ca_from.empty() ? TestCa::create(dir / "ca", o.instance + " Test CA", o.ecdsa, profile->class_name())
                                 : TestCa::adopt(dir / "ca", o.ca_from, profile->class_name()));
  ROADSIDE_TRY(crypto::PrivateKey conf_key, crypto::PrivateKey::generate(key_type));
  ROADSIDE_TRY(crypto::Certificate conf_cert,
               crypto::issue_certificate({.common_name = o.instance + " internal configuration signing",
                                          .usage = crypto::Usage::ca,
                                          .validity = std::chrono::hours(24 * 365 * 20)},
                                         conf_key, nullptr, conf_key));
  ROADSIDE_TRY_STATUS(write_file_atomically(dir / "globalconf" / "signing.key", conf_key.to_pem(), FileMode::secret));
  ROADSIDE_TRY_STATUS(write_file_atomically(dir / "globalconf" / "signing.pem", conf_cert.to_pem()));

  // The management service's TLS identity: Security Servers trust exactly this certificate,
  // published as authCertRegServiceCert (X-Road's ManagementRequestClient compares the
  // server's certificate with it; no CA, no host name check).
  ROADSIDE_TRY(crypto::PrivateKey tls_key, crypto::PrivateKey::generate(key_type));
  ROADSIDE_TRY(crypto::Certificate tls_cert, crypto::issue_certificate({.common_name = o.instance + " central server",
                                                                        .dns_names = {"localhost"},
                                                                        .ip_addresses = {"127.0.0.1"},
                                                                        .usage = crypto::Usage::tls_server,
                                                                        .validity = std::chrono::hours(24 * 365 * 20)},
                                                                       tls_key, nullptr, tls_key));
  ROADSIDE_TRY_STATUS(write_file_atomically(dir / "central" / "tls.key", tls_key.to_pem(), FileMode::secret));
  ROADSIDE_TRY_STATUS(write_file_atomically(dir / "central" / "tls.pem", tls_cert.to_pem()));

  std::string pin = o.pin;
  if (pin.empty()) {
    pin = random_pin();
    ROADSIDE_TRY_STATUS(write_file_atomically(dir / "secrets" / "token-pin", pin + "\n", FileMode::secret));
    ::chmod((dir / "secrets").c_str(), 0700);
  }

  globalconf::SharedParameters shared;
  shared.instance = o.instance;
  shared.sources.push_back({"127.0.0.1", {conf_cert}, {}});
  globalconf::ApprovedCa approved{
      o.instance + " Test CA", false, {ca->ca(), {{ocsp_url, ca->ocsp(), "FREE"}}}, {}, profile->class_name()};
  shared.approved_cas.push_back(approved);
  shared.approved_tsas.push_back({o.instance + " Test TSA", tsa_url, ca->tsa(), "FREE"});
  shared.member_classes = {member_class};
  shared.ocsp_freshness_seconds = 600;
  globalconf::GlobalGroup owners{
      *XRoadId::global_group(o.instance, "security-server-owners"), "Security server owners", {}};

  json servers = json::array();
  std::vector<XRoadId> client_subsystems;
  std::vector<std::string> addresses;
  for (int i = 1; i <= o.servers; ++i) addresses.push_back("127.0.0." + std::to_string(i + 1));
  // Like X-Road's 5500 and 5577: the same ports on every server's address, so peers find them.
  ROADSIDE_TRY(unsigned short server_port, pick_common_port(addresses, taken, 5500));
  ROADSIDE_TRY(unsigned short ocsp_port, pick_common_port(addresses, taken, 5577));
  for (int i = 1; i <= o.servers; ++i) {
    ROADSIDE_TRY(XRoadId client, XRoadId::subsystem(o.instance, member_class, std::to_string(1000 + i), "CLIENT"));
    client_subsystems.push_back(client);
  }
  const std::string provider = std::to_string(1000 + o.servers);
  std::string subjects;
  for (const auto& c : client_subsystems) subjects += (subjects.empty() ? "" : ", ") + c.to_string();
  for (int i = 1; i <= o.servers; ++i) {
    const std::string code = std::to_string(1000 + i), server_code = "ss" + std::to_string(i);
    ROADSIDE_TRY(XRoadId member, XRoadId::member(o.instance, member_class, code));
    ROADSIDE_TRY(XRoadId server, XRoadId::server(o.instance, member_class, code, server_code));
    ROADSIDE_TRY(XRoadId client, XRoadId::subsystem(o.instance, member_class, code, "CLIENT"));
    ROADSIDE_TRY(XRoadId service, XRoadId::subsystem(o.instance, member_class, code, "SERVICE"));
    std::vector<XRoadId> subsystems = {client, service};
    std::optional<XRoadId> management;
    if (i == 1) {
      management = *XRoadId::subsystem(o.instance, member_class, code, "MANAGEMENT");
      subsystems.push_back(*management);
      // A subsystem of the instance that no server hosts (X-Road's "hosts the client" check).
      subsystems.push_back(*XRoadId::subsystem(o.instance, member_class, code, "SPARE"));
    }
    shared.members.push_back({member, "Member " + std::to_string(i), subsystems});
    owners.members.push_back(member);

    // One loopback address per server, so each can have X-Road's port 5500.
    const std::string address = "127.0.0." + std::to_string(i + 1);
    ROADSIDE_TRY(unsigned short health_port, pick_port("127.0.0.1", taken));
    ROADSIDE_TRY(unsigned short client_http, pick_port("127.0.0.1", taken));
    ROADSIDE_TRY(unsigned short client_https, pick_port("127.0.0.1", taken));
    ROADSIDE_TRY(unsigned short admin_port, pick_port("127.0.0.1", taken));

    // The token: an authentication key and the member's signing key.
    const fs::path sdir = dir / "servers" / server_code;
    ROADSIDE_TRY(crypto::PrivateKey auth_key, crypto::PrivateKey::generate(key_type));
    ROADSIDE_TRY(crypto::Certificate auth_cert, ca->issue_auth(server, auth_key, "Member " + std::to_string(i)));
    ROADSIDE_TRY(crypto::PrivateKey sign_key, crypto::PrivateKey::generate(key_type));
    ROADSIDE_TRY(crypto::Certificate sign_cert,
                 ca->issue_signing(member, server_code, "Member " + std::to_string(i), sign_key));
    const std::string auth_id = signer::new_key_id(), sign_id = signer::new_key_id();
    const std::string mechanism = o.ecdsa ? "CKM_ECDSA" : "CKM_RSA_PKCS";
    signer::Keyconf keyconf;
    keyconf.devices.push_back({"softToken",
                               "0",
                               {{signer::KeyUsage::authentication,
                                 auth_id,
                                 "Auth key",
                                 mechanism,
                                 {{signer::cert_id(auth_cert), true, std::nullopt, auth_cert, "registered"}}},
                                {signer::KeyUsage::signing,
                                 sign_id,
                                 "Sign key",
                                 mechanism,
                                 {{signer::cert_id(sign_cert), true, member, sign_cert, "registered"}}}}});
    ROADSIDE_TRY_STATUS(write_file_atomically(sdir / "token" / "keyconf.xml", keyconf.to_xml()));
    ROADSIDE_TRY_STATUS(signer::write_soft_token_key(sdir / "token", auth_id, auth_key, pin));
    ROADSIDE_TRY_STATUS(signer::write_soft_token_key(sdir / "token", sign_id, sign_key, pin));

    globalconf::SecurityServer ss{server, address, {crypto::sha256(auth_cert.to_der())}, {member, client, service}};
    if (management) ss.clients.push_back(*management);
    shared.security_servers.push_back(ss);

    const std::string yaml = "# roadside serve --config " + (sdir / "roadside.yaml").string() +
                             "  (written by roadside testbed init)\n" + "data_dir: " + (sdir / "data").string() +
                             "\nlisten:\n  address: 127.0.0.1\nhealth:\n  port: " + std::to_string(health_port) +
                             "\nadmin:\n  port: " + std::to_string(admin_port) +
                             "\nglobalconf:\n  anchor: " + (dir / "anchor.xml").string() +
                             "\n  refresh_interval_s: 10\ntoken:\n  import_dir: " + (sdir / "token").string() +
                             "\nserver_conf:\n  file: " + (sdir / "server-conf.yaml").string() +
                             "\n  poll_interval_s: 2\nproxy:\n  client_port: " + std::to_string(client_http) +
                             "\n  client_tls_port: " + std::to_string(client_https) + "\n  server_address: " + address +
                             "\n  server_port: " + std::to_string(server_port) +
                             "\n  peer_port: " + std::to_string(server_port) +
                             "\n  ocsp_responder_port: " + std::to_string(ocsp_port) +
                             "\n  peer_ocsp_port: " + std::to_string(ocsp_port) + "\nocsp:\n  check_interval_s: 30\n";
    ROADSIDE_TRY_STATUS(write_file_atomically(sdir / "roadside.yaml", yaml));

    // What the server hosts: its member and subsystems; the last one provides the example services.
    std::string conf =
        "# roadside apply " + (sdir / "server-conf.yaml").string() + "  (written by roadside testbed init)\n" +
        "owner: " + member.to_string() + "\nserver_code: " + server_code + "\ntimestamping_services:\n  - name: " + o.instance +
        " Test TSA\n    url: " + tsa_url + "\nclients:\n  - id: " + member.to_string() +
        "\n  - id: " + client.to_string() + "\n    connection: NOAUTH\n  - id: " + service.to_string() + "\n";
    if (code == provider) {
      conf += "    services:\n      - code: echo\n        type: OPENAPI\n        url: " + services_url +
              "/echo\n        timeout_s: 30\n" + "        openapi: " + services_url +
              "/openapi.json\n        endpoints:\n          - {method: GET, path: /**}\n" +
              "          - {method: POST, path: /**}\n" +
              "      - code: bytes\n        type: REST\n        url: " + services_url +
              "/bytes\n        timeout_s: 300\n" +
              "      - code: getRandom\n        version: v1\n        type: WSDL\n        url: " + services_url +
              "/soap\n" + "    access:\n      - service: echo\n        subjects: [" + subjects + "]\n" +
              "      - service: bytes\n        subjects: [" + subjects + "]\n" +
              "      - service: getRandom\n        version: v1\n        subjects: [" + subjects + "]\n";
    }
    if (management) {
      // The management service provider: the Central Server's services, open to every
      // Security Server owner (X-Road's security-server-owners global group).
      conf += "  - id: " + management->to_string() + "\n    services:\n";
      std::string access;
      for (const auto type : management::kRequestTypes) {
        if (type == management::RequestType::auth_cert_reg) continue;  // sent to the Central Server directly
        const std::string mcode(management::service_code(type));
        conf += "      - code: " + mcode + "\n        type: WSDL\n        url: " + management_url +
                "\n        wsdl: " + management_url + "?wsdl\n";
        access += "      - service: " + mcode + "\n        subjects: [\"GLOBALGROUP:" + o.instance +
                  "/security-server-owners\"]\n";
      }
      conf += "    access:\n" + access;
    }
    ROADSIDE_TRY_STATUS(write_file_atomically(sdir / "server-conf.yaml", conf));
    json clients = json::array();
    for (const auto& c : ss.clients) clients.push_back(c.to_string());
    servers.push_back({{"id", server.to_string()},
                       {"owner", member.to_string()},
                       {"address", address},
                       {"config", (sdir / "roadside.yaml").string()},
                       {"server_conf", (sdir / "server-conf.yaml").string()},
                       {"token", (sdir / "token").string()},
                       {"log", (sdir / "serve.log").string()},
                       {"client_http", "127.0.0.1:" + std::to_string(client_http)},
                       {"client_https", "127.0.0.1:" + std::to_string(client_https)},
                       {"server_port", server_port},
                       {"health_url", loop + std::to_string(health_port)},
                       {"ocsp_responder", "http://" + address + ":" + std::to_string(ocsp_port)},
                       {"ocsp_port", ocsp_port},
                       {"admin_url", "https://127.0.0.1:" + std::to_string(admin_port)},
                       {"clients", clients}});
  }
  shared.global_groups.push_back(owners);

  // Example services, provided by the last member's SERVICE subsystem, open to every CLIENT.
  json allowed = json::array();
  for (const auto& c : client_subsystems) allowed.push_back(c.to_string());
  json services = json::array(
      {{{"id", XRoadId::service(o.instance, member_class, provider, "SERVICE", "echo", "")->to_string()},
        {"type", "REST"},
        {"url", services_url + "/echo"},
        {"openapi", services_url + "/openapi.json"},
        {"allowed_clients", allowed}},
       {{"id", XRoadId::service(o.instance, member_class, provider, "SERVICE", "getRandom", "v1")->to_string()},
        {"type", "SOAP"},
        {"url", services_url + "/soap"},
        {"wsdl", services_url + "/soap?wsdl"},
        {"allowed_clients", allowed}},
       {{"id", XRoadId::service(o.instance, member_class, provider, "SERVICE", "bytes", "")->to_string()},
        {"type", "REST"},
        {"url", services_url + "/bytes"},
        {"allowed_clients", allowed}}});

  globalconf::PrivateParameters priv;
  priv.instance = o.instance;
  priv.auth_cert_reg_service_address = auth_cert_reg_url;
  priv.auth_cert_reg_service_cert = tls_cert;
  const XRoadId management_provider = *XRoadId::subsystem(o.instance, member_class, "1001", "MANAGEMENT");
  priv.management_service_provider = management_provider;
  priv.timestamping_interval_seconds = 60;
  ROADSIDE_TRY_STATUS(write_file_atomically(dir / "globalconf" / "shared-params.xml", shared.to_xml()));
  ROADSIDE_TRY_STATUS(write_file_atomically(dir / "globalconf" / "private-params.xml", priv.to_xml()));
  // The first member is the instance's monitoring client: it may read every server's
  // operational and environmental monitoring data.
  globalconf::MonitoringParameters monitoring{*XRoadId::member(o.instance, member_class, "1001")};
  ROADSIDE_TRY_STATUS(write_file_atomically(dir / "globalconf" / "monitoring-params.xml", monitoring.to_xml()));
  globalconf::Anchor anchor{o.instance, std::chrono::system_clock::now(), {{globalconf_url, {conf_cert}}}};
  ROADSIDE_TRY_STATUS(write_file_atomically(dir / "anchor.xml", anchor.to_xml()));

  json instance = {{"instance", o.instance},
                   {"anchor", (dir / "anchor.xml").string()},
                   {"globalconf_url", globalconf_url},
                   {"ca",
                    {{"cert", (dir / "ca" / "ca.pem").string()},
                     {"ocsp_url", ocsp_url},
                     {"profile", std::string(profile->name())},
                     {"profile_class", profile->class_name()}}},
                   {"tsa_url", tsa_url},
                   {"tsa_cert", (dir / "ca" / "tsa.pem").string()},
                   {"servers", servers},
                   {"services", services},
                   {"token_pin_env", "XROAD_TOKEN_PIN"},
                   {"central",
                    {{"auth_cert_reg_url", auth_cert_reg_url},
                     {"management_url", management_url},
                     {"management_service", management_provider.to_string()},
                     {"tls_cert", (dir / "central" / "tls.pem").string()},
                     {"requests", (dir / "central" / "requests.json").string()},
                     {"hold_requests", o.hold_requests}}},
                   {"ports",
                    {{"publisher", publisher_port},
                     {"authorities", authority_port},
                     {"services", services_port},
                     {"central", central_port},
                     {"management", management_port}}}};
  ROADSIDE_TRY_STATUS(write_file_atomically(dir / "instance.json", instance.dump(2) + "\n"));
  return instance;
}

Result<json> read_instance(const fs::path& dir) {
  ROADSIDE_TRY(std::string text, read_file_limited(dir / "instance.json", 1 << 20));
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return bad((dir / "instance.json").string() + " is not a JSON object");
  for (const char* key : {"instance", "anchor", "globalconf_url", "ca", "tsa_url", "servers", "services", "ports"}) {
    if (!j.contains(key)) return bad((dir / "instance.json").string() + " has no \"" + key + "\"");
  }
  return j;
}

Result<crypto::Certificate> sign_csr(const fs::path& dir, trust::CertType type, std::string_view csr) {
  ROADSIDE_TRY(json j, read_instance(dir));
  if (!j["instance"].is_string()) return bad((dir / "instance.json").string() + ": \"instance\" is not a string");
  auto request = crypto::CertificateRequest::parse(csr);
  if (!request.ok()) return bad("not a certificate signing request: " + request.error().detail());
  ROADSIDE_TRY(std::unique_ptr<TestCa> ca, TestCa::load(dir / "ca"));
  return ca->sign_csr(*request, type, j["instance"].get<std::string>());
}

}  // namespace roadside::testbed
