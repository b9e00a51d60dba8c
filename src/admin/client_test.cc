// /clients, client statuses following global configuration, and the management requests the
// client routes send (to a fake client proxy that answers as the Central Server would).
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "admin/admin_test_support.h"
#include "admin/client_states.h"
#include "admin/endpoints.h"
#include "crypto/csr.h"
#include "management/errors.h"
#include "management/signed_request.h"
#include "serverconf/revisions.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::admin {
namespace {

using serverconf::ClientStatus;

const XRoadId kOwner = *XRoadId::member("DEV", "COM", "1234");
const XRoadId kServer = *XRoadId::server("DEV", "COM", "1234", "ss9");
const XRoadId kSub = *XRoadId::subsystem("DEV", "COM", "1234", "SUB");
const XRoadId kManagement = *XRoadId::subsystem("DEV", "COM", "1001", "MANAGEMENT");

serverconf::Client client(const XRoadId& id, std::optional<ClientStatus> status) {
  return serverconf::Client{id, serverconf::IsAuth::noauth, {}, status};
}

globalconf::SharedParameters shared_listing(std::vector<XRoadId> clients) {
  globalconf::SharedParameters shared;
  shared.instance = "DEV";
  shared.member_classes = {"COM", "GOV"};
  shared.members.push_back({kOwner, "Owner Ltd", {kSub}});
  shared.security_servers.push_back({kServer, "ss9.example.org", {}, std::move(clients)});
  return shared;
}

TEST(ClientStates, FollowGlobalConfigurationAsXRoadsChecker) {
  const auto listed = shared_listing({kSub});
  const auto unlisted = shared_listing({});
  struct Case {
    ClientStatus now, when_listed, when_not;
  };
  const Case cases[] = {
      {ClientStatus::saved, ClientStatus::registered, ClientStatus::saved},
      {ClientStatus::registration_in_progress, ClientStatus::registered, ClientStatus::registration_in_progress},
      {ClientStatus::global_error, ClientStatus::registered, ClientStatus::global_error},
      {ClientStatus::registered, ClientStatus::registered, ClientStatus::global_error},
      {ClientStatus::deletion_in_progress, ClientStatus::deletion_in_progress, ClientStatus::deletion_in_progress},
      {ClientStatus::disabled, ClientStatus::disabled, ClientStatus::disabled},
      {ClientStatus::disabling_in_progress, ClientStatus::disabled, ClientStatus::disabling_in_progress},
      {ClientStatus::enabling_in_progress, ClientStatus::registered, ClientStatus::enabling_in_progress},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(serverconf::to_string(c.now)));
    EXPECT_EQ(next_client_status(client(kSub, c.now), listed, kServer), c.when_listed);
    EXPECT_EQ(next_client_status(client(kSub, c.now), unlisted, kServer), c.when_not);
  }
  // The owner is listed with its server, whatever the client list says; another server's
  // listing does not count.
  EXPECT_EQ(next_client_status(client(kOwner, ClientStatus::saved), unlisted, kServer), ClientStatus::registered);
  EXPECT_EQ(next_client_status(client(kSub, ClientStatus::saved), listed, *XRoadId::server("DEV", "COM", "1234", "x")),
            ClientStatus::saved);

  serverconf::ServerConf conf;
  conf.owner = kOwner;
  conf.server_code = "ss9";
  conf.clients = {client(kOwner, ClientStatus::saved), client(kSub, ClientStatus::registration_in_progress)};
  auto changes = follow_global_configuration(conf, listed);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(conf.clients[1].status, ClientStatus::registered);
  EXPECT_TRUE(follow_global_configuration(conf, listed).empty()) << "nothing more to change";
}

