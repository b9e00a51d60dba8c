// testbed init, add-client, sign-csr, up, down, requests, approve: a local X-Road instance (the
// testbed module).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "base/errors.h"
#include "base/files.h"
#include "base/log.h"
#include "cli/command.h"
#include "testbed/instance.h"
#include "testbed/management_desk.h"
#include "testbed/members.h"
#include "testbed/runner.h"

namespace roadside::cli {

namespace {

// Three parts are a member, four a subsystem (the server configuration's short form).
std::string client_type(const std::string& text) {
  return std::count(text.begin(), text.end(), '/') == 3 ? "SUBSYSTEM" : "MEMBER";
}

// A refused option or argument (base::errc::invalid_argument) exits 2 as configuration
// errors do; anything else exits 1 with its code on the last line.
int testbed_error(const Error& e, const std::string& context = {}) {
  std::cerr << "roadside: " << context << e.detail() << "\n";
  if (e.code() == base::make_error_code(base::errc::invalid_argument)) return 2;
  std::cerr << e.fault_code() << "\n";
  return 1;
}

}  // namespace

void add_testbed_commands(CLI::App& app, Commands& out) {
  struct State {
    testbed::InitOptions init;
    std::string dir;
    bool no_servers = false;
    int conf_validity_s = 600;
    std::int64_t soap_of = 0;  // requests --soap ID
    int server = 1;
    std::vector<std::string> clients;
    std::string usage, out, csr;
    std::string server_id, address, token;
    bool der = false;
    std::int64_t request_id = 0;
  };
  auto s = std::make_shared<State>();
  auto* tb = app.add_subcommand("testbed", "A local X-Road instance: test CA, OCSP, TSA, configuration, servers");
  tb->require_subcommand(1);

  auto* init = tb->add_subcommand("init", "Create an instance in a folder (writes DIR/instance.json)");
  init->add_option("--dir", s->dir, "Folder for the instance")->required();
  init->add_option("--instance", s->init.instance, "Instance identifier")->capture_default_str();
  init->add_option("--servers", s->init.servers, "Number of security servers (1 to 20)")->capture_default_str();
  init->add_flag("--ecdsa", s->init.ecdsa, "ECDSA (P-256) keys instead of RSA 2048");
  init->add_option("--ca", s->init.ca_from,
                   "Use this test CA instead of a new one: a folder with X-Road's test CA's files (ca.cert.pem, "
                   "ca.key.pem, ocsp.*, tsa.*)");
  init->add_option("--profile", s->init.profile,
                   "The CA's certificate profile: Basic, BasicACME, Ejbca, FiVRK, Fo, Is, SkEsteId, SkKlass3 (or "
                   "X-Road's class name)")
      ->capture_default_str();
  init->add_flag("--hold-requests", s->init.hold_requests,
                 "Management requests X-Road's Central Server holds for approval wait for `testbed approve`");
  out.push_back({init, [s] {
                   if (const char* pin = std::getenv("XROAD_TOKEN_PIN"); pin && *pin) s->init.pin = pin;
                   s->init.dir = s->dir;
                   auto made = testbed::init_instance(s->init);
                   if (!made.ok()) return testbed_error(made.error());
                   std::cout << "instance " << (*made)["instance"].get<std::string>() << " created in " << s->dir << " with "
                             << (*made)["servers"].size() << " servers\n  run it:  roadside testbed up --dir " << s->dir
                             << "\n  contract: " << (std::filesystem::path(s->dir) / "instance.json").string() << "\n";
                   return 0;
                 }});

  auto* external = tb->add_subcommand(
      "add-server", "List a Security Server that `up` does not run (e.g. one taken over by import-xroad), before `up`");
  external->add_option("--dir", s->dir, "Folder of the instance")->required();
  external->add_option("--id", s->server_id, "The server: INSTANCE/CLASS/CODE/SERVER")->required();
  external->add_option("--address", s->address, "Its address, as other servers reach it")->required();
  external->add_option("--token", s->token, "Its software token folder (keyconf.xml): the authentication certificate")
      ->required();
  external->add_option("clients", s->clients, "Its clients besides the owner (INSTANCE/CLASS/CODE[/SUBSYSTEM])");
  out.push_back({external, [s] {
                   auto server = XRoadId::parse("SERVER:" + s->server_id);
                   if (!server.ok()) return testbed_error(server.error(), "--id: ");
                   std::vector<XRoadId> clients;
                   for (const std::string& text : s->clients) {
                     auto id = XRoadId::parse(client_type(text) + ":" + text);
                     if (!id.ok()) return testbed_error(id.error(), text + ": ");
                     clients.push_back(*id);
                   }
                   auto added = testbed::add_server(s->dir, *server, s->address, s->token, clients);
                   if (!added.ok()) return testbed_error(added.error());
                   std::cout << server->to_string() << " is listed at " << s->address << "\n";
                   return 0;
                 }});

  auto* add = tb->add_subcommand("add-client", "Register members or subsystems as clients of a server, before `up`");
  add->add_option("--dir", s->dir, "Folder of the instance")->required();
  add->add_option("--server", s->server, "The server (1 for ss1, ...)")->capture_default_str();
  add->add_option("ids", s->clients, "Members (INSTANCE/CLASS/CODE) or subsystems (INSTANCE/CLASS/CODE/SUBSYSTEM)")->required();
  out.push_back({add, [s] {
                   for (const std::string& text : s->clients) {
                     auto id = XRoadId::parse(text.find(':') == std::string::npos ? client_type(text) + ":" + text : text);
                     auto added = id.ok() ? testbed::add_client(s->dir, s->server, *id) : Result<nlohmann::json>(id.error());
                     if (!added.ok()) return testbed_error(added.error(), text + ": ");
                     std::cout << text << " is a client of ss" << s->server << "\n";
                   }
                   return 0;
                 }});

  auto* sign = tb->add_subcommand("sign-csr", "The test CA signs a CSR (DER or PEM) as it would a Security Server's");
  sign->add_option("--dir", s->dir, "Folder of the instance")->required();
  sign->add_option("--usage", s->usage, "auth (authentication certificate) or sign (signing certificate)")->required();
  sign->add_option("--out", s->out, "Write the certificate here (default: standard output)");
  sign->add_flag("--der", s->der, "Write DER instead of PEM");
  sign->add_option("csr", s->csr, "The CSR file, DER or PEM")->required();
  out.push_back({sign, [s] {
                   if (s->usage != "auth" && s->usage != "sign") {
                     std::cerr << "roadside: --usage is auth or sign, not \"" << s->usage << "\"\n";
                     return 2;
                   }
                   auto csr = read_file_limited(s->csr, crypto::CertificateRequest::kMaxBytes);
                   if (!csr.ok()) {
                     std::cerr << "roadside: " << s->csr << ": " << csr.error().detail() << "\n";
                     return 2;
                   }
                   const auto type = s->usage == "auth" ? trust::CertType::auth : trust::CertType::sign;
                   auto cert = testbed::sign_csr(s->dir, type, *csr);
                   if (!cert.ok()) return testbed_error(cert.error(), s->csr + ": ");
                   const std::string bytes = s->der ? cert->to_der() : cert->to_pem();
                   if (s->out.empty()) {
                     std::cout << bytes << std::flush;
                     return 0;
                   }
                   if (auto st = write_file_atomically(s->out, bytes); !st.ok()) return testbed_error(st.error());
                   std::cerr << "certificate " << cert->serial_hex() << " for " << cert->subject() << " written to "
                             << s->out << "\n";
                   return 0;
                 }});

  auto* up = tb->add_subcommand("up", "Run the instance in the foreground until SIGTERM");
  up->add_option("--dir", s->dir, "Folder of the instance")->required();
  up->add_flag("--no-servers", s->no_servers, "Run the CA, OCSP, TSA, publisher and services only; the servers run elsewhere (containers)");
  up->add_option("--conf-validity-s", s->conf_validity_s,
                 "Seconds a published configuration stays valid (signed again at half that)")
      ->capture_default_str()
      ->check(CLI::Range(10, 86400));
  out.push_back({up, [s] {
                   (void)log::init(log::Level::info);
                   return testbed::run_instance(s->dir, {.with_servers = !s->no_servers,
                                                         .conf_validity = std::chrono::seconds(s->conf_validity_s)});
                 }});

  // The management requests the instance's Central Server received (testbed/management_desk.h).
  // `approve` works whether or not `up` runs: a running `up` republishes when it sees the
  // shared parameters change.
  auto open_desk = [](const std::string& dir) -> Result<testbed::ManagementDesk> {
    ROADSIDE_TRY(nlohmann::json j, testbed::read_instance(dir));
    if (!j.contains("central") || !j["central"].is_object())
      return Error(base::make_error_code(base::errc::invalid_argument),
                   dir + " was made before the testbed had a management service (run testbed init again)");
    ROADSIDE_TRY(XRoadId provider, XRoadId::parse(j["central"].value("management_service", std::string())));
    return testbed::ManagementDesk(std::filesystem::absolute(dir), j["central"].value("hold_requests", false),
                                   provider);
  };
  auto* requests = tb->add_subcommand("requests", "List the management requests received, as JSON");
  requests->add_option("--dir", s->dir, "Folder of the instance")->required();
  requests->add_option("--soap", s->soap_of, "Print the SOAP part of this request as it arrived instead");
  out.push_back({requests, [s, open_desk] {
                   auto desk = open_desk(s->dir);
                   if (!desk.ok()) return testbed_error(desk.error());
                   if (s->soap_of > 0) {
                     auto soap = read_file_limited(desk->received_soap_path(s->soap_of), management::kMaxRequestBytes);
                     if (!soap.ok()) return testbed_error(soap.error());
                     std::cout << *soap;
                     return 0;
                   }
                   auto list = desk->list();
                   if (!list.ok()) return testbed_error(list.error());
                   nlohmann::json a = nlohmann::json::array();
                   for (const auto& r : *list) a.push_back(testbed::to_json(r));
                   std::cout << a.dump(2) << "\n";
                   return 0;
                 }});
  auto* approve = tb->add_subcommand("approve", "Approve a held management request and apply it");
  approve->add_option("--dir", s->dir, "Folder of the instance")->required();
  approve->add_option("id", s->request_id, "The request's id (testbed requests)")->required();
  out.push_back({approve, [s, open_desk] {
                   auto desk = open_desk(s->dir);
                   if (!desk.ok()) return testbed_error(desk.error());
                   auto r = desk->approve(s->request_id);
                   if (!r.ok()) return testbed_error(r.error());
                   std::cout << testbed::to_json(*r).dump(2) << "\n";
                   return 0;
                 }});

  auto* down = tb->add_subcommand("down", "Stop an instance running in the background");
  down->add_option("--dir", s->dir, "Folder of the instance")->required();
  out.push_back({down, [s] { return testbed::stop_instance(s->dir); }});
}

}  // namespace roadside::cli
