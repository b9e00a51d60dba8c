// Fuzz target: the request bodies the admin API's routes read (admin/*_routes.cc), sent to
// every route that takes a JSON body, on a server with a configuration, a logged-in token with
// keys, a CSR and a certificate (the state is made anew every kRunsPerState inputs, as the
// routes change it). Input: a byte choosing the route, a byte per path parameter choosing its
// value among the fixture's (clients, services, ids, keys, hashes), then the body. Api::handle
// runs a handler only for an empty body or JSON within kMaxJsonDepth; so does this target, and
// then calls the handler itself, so that what it throws is not turned into a 500:
//   - no handler throws (nlohmann::json's get<>, value() and operator[] throw, or assert, on
//     a member of another type: a body must be read with admin/api.h's json_member/json_string
//     or after a type check);
//   - every answer has a status of 2xx-5xx, and an error's body is JSON.
// The routes' own files hold coroutines, which clang 14 builds without sanitizers or coverage
// (roadside_fuzz_flags): the fuzzer is guided by the code they call, the JSON reading included.
// Left out: the binary uploads (anchor, backups, certificates: other targets read those
// files), the backups (they write archives), and the token's login and logout (each try
// derives the PIN's key with scrypt; their one body member is read with json_string).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <unistd.h>

#include "admin/admin_test_support.h"
#include "admin/api_keys.h"
#include "admin/endpoints.h"
#include "base/log.h"
#include "fuzz_checks.h"
#include "serverconf/revisions.h"
#include "signer/token.h"
#include "storage/store.h"