TEST(ClientStates, StoredAsJsonAndYamlAndKeptByApply) {
  serverconf::ServerConf conf;
  conf.owner = kOwner;
  conf.server_code = "ss9";
  conf.clients = {client(kOwner, ClientStatus::registered), client(kSub, ClientStatus::deletion_in_progress)};
  const std::string json = conf.to_json();
  EXPECT_EQ(json.find("\"REGISTERED\""), std::string::npos) << "REGISTERED is not written: old digests stay";
  auto back = serverconf::ServerConf::from_json(json);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->clients[0].status, ClientStatus::registered);
  EXPECT_EQ(back->clients[1].status, ClientStatus::deletion_in_progress);
  std::string bad = json;
  bad.replace(bad.find("DELETION_IN_PROGRESS"), 20, "NO_SUCH_STATUS_AT_ALL");
  EXPECT_FALSE(serverconf::ServerConf::from_json(bad).ok());

  const std::string yaml =
      "owner: MEMBER:DEV/COM/1234\nserver_code: ss9\nclients:\n  - id: DEV/COM/1234\n"
      "  - id: DEV/COM/1234/SUB\n";
  auto parsed = serverconf::ServerConf::parse_yaml(yaml);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_FALSE(parsed->clients[1].status.has_value());
  auto saved = serverconf::ServerConf::parse_yaml(yaml + "    status: saved\n");
  ASSERT_TRUE(saved.ok()) << saved.error().to_string();
  EXPECT_EQ(saved->clients[1].status, ClientStatus::saved);
  EXPECT_FALSE(serverconf::ServerConf::parse_yaml(yaml + "    status: [1, 2]\n").ok());
  EXPECT_FALSE(serverconf::ServerConf::parse_yaml(yaml + "    status: HALF_REGISTERED\n").ok());

  // A client the file names without a status: new ones are REGISTERED, known ones keep theirs,
  // so re-applying the same file changes nothing.
  roadside::testing::TempDir dir;
  auto conn = storage::open_sqlite({dir / "db"});
  ASSERT_TRUE(conn.ok());
  storage::Store store(std::move(*conn));
  ASSERT_TRUE(store.migrate().ok());
  ASSERT_TRUE(serverconf::apply(store, *parsed, "test").ok());
  EXPECT_EQ(serverconf::load_latest(store)->conf->clients[1].status, ClientStatus::registered);
  serverconf::ServerConf moved = *serverconf::load_latest(store)->conf;
  moved.clients[1].status = ClientStatus::deletion_in_progress;
  ASSERT_TRUE(serverconf::apply(store, moved, "test").ok());
  auto again = serverconf::apply(store, *parsed, "test");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->second) << "the same file again: no new revision";
  EXPECT_EQ(serverconf::load_latest(store)->conf->clients[1].status, ClientStatus::deletion_in_progress);
}

using test_support::run;

// A server of owner DEV:COM:1234 with its owner's signing key, and a fake client proxy that
// answers as the Central Server (or with `fault`).
struct Server {
  Server() : store(open(dir)), token(*store), state{*store, token} {
    EXPECT_TRUE(token.initialize("pin-1").ok());
    serverconf::ServerConf conf;
    conf.owner = kOwner;
    conf.server_code = "ss9";
    conf.clients = {client(kOwner, ClientStatus::registered)};
    EXPECT_TRUE(serverconf::apply(*store, conf, "test").ok());
    shared = std::make_shared<globalconf::SharedParameters>(shared_listing({}));
    priv = std::make_shared<globalconf::PrivateParameters>();
    priv->instance = "DEV";
    priv->management_service_provider = kManagement;
    state.shared = [this] { return shared; };
    state.private_params = [this] { return priv; };
    state.instance = [] { return std::string("DEV"); };
    state.server_id = [] { return kServer; };
    state.ocsp_response = [](const crypto::Certificate&) { return std::optional<std::string>("ocsp-der"); };
    state.post_management_request =
        [this](std::string content_type,
               std::string body) -> asio::awaitable<Result<std::pair<std::string, std::string>>> {
      sent.emplace_back(content_type, body);
      if (fault) co_return std::make_pair(std::string("text/xml"), *fault);
      auto request = management::parse_request(content_type, body);
      if (!request.ok()) co_return request.error();
      co_return std::make_pair(std::string("text/xml; charset=UTF-8"),
                               management::build_response(request->request, 77));
    };
    add_client_routes(api, state);
  }

  static std::unique_ptr<storage::Store> open(const roadside::testing::TempDir& d) {
    auto conn = storage::open_sqlite({d / "db"});
    EXPECT_TRUE(conn.ok());
    auto s = std::make_unique<storage::Store>(std::move(*conn));
    EXPECT_TRUE(s->migrate().ok());
    return s;
  }

  // A signing key with a certificate for `member`, imported (registered and active).
  void add_signing_key(const XRoadId& member) {
    auto key = token.generate_key("sign", crypto::KeyType::ec_p256);
    ASSERT_TRUE(key.ok());
    auto csr = token.make_csr(key->key_id, signer::KeyUsage::signing, member, {{"CN", "x"}}, "FiVRK");
    ASSERT_TRUE(csr.ok()) << csr.error().to_string();
    auto cert = test_support::issue_for_csr(csr->der, std::string(member.member_code()), crypto::Usage::signing);
    ASSERT_TRUE(cert.ok()) << cert.error().to_string();
    auto imported = token.import_certificate(*cert, member);
    ASSERT_TRUE(imported.ok()) << imported.error().to_string();
    ASSERT_TRUE(token.set_status(imported->hash(), signer::CertStatus::registered).ok());
    ASSERT_TRUE(token.set_active(imported->hash(), true).ok());
  }

  Response call(Verb method, std::string path, std::string body = {}) {
    Request r{.method = method, .path = path, .body = std::move(body)};
    r.caller = {"test", Roles::all(), AuthKind::api_key, "127.0.0.1"};
    std::map<std::string, std::string> params;
    const std::string without_query = path.substr(0, path.find('?'));
    if (path.find('?') != std::string::npos) {
      std::string_view q = std::string_view(path).substr(path.find('?') + 1);
      while (!q.empty()) {
        const auto amp = q.find('&');
        const auto pair = q.substr(0, amp);
        const auto eq = pair.find('=');
        r.query[std::string(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
        q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
      }
    }
    r.path = without_query;
    return run(api, std::move(r));
  }
  static nlohmann::json body(const Response& r) { return nlohmann::json::parse(r.body); }
  ClientStatus status_of(const XRoadId& id) {
    return serverconf::load_latest(*store)->conf->client(id)->status_or_registered();
  }

  roadside::testing::TempDir dir;
  std::unique_ptr<storage::Store> store;
  signer::SoftToken token;
  ServerState state;
  Api api;
  std::shared_ptr<globalconf::SharedParameters> shared;
  std::shared_ptr<globalconf::PrivateParameters> priv;
  std::vector<std::pair<std::string, std::string>> sent;
  std::optional<std::string> fault;
};

TEST(ClientRoutes, AddFindUpdateAndDeleteAsXRoadAllows) {
  Server s;
  auto added = s.call(Verb::post, "/clients",
                      R"({"client":{"member_class":"COM","member_code":"1234","subsystem_code":"SUB",
                          "connection_type":"HTTP"}})");
  ASSERT_EQ(added.status, 201u) << added.body;
  EXPECT_EQ(Server::body(added)["status"], "SAVED");
  EXPECT_EQ(Server::body(added)["member_name"], "Owner Ltd");
  EXPECT_EQ(s.call(Verb::post, "/clients", R"({"client":{"member_class":"COM","member_code":"1234",
                                               "subsystem_code":"SUB"}})")
                .status,
            409u);
  // A member the instance does not know: a warning unless ignored.
  auto warned = s.call(Verb::post, "/clients", R"({"client":{"member_class":"GOV","member_code":"9"}})");
  EXPECT_EQ(warned.status, 400u);
  EXPECT_EQ(Server::body(warned)["warnings"][0]["code"], "unregistered_member");
  EXPECT_EQ(s.call(Verb::post, "/clients", R"({"client":{"member_class":"GOV","member_code":"9"},
                                               "ignore_warnings":true})")
                .status,
            201u);
  auto second = s.call(Verb::post, "/clients", R"({"client":{"member_class":"GOV","member_code":"8"},
                                                   "ignore_warnings":true})");
  EXPECT_EQ(second.status, 409u);
  EXPECT_EQ(Server::body(second)["error"]["code"], "additional_member_already_exists");

  EXPECT_EQ(Server::body(s.call(Verb::get, "/clients"))[0]["owner"], true);
  EXPECT_EQ(Server::body(s.call(Verb::get, "/clients?show_members=false")).size(), 1u);
  EXPECT_EQ(Server::body(s.call(Verb::get, "/clients?member_class=gov")).size(), 1u);
  EXPECT_EQ(Server::body(s.call(Verb::get, "/clients?name=OWNER")).size(), 2u);
  // Global configuration's clients as well: the owner and its subsystem are local already.
  EXPECT_EQ(Server::body(s.call(Verb::get, "/clients?internal_search=false&exclude_local=true")).size(), 0u);

  auto patched = s.call(Verb::patch, "/clients/DEV:COM:1234:SUB", R"({"connection_type":"HTTPS"})");
  ASSERT_EQ(patched.status, 200u) << patched.body;
  EXPECT_EQ(Server::body(patched)["connection_type"], "HTTPS");
  EXPECT_EQ(serverconf::load_latest(*s.store)->conf->client(kSub)->is_auth, serverconf::IsAuth::sslauth);

  EXPECT_EQ(s.call(Verb::delete_, "/clients/DEV:COM:1234").status, 400u) << "never the owner";
  EXPECT_EQ(s.call(Verb::delete_, "/clients/DEV:COM:1234:SUB").status, 204u);
  EXPECT_EQ(s.call(Verb::get, "/clients/DEV:COM:1234:SUB").status, 404u);
}