namespace {

using namespace roadside;
using namespace roadside::admin;
using roadside::fuzz::check;
namespace fs = std::filesystem;

constexpr int kRunsPerState = 2000;

constexpr std::string_view kConf = R"(
owner: DEV/COM/1002
server_code: ss2
clients:
  - id: DEV/COM/1002
  - id: DEV/COM/1002/SERVICE
    connection: sslnoauth
    local_groups:
      - code: friends
        members: [DEV/COM/1003/CLIENT]
    services:
      - code: echo
        url: http://127.0.0.1:8000/echo
        timeout_s: 5
      - code: getRandom
        version: v1
        type: WSDL
        url: http://127.0.0.1:8000/soap
    access:
      - service: echo
        subjects: [DEV/COM/1003/CLIENT]
        method: GET
        path: /pets/*
      - service: getRandom
        version: v1
        subjects: [DEV/COM/1003/CLIENT]
)";

// A server's state in a folder of its own, and the values its path parameters may take.
struct Server {
  Server() : dir(fs::temp_directory_path() / ("admin_body_fuzz-" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto conn = storage::open_sqlite({dir / "db"});
    check(conn.ok());
    store = std::make_unique<storage::Store>(std::move(*conn));
    check(store->migrate().ok());
    token = std::make_unique<signer::SoftToken>(*store);
    check(token->initialize("pin-1").ok());
    keys = std::make_unique<ApiKeys>(*store);
    auto conf = serverconf::ServerConf::parse_yaml(kConf);
    check(conf.ok() && serverconf::apply(*store, *conf, "fuzz").ok());

    auto shared = std::make_shared<globalconf::SharedParameters>();
    shared->instance = "DEV";
    shared->member_classes = {"COM", "GOV"};
    shared->members.push_back(
        {*XRoadId::member("DEV", "COM", "1002"), "Owner", {*XRoadId::subsystem("DEV", "COM", "1002", "SERVICE")}});
    shared->members.push_back(
        {*XRoadId::member("DEV", "COM", "1003"), "Client", {*XRoadId::subsystem("DEV", "COM", "1003", "CLIENT")}});
    shared->security_servers.push_back({*XRoadId::server("DEV", "COM", "1002", "ss2"), "ss2.example.org", {}, {}});
    shared->global_groups.push_back({*XRoadId::global_group("DEV", "owners"), "Owners", {}});
    state = std::make_unique<ServerState>(ServerState{*store, *token});
    state->shared = [shared] { return shared; };
    state->instance = [] { return std::string("DEV"); };
    state->server_id = [] { return XRoadId::server("DEV", "COM", "1002", "ss2").value(); };
    state->fetch = [](std::string) -> asio::awaitable<Result<std::string>> {
      co_return Error(std::make_error_code(std::errc::network_unreachable), "no network here");
    };

    // A key with a CSR, and one with an authentication certificate.
    auto with_csr = token->generate_key("csr", crypto::KeyType::ec_p256);
    check(with_csr.ok());
    auto csr = token->make_csr(with_csr->key_id, signer::KeyUsage::signing,
                               XRoadId::member("DEV", "COM", "1002").value(), {{"CN", "1002"}}, "FiVRK");
    auto auth = token->generate_key("auth", crypto::KeyType::ec_p256);
    check(auth.ok());
    auto auth_csr = token->make_csr(auth->key_id, signer::KeyUsage::authentication, std::nullopt, {{"CN", "ss2"}}, "");
    check(auth_csr.ok());
    auto cert = test_support::issue_for_csr(auth_csr->der, "ss2", crypto::Usage::tls_server_and_client);
    check(cert.ok());
    auto imported = token->import_certificate(*cert);
    check(imported.ok());

    values = {"DEV:COM:1002:SERVICE",
              "DEV:COM:1002",
              "DEV:COM:1003:CLIENT",
              "DEV:COM:1002:SERVICE:echo",
              "DEV:COM:1002:SERVICE:getRandom.v1",
              "DEV:owners",
              "0",
              with_csr->key_id,
              auth->key_id,
              imported->hash(),
              "1",
              "x"};
    if (csr.ok()) values.push_back(csr->csr_id);
    for (int id = 1; id <= 8; ++id) values.push_back(std::to_string(id));

    add_all_routes(api, *state, *keys, SystemFacts{"STANDALONE"});
    for (const auto& route : api.routes()) {
      const bool with_body = route.method == Verb::post || route.method == Verb::put || route.method == Verb::patch;
      const bool left_out = route.binary_upload || route.path.starts_with("/backups") ||
                            route.path.ends_with("/login") || route.path.ends_with("/logout");
      if (with_body && !left_out) routes.push_back(&route);
    }
    check(!routes.empty());
  }
  ~Server() {
    api = Api();
    routes.clear();
    state.reset();
    keys.reset();
    token.reset();
    store.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  fs::path dir;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<signer::SoftToken> token;
  std::unique_ptr<ApiKeys> keys;
  std::unique_ptr<ServerState> state;
  Api api;
  std::vector<const Route*> routes;
  std::vector<std::string> values;
};

Server& server() {
  static std::ostream quiet(nullptr);  // the routes' log and audit lines go nowhere
  static const bool redirected = (log::redirect_for_testing(quiet), true);
  (void)redirected;
  static std::unique_ptr<Server> s;
  static int runs = 0;
  if (!s || ++runs % kRunsPerState == 0) {
    s.reset();
    s = std::make_unique<Server>();
  }
  return *s;
}

// The route's path with each {parameter} replaced by the value the input's next byte picks.
std::string path_of(const Route& route, const std::vector<std::string>& values, std::string_view& input) {
  std::string path;
  std::string_view rest = route.path;
  while (!rest.empty()) {
    const auto open = rest.find('{');
    path += rest.substr(0, open);
    if (open == std::string_view::npos) break;
    const auto close = rest.find('}', open);
    const std::size_t pick = input.empty() ? 0 : static_cast<unsigned char>(input.front());
    if (!input.empty()) input.remove_prefix(1);
    path += values[pick % values.size()];
    rest.remove_prefix(close + 1);
  }
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  Server& s = server();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const Route& route = *s.routes[static_cast<unsigned char>(input.front()) % s.routes.size()];
  input.remove_prefix(1);

  Request request;
  request.method = route.method;
  request.path = path_of(route, s.values, input);
  request.body = std::string(input);
  request.content_type = "application/json";
  request.caller = Caller{"fuzz", Roles::all(), AuthKind::api_key, "127.0.0.1"};
  if (s.api.match(route.method, request.path, &request.params) != &route)
    return 0;                                                   // a value with '/', or another route
  if (!request.body.empty() && !request.json_body()) return 0;  // Api::handle answers 400 itself

  boost::asio::io_context io;
  std::optional<HandlerResult> result;
  boost::asio::co_spawn(io, route.handler(request), [&](std::exception_ptr thrown, HandlerResult r) {
    check(!thrown);
    result = std::move(r);
  });
  io.run();
  check(result.has_value());
  if (const auto* e = std::get_if<ApiError>(&*result)) {
    check(e->status >= 400 && e->status <= 599 && !e->error.code.empty());
    check(parse_json(error_response(*e).body).has_value());
  } else {
    const auto& r = std::get<Response>(*result);
    check(r.status >= 200 && r.status <= 599);
  }
  return 0;
}