TEST(ClientRoutes, HostileInputIsAClearError) {
  Server s;
  const std::pair<std::string, std::string> bodies[] = {
      {"not json", "invalid_request_body"},  // the router's, before the handler
      {"[]", "invalid_parameters"},
      {R"({"client":"DEV:COM:1"})", "invalid_parameters"},
      {R"({"client":{"member_class":"COM","member_code":"a:b"}})", "invalid_client_identifier"},
      {R"({"client":{"member_class":"COM","member_code":""}})", "invalid_client_identifier"},
      {R"({"client":{"member_class":"NOPE","member_code":"1"}})", "invalid_member_class"},
      {R"({"client":{"member_class":"COM","member_code":"1","connection_type":"FTP"}})", "invalid_connection_type"},
      {R"({"client":{"member_class":"COM","member_code":"1","connection_type":7}})", "invalid_connection_type"},
      {R"({"client":{"member_class":["COM"],"member_code":{"x":1}}})", "invalid_client_identifier"},
  };
  for (const auto& [body, code] : bodies) {
    SCOPED_TRACE(body);
    auto r = s.call(Verb::post, "/clients", body);
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_EQ(Server::body(r)["error"]["code"], code);
  }
  EXPECT_EQ(s.call(Verb::get, "/clients/DEV:COM").status, 400u);
  EXPECT_EQ(s.call(Verb::get, "/clients/DEV:COM:1:2:3").status, 400u);
  EXPECT_EQ(s.call(Verb::get, "/clients?show_members=maybe").status, 400u);
  EXPECT_EQ(s.call(Verb::get, "/clients?member_code=" + std::string(300, 'x')).status, 400u);
  EXPECT_EQ(s.call(Verb::patch, "/clients/DEV:COM:1234", "{}").status, 400u);
  EXPECT_EQ(s.call(Verb::post, "/clients/DEV:COM:1234/tls-certificates", std::string(5000, '\x30')).status, 400u);
  EXPECT_EQ(s.call(Verb::get, "/clients/DEV:COM:1234/tls-certificates/nothex").status, 400u);
  EXPECT_EQ(s.call(Verb::get, "/clients/DEV:COM:1234/tls-certificates/" + std::string(65, 'a')).status, 400u);
  EXPECT_EQ(s.call(Verb::get, "/clients/DEV:COM:1234/tls-certificates/ab").status, 404u);
}

TEST(ClientRoutes, TlsCertificatesOfAClient) {
  Server s;
  const auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  const auto cert = *crypto::issue_certificate({.common_name = "is", .usage = crypto::Usage::tls_server_and_client},
                                               key, nullptr, key);
  auto added = s.call(Verb::post, "/clients/DEV:COM:1234/tls-certificates", cert.to_pem());
  ASSERT_EQ(added.status, 201u) << added.body;
  const std::string hash = Server::body(added)["hash"];
  EXPECT_EQ(s.call(Verb::post, "/clients/DEV:COM:1234/tls-certificates", cert.to_der()).status, 409u);
  EXPECT_EQ(Server::body(s.call(Verb::get, "/clients/DEV:COM:1234/tls-certificates")).size(), 1u);
  EXPECT_EQ(s.call(Verb::delete_, "/clients/DEV:COM:1234/tls-certificates/" + hash).status, 204u);
  EXPECT_TRUE(serverconf::load_latest(*s.store)->conf->client(kOwner)->is_certs.empty());
}

TEST(ClientRoutes, RegisterAndUnregisterSendClientRegAndClientDeletion) {
  Server s;
  ASSERT_EQ(s.call(Verb::post, "/clients", R"({"client":{"member_class":"COM","member_code":"1234",
                                               "subsystem_code":"SUB"}})")
                .status,
            201u);
  // Without the member's signing key nothing is sent.
  auto unsigned_reg = s.call(Verb::put, "/clients/DEV:COM:1234:SUB/register");
  EXPECT_EQ(unsigned_reg.status, 400u);
  EXPECT_EQ(Server::body(unsigned_reg)["error"]["code"], "no_owner_signing_certificate");
  EXPECT_TRUE(s.sent.empty());
  s.add_signing_key(kOwner);

  EXPECT_EQ(Server::body(s.call(Verb::put, "/clients/DEV:COM:1234/register"))["error"]["code"],
            "cannot_register_owner");
  // The Central Server refuses: X-Road's error with its fault code; the status stays.
  s.fault = management::build_fault(Error(make_error_code(management::errc::invalid_request), "no"));
  auto refused = s.call(Verb::put, "/clients/DEV:COM:1234:SUB/register");
  EXPECT_EQ(refused.status, 500u);
  EXPECT_EQ(Server::body(refused)["error"]["code"], "management_request_failed");
  EXPECT_EQ(Server::body(refused)["error"]["metadata"][0], "invalid_request");
  EXPECT_EQ(s.status_of(kSub), ClientStatus::saved);

  s.fault.reset();
  s.sent.clear();
  auto registered = s.call(Verb::put, "/clients/DEV:COM:1234:SUB/register");
  ASSERT_EQ(registered.status, 204u) << registered.body;
  EXPECT_EQ(s.status_of(kSub), ClientStatus::registration_in_progress);
  ASSERT_EQ(s.sent.size(), 1u);
  auto request = management::parse_request(s.sent[0].first, s.sent[0].second);
  ASSERT_TRUE(request.ok()) << request.error().to_string();
  EXPECT_EQ(request->request.body.type, management::RequestType::client_reg);
  EXPECT_EQ(request->request.body.client, kSub);
  EXPECT_EQ(request->request.body.server, kServer);
  EXPECT_EQ(request->request.header.client, kOwner);
  EXPECT_TRUE(request->owner_signature.has_value()) << "signed by the client's member";
  EXPECT_EQ(s.call(Verb::put, "/clients/DEV:COM:1234:SUB/register").status, 400u) << "in progress already";
  EXPECT_EQ(s.call(Verb::delete_, "/clients/DEV:COM:1234:SUB").status, 400u) << "not while registering";

  // Global configuration lists it: REGISTERED.
  s.shared->security_servers[0].clients.push_back(kSub);
  EXPECT_EQ(*follow_global_configuration(*s.store, *s.shared), 1);
  EXPECT_EQ(s.status_of(kSub), ClientStatus::registered);

  // Disabled and enabled again (subsystems only), each completed by the next check.
  EXPECT_EQ(s.call(Verb::put, "/clients/DEV:COM:1234/disable").status, 400u);
  EXPECT_EQ(s.call(Verb::put, "/clients/DEV:COM:1234:SUB/enable").status, 400u) << "not disabled";
  s.sent.clear();
  ASSERT_EQ(s.call(Verb::put, "/clients/DEV:COM:1234:SUB/disable").status, 204u);
  EXPECT_EQ(s.status_of(kSub), ClientStatus::disabling_in_progress);
  ASSERT_EQ(s.sent.size(), 1u);
  EXPECT_EQ(management::parse_request(s.sent[0].first, s.sent[0].second)->request.body.type,
            management::RequestType::client_disable);
  EXPECT_EQ(*follow_global_configuration(*s.store, *s.shared), 1);
  EXPECT_EQ(s.status_of(kSub), ClientStatus::disabled);
  ASSERT_EQ(s.call(Verb::put, "/clients/DEV:COM:1234:SUB/enable").status, 204u);
  EXPECT_EQ(s.status_of(kSub), ClientStatus::enabling_in_progress);
  EXPECT_EQ(*follow_global_configuration(*s.store, *s.shared), 1);
  EXPECT_EQ(s.status_of(kSub), ClientStatus::registered);

  // Renamed: clientRename with the new name; a name X-Road refuses is not sent.
  for (const char* bad : {R"({"client_name":""})", R"({"client_name":"a/b"})", R"({"client_name":"a\u0001"})",
                          R"({"client_name":7})", "[]"}) {
    EXPECT_EQ(Server::body(s.call(Verb::put, "/clients/DEV:COM:1234:SUB/rename", bad))["error"]["code"],
              "invalid_client_name")
        << bad;
  }
  s.sent.clear();
  ASSERT_EQ(s.call(Verb::put, "/clients/DEV:COM:1234:SUB/rename", R"({"client_name":"New Name"})").status, 204u);
  ASSERT_EQ(s.sent.size(), 1u);
  EXPECT_EQ(management::parse_request(s.sent[0].first, s.sent[0].second)->request.body.subsystem_name, "New Name");
  EXPECT_EQ(s.call(Verb::put, "/clients/DEV:COM:1234/rename", R"({"client_name":"x"})").status, 400u);

  EXPECT_EQ(Server::body(s.call(Verb::put, "/clients/DEV:COM:1234/unregister"))["error"]["code"],
            "cannot_unregister_owner");
  s.sent.clear();
  ASSERT_EQ(s.call(Verb::put, "/clients/DEV:COM:1234:SUB/unregister").status, 204u);
  EXPECT_EQ(s.status_of(kSub), ClientStatus::deletion_in_progress);
  ASSERT_EQ(s.sent.size(), 1u);
  EXPECT_EQ(s.sent[0].first.substr(0, 8), "text/xml") << "clientDeletion goes unsigned";
  s.shared->security_servers[0].clients.clear();
  EXPECT_EQ(*follow_global_configuration(*s.store, *s.shared), 0) << "DELETION_IN_PROGRESS waits for the administrator";
  EXPECT_EQ(s.call(Verb::delete_, "/clients/DEV:COM:1234:SUB").status, 204u);

  // No client proxy: a clear error.
  s.state.post_management_request = nullptr;
  ASSERT_EQ(s.call(Verb::post, "/clients", R"({"client":{"member_class":"COM","member_code":"1234",
                                               "subsystem_code":"SUB"}})")
                .status,
            201u);
  EXPECT_EQ(Server::body(s.call(Verb::put, "/clients/DEV:COM:1234:SUB/register"))["error"]["code"],
            "management_request_failed");
}

TEST(ClientRoutes, MakeOwnerSendsOwnerChangeSignedByTheNewOwner) {
  Server s;
  const XRoadId other = *XRoadId::member("DEV", "GOV", "9");
  s.shared->members.push_back({other, "Other Ltd", {}});
  ASSERT_EQ(s.call(Verb::post, "/clients", R"({"client":{"member_class":"GOV","member_code":"9"}})").status, 201u);
  EXPECT_EQ(Server::body(s.call(Verb::put, "/clients/DEV:GOV:9/make-owner"))["error"]["code"], "action_not_possible")
      << "SAVED";
  s.shared->security_servers[0].clients.push_back(other);
  EXPECT_EQ(*follow_global_configuration(*s.store, *s.shared), 1);
  auto unsigned_change = s.call(Verb::put, "/clients/DEV:GOV:9/make-owner");
  EXPECT_EQ(Server::body(unsigned_change)["error"]["metadata"][0], "DEV:GOV:9") << "the new owner signs";
  s.add_signing_key(other);
  ASSERT_EQ(s.call(Verb::put, "/clients/DEV:GOV:9/make-owner").status, 204u);
  ASSERT_EQ(s.sent.size(), 1u);
  auto request = management::parse_request(s.sent[0].first, s.sent[0].second);
  ASSERT_TRUE(request.ok()) << request.error().to_string();
  EXPECT_EQ(request->request.body.type, management::RequestType::owner_change);
  EXPECT_EQ(request->request.body.client, other);
  EXPECT_EQ(request->request.header.client, kOwner) << "the header names the current owner";
  EXPECT_EQ(s.status_of(other), ClientStatus::registered);
  EXPECT_EQ(Server::body(s.call(Verb::put, "/clients/DEV:COM:1234/make-owner"))["error"]["code"],
            "member_already_owner");
}

}  // namespace
}  // namespace roadside::admin
