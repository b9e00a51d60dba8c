#include <algorithm>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "admin/address_list.h"
#include "admin/admin_test_support.h"
#include "admin/administrators.h"
#include "admin/api.h"
#include "admin/api_keys.h"
#include "admin/cert_states.h"
#include "admin/endpoints.h"
#include "admin/http_front.h"
#include "admin/local_calls.h"
#include "admin/rate_limiter.h"
#include "admin/roles.h"
#include "base/clock.h"
#include "base/log.h"
#include "crypto/csr.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "crypto/password.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::admin {
namespace {

using namespace std::chrono_literals;
namespace ip = boost::asio::ip;

std::unique_ptr<storage::Store> temp_store(const roadside::testing::TempDir& dir) {
  auto conn = storage::open_sqlite({dir / "db"});
  EXPECT_TRUE(conn.ok());
  auto store = std::make_unique<storage::Store>(std::move(*conn));
  EXPECT_TRUE(store->migrate().ok());
  return store;
}

// The log, captured for one test and given back to stdout at its end (on failures too).
struct CapturedLog {
  CapturedLog() { log::redirect_for_testing(out); }
  ~CapturedLog() { log::redirect_for_testing(std::cout); }
  std::ostringstream out;
};

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

TEST(Json, ABodyNestedTooDeepIsRefusedBeforeItIsParsed) {
  auto nested = [](std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(parse_json(nested(kMaxJsonDepth)).has_value());
  std::string why;
  // Deep enough to overflow a thread's stack when the document is copied, if it were parsed.
  EXPECT_FALSE(parse_json(nested(500'000), &why).has_value());
  EXPECT_NE(why.find("deeper than 64"), std::string::npos) << why;
  EXPECT_FALSE(parse_json("{\"a\":" + nested(kMaxJsonDepth) + "}").has_value());
  // Brackets in strings, escaped quotes among them, are no nesting.
  const std::string in_strings = "{\"a\": \"\\\"" + std::string(1000, '[') + "\"}";
  auto parsed = parse_json(in_strings, &why);
  ASSERT_TRUE(parsed.has_value()) << why;
  EXPECT_EQ((*parsed)["a"].get<std::string>().size(), 1001u);
  EXPECT_FALSE(parse_json("{", &why).has_value());
  EXPECT_EQ(why, "the request body is not JSON");
  Request r;
  r.body = nested(kMaxJsonDepth + 1);
  EXPECT_FALSE(r.json_body().has_value());
}

TEST(Roles, NamesRoundTripAndPermissionsFollowXRoad) {
  const std::vector<std::string> names = {"XROAD_SECURITYSERVER_OBSERVER", "XROAD_REGISTRATION_OFFICER"};
  auto roles = Roles::parse(names);
  ASSERT_TRUE(roles);
  EXPECT_EQ(roles->to_string(), "XROAD_REGISTRATION_OFFICER,XROAD_SECURITYSERVER_OBSERVER");
  EXPECT_EQ(Roles::from_string(roles->to_string()), roles);
  std::string unknown;
  const std::vector<std::string> bad = {"XROAD_SECURITY_OFFICER", "ROOT"};
  EXPECT_FALSE(Roles::parse(bad, &unknown));
  EXPECT_EQ(unknown, "ROOT");

  const Roles observer = Roles().add(Role::securityserver_observer);
  EXPECT_TRUE(permits(observer, "view_clients"));
  EXPECT_FALSE(permits(observer, "add_client"));
  EXPECT_FALSE(permits(observer, "generate_key"));
  EXPECT_TRUE(permits(Roles().add(Role::security_officer), "generate_auth_cert_req"));
  EXPECT_FALSE(permits(Roles().add(Role::registration_officer), "generate_auth_cert_req"));
  EXPECT_TRUE(permits(Roles().add(Role::registration_officer), "generate_sign_cert_req"));
  EXPECT_FALSE(permits(Roles::all(), "no_such_permission"));
}

TEST(AddressList, MatchesAddressesAndRangesOfBothFamilies) {
  auto list = AddressList::parse("127.0.0.0/8, ::1");
  ASSERT_TRUE(list.ok()) << list.error().to_string();
  EXPECT_TRUE(list->contains(ip::make_address("127.0.0.1")));
  EXPECT_TRUE(list->contains(ip::make_address("127.255.1.2")));
  EXPECT_TRUE(list->contains(ip::make_address("::1")));
  EXPECT_TRUE(list->contains(ip::make_address("::ffff:127.0.0.1")));
  EXPECT_FALSE(list->contains(ip::make_address("10.0.0.1")));
  EXPECT_FALSE(list->contains(ip::make_address("::2")));
  auto anywhere = AddressList::parse("0.0.0.0/0, ::/0");
  ASSERT_TRUE(anywhere.ok());
  EXPECT_TRUE(anywhere->contains(ip::make_address("192.0.2.7")));
  EXPECT_TRUE(anywhere->contains(ip::make_address("2001:db8::1")));
  auto narrow = AddressList::parse("192.0.2.128/25");
  ASSERT_TRUE(narrow.ok());
  EXPECT_TRUE(narrow->contains(ip::make_address("192.0.2.200")));
  EXPECT_FALSE(narrow->contains(ip::make_address("192.0.2.100")));
  for (const char* bad : {"localhost", "10.0.0.0/33", "::1/129", "10.0.0.0/x", "1.2.3.4/"}) {
    auto parsed = AddressList::parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().detail().find(bad), std::string::npos) << parsed.error().detail();
  }
}

TEST(RateLimiter, AllowsXRoadsRatesPerAddressAndForgetsTheOldestAddress) {
  ManualClock clock;
  RateLimiter limiter({.per_second = 20, .per_minute = 600, .max_addresses = 2}, clock);
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(limiter.allow("a")) << i;
  EXPECT_FALSE(limiter.allow("a"));
  EXPECT_TRUE(limiter.allow("b"));  // another address has its own buckets
  clock.advance(1s);
  EXPECT_TRUE(limiter.allow("a"));
  // The minute's bucket: 600 at once, then 10 a second (as X-Road's greedy refill), even when
  // each second stays under 20: 2000 tries in 100 s get 600 + 100 * 10.
  RateLimiter minute({.per_second = 20, .per_minute = 600, .max_addresses = 10}, clock);
  int allowed = 0;
  for (int s = 0; s < 100; ++s) {
    for (int i = 0; i < 20; ++i) allowed += minute.allow("c") ? 1 : 0;
    clock.advance(1s);
  }
  EXPECT_GE(allowed, 1590);
  EXPECT_LE(allowed, 1610);
  limiter.allow("c");
  EXPECT_EQ(limiter.remembered(), 2u);
}

TEST(ApiKeys, KeepOnlyAHashAndAuthenticateUntilRevoked) {
  roadside::testing::TempDir dir;
  auto store = temp_store(dir);
  ApiKeys keys(*store);
  auto made = keys.create(Roles().add(Role::securityserver_observer), "admin");
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  EXPECT_EQ(made->plaintext.size(), 36u);
  auto found = keys.authenticate(made->plaintext);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->id, made->key.id);
  EXPECT_FALSE(*keys.authenticate(made->plaintext + "x"));
  EXPECT_FALSE(*keys.authenticate(""));

  // Nowhere in the database file is the key in clear.
  store.reset();
  const std::string file = roadside::testing::read_file(dir / "db");
  EXPECT_EQ(file.find(made->plaintext), std::string::npos);
  store = temp_store(dir);
  ApiKeys reopened(*store);

  auto updated = reopened.update(made->key.id, Roles().add(Role::system_administrator));
  ASSERT_TRUE(updated.ok() && *updated);
  EXPECT_TRUE((*updated)->roles.has(Role::system_administrator));
  EXPECT_FALSE((*updated)->roles.has(Role::securityserver_observer));
  EXPECT_FALSE(reopened.create(Roles(), "admin").ok());
  auto revoked = reopened.revoke(made->key.id);
  ASSERT_TRUE(revoked.ok() && *revoked);
  EXPECT_FALSE(*reopened.authenticate(made->plaintext));
  EXPECT_FALSE(*reopened.revoke(made->key.id));
  EXPECT_TRUE(reopened.list()->empty());
}

TEST(Administrators, CheckTheStoredHashAndAConfiguredCryptHash) {
  roadside::testing::TempDir dir;
  auto store = temp_store(dir);
  const std::array<storage::Value, 2> params = {std::string("admin"), crypto::hash_password("secret-1")};
  ASSERT_TRUE(store
                  ->with_connection([&](storage::Connection& c) {
                    return c.query("INSERT INTO administrators (name, password_hash) VALUES (?, ?)", params);
                  })
                  .ok());
  // sha512-crypt of "secret-2" with salt "saltsalt" (openssl passwd -6 -salt saltsalt secret-2).
  std::string crypt_hash;
  ASSERT_EQ(roadside::testing::run_command("openssl passwd -6 -salt saltsalt secret-2", &crypt_hash), 0);
  ASSERT_TRUE(crypt_hash.starts_with("$6$saltsalt$")) << crypt_hash;
  Administrators admins(*store, ConfiguredAdministrator{"ops", crypt_hash.substr(0, crypt_hash.find('\n'))});
  EXPECT_TRUE(*admins.check("admin", "secret-1"));
  EXPECT_FALSE(*admins.check("admin", "secret-2"));
  EXPECT_TRUE(*admins.check("ops", "secret-2"));
  EXPECT_FALSE(*admins.check("ops", "secret-1"));
  EXPECT_FALSE(*admins.check("nobody", "secret-1"));
  EXPECT_FALSE(password_matches("x", "plain-text"));
}

using test_support::run;

TEST(Api, EnforcesPermissionsRefusesChangesOnSecondariesAndAuditsChanges) {
  roadside::testing::TempDir dir;
  auto store = temp_store(dir);
  ApiKeys keys(*store);
  Api api;
  add_api_key_routes(api, keys);
  add_system_routes(api, {"STANDALONE"});
  for (const auto& route : api.routes()) {
    for (std::string_view rest = route.permission; !rest.empty();) {
      const auto bar = rest.find('|');
      EXPECT_TRUE(known_permission(rest.substr(0, bar))) << route.path;
      rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
    }
  }

  CapturedLog captured;
  Request observer_post{.method = Verb::post, .path = "/api-keys", .body = R"(["XROAD_SECURITY_OFFICER"])"};
  observer_post.caller = {"api-key-1", Roles().add(Role::securityserver_observer), AuthKind::api_key, "192.0.2.1"};
  Response denied = run(api, observer_post);
  EXPECT_EQ(denied.status, 403u);
  EXPECT_EQ(nlohmann::json::parse(denied.body)["error"]["code"], "permission_denied");

  Request observer_get{.method = Verb::get, .path = "/api-keys"};
  observer_get.caller = observer_post.caller;
  EXPECT_EQ(run(api, observer_get).status, 200u);
  EXPECT_EQ(run(api, Request{.method = Verb::get, .path = "/no-such"}).status, 404u);
  Request wrong_method{.method = Verb::patch, .path = "/system/version"};
  wrong_method.caller.roles = Roles::all();
  EXPECT_EQ(run(api, wrong_method).status, 405u);

  Request create{.method = Verb::post, .path = "/api-keys", .body = R"(["XROAD_SECURITY_OFFICER"])"};
  create.caller = {"admin", Roles().add(Role::system_administrator), AuthKind::http_basic, "127.0.0.1"};
  Response created = run(api, create);
  ASSERT_EQ(created.status, 200u) << created.body;
  const auto body = nlohmann::json::parse(created.body);
  const std::string key = body["key"];
  EXPECT_EQ(body["roles"], nlohmann::json::array({"XROAD_SECURITY_OFFICER"}));

  Request bad_role = create;
  bad_role.body = R"(["XROAD_EVERYTHING"])";
  Response refused = run(api, bad_role);
  EXPECT_EQ(refused.status, 400u);
  EXPECT_EQ(nlohmann::json::parse(refused.body)["error"]["metadata"], nlohmann::json::array({"XROAD_EVERYTHING"}));

  auto lines = json_lines(captured.out.str());
  std::vector<nlohmann::json> audits;
  for (const auto& l : lines) {
    if (l.value("log", "") == "audit") audits.push_back(l);
  }
  ASSERT_EQ(audits.size(), 3u) << captured.out.str();
  // The observer's refused attempt is a change that failed, too.
  EXPECT_EQ(audits[0]["event"], "API key create failed");
  EXPECT_EQ(audits[0]["reason"], "permission_denied");
  EXPECT_EQ(audits[0]["user"], "api-key-1");
  EXPECT_EQ(audits[1]["event"], "API key create");
  EXPECT_EQ(audits[1]["user"], "admin");
  EXPECT_EQ(audits[1]["auth"], "HttpBasic");
  EXPECT_EQ(audits[1]["ipaddress"], "127.0.0.1");
  EXPECT_EQ(audits[1]["url"], "/api/v1/api-keys");
  EXPECT_EQ(audits[1]["data"]["apiKeyRoles"], nlohmann::json::array({"XROAD_SECURITY_OFFICER"}));
  EXPECT_EQ(audits[2]["event"], "API key create failed");
  EXPECT_EQ(audits[2]["reason"], "invalid_role");
  EXPECT_EQ(captured.out.str().find(key), std::string::npos) << "the key itself is never logged";

  Api secondary(/*secondary=*/true);
  add_api_key_routes(secondary, keys);
  Response on_secondary = run(secondary, create);
  EXPECT_EQ(on_secondary.status, 403u);
  EXPECT_EQ(nlohmann::json::parse(on_secondary.body)["error"]["code"], "node_is_secondary");
  observer_get.caller.roles = Roles().add(Role::system_administrator);
  EXPECT_EQ(run(secondary, observer_get).status, 200u);
}

// An authentication certificate's state follows global configuration: registered once listed
// for this server, global error when a registered one is no longer listed.
TEST(LocalCalls, RequestsAndAnswersRoundTripAndBadLinesAreRefused) {
  LocalRequest request;
  request.method = Verb::post;
  request.path = "/keys/A%20B/csrs";
  request.query = {{"csr_format", "DER"}};
  request.content_type = "application/octet-stream";
  request.body = std::string("\0\x01\xff binary", 10);
  Caller caller = local_caller();
  EXPECT_EQ(caller.auth, AuthKind::local);
  EXPECT_FALSE(caller.user.empty());
  EXPECT_TRUE(permits(caller.roles, "generate_sign_cert_req"));
  auto decoded = decode_request(encode_request(request), caller);
  ASSERT_TRUE(decoded.ok()) << decoded.error().detail();
  EXPECT_EQ(decoded->method, Verb::post);
  EXPECT_EQ(decoded->path, "/keys/A%20B/csrs");
  EXPECT_EQ(decoded->query.at("csr_format"), "DER");
  EXPECT_EQ(decoded->body, request.body);
  EXPECT_EQ(decoded->caller.user, caller.user);

  Response response{201, "application/pkcs10", std::string("\x30\x82\x00", 3), {}};
  auto answer = decode_response(encode_response(response));
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 201u);
  EXPECT_EQ(answer->body, response.body);

  for (const char* bad :
       {"", "[]", "{", R"({"method":"FETCH","path":"/x"})", R"({"method":"GET","path":"x"})",
        R"({"method":"GET","path":"/x","query":{"a":1}})", R"({"method":"GET","path":"/x","body":"%%"})",
        R"({"method":"GET","path":"/x","query":[1]})"}) {
    auto refused = decode_request(bad, caller);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.error().code(), std::make_error_code(std::errc::invalid_argument)) << bad;
  }
  EXPECT_FALSE(decode_response(R"({"status":99})").ok());
  EXPECT_FALSE(decode_response(R"({"status":"200"})").ok());
  EXPECT_FALSE(decode_request(std::string(kMaxLocalLine + 1, ' '), caller).ok());
  // The refusal names why: nesting past the limit is not "not an object".
  auto deep = decode_request(std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']'), caller);
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.error().detail().find("nests deeper than 64"), std::string::npos) << deep.error().detail();
  auto array = decode_request("[]", caller);
  ASSERT_FALSE(array.ok());
  EXPECT_NE(array.error().detail().find("not a JSON object"), std::string::npos) << array.error().detail();
}

TEST(CertStates, AuthenticationCertificatesFollowGlobalConfiguration) {
  roadside::testing::TempDir dir;
  auto store = temp_store(dir);
  signer::SoftToken token(*store);
  ASSERT_TRUE(token.initialize("pin-1").ok());
  auto key = token.generate_key("auth", crypto::KeyType::ec_p256);
  ASSERT_TRUE(key.ok());
  auto csr = token.make_csr(key->key_id, signer::KeyUsage::authentication, std::nullopt, {{"CN", "ss9"}}, "FiVRK");
  ASSERT_TRUE(csr.ok()) << csr.error().to_string();
  auto cert = test_support::issue_for_csr(csr->der, "ss9", crypto::Usage::tls_server_and_client);
  ASSERT_TRUE(cert.ok()) << cert.error().to_string();
  auto imported = token.import_certificate(*cert);
  ASSERT_TRUE(imported.ok()) << imported.error().to_string();
  ASSERT_EQ(imported->status, signer::CertStatus::saved);
  EXPECT_TRUE((*token.contents())[0].csrs.empty()) << "the certificate answered the CSR";

  const XRoadId server = *XRoadId::server("DEV", "COM", "1234", "ss9");
  globalconf::SharedParameters shared;
  shared.instance = "DEV";
  EXPECT_EQ(*follow_global_configuration(token, shared, server), 0);
  shared.security_servers.push_back({server, "ss9.example.org", {crypto::sha256(cert->to_der())}, {}});
  EXPECT_EQ(*follow_global_configuration(token, shared, server), 1);
  EXPECT_EQ((*token.contents())[0].certs[0].status, signer::CertStatus::registered);
  EXPECT_EQ(*follow_global_configuration(token, shared, server), 0) << "nothing more to change";
  // Another server listing it does not count.
  shared.security_servers[0].id = *XRoadId::server("DEV", "COM", "1234", "other");
  EXPECT_EQ(*follow_global_configuration(token, shared, server), 1);
  EXPECT_EQ((*token.contents())[0].certs[0].status, signer::CertStatus::global_error);
}

// The front on a real listener, spoken to with raw HTTP.
struct Front {
  explicit Front(FrontOptions options)
      : store(temp_store(dir)),
        keys(*store),
        admins(*store),
        front(api, keys, admins, sessions, std::move(options), work.get_executor()) {
    const std::array<storage::Value, 2> params = {std::string("admin"), crypto::hash_password("pw")};
    EXPECT_TRUE(store
                    ->with_connection([&](storage::Connection& c) {
                      return c.query("INSERT INTO administrators (name, password_hash) VALUES (?, ?)", params);
                    })
                    .ok());
    add_api_key_routes(api, keys);
    add_system_routes(api, {"STANDALONE"});
    net::ServerOptions o;
    o.name = "admin";
    server = std::make_unique<net::HttpServer>(io, o, front.handler(), metrics);
    EXPECT_TRUE(server->start().ok());
    threads.emplace_back([this] { io.run(); });
    threads.emplace_back([this] { work.run(); });
  }
  ~Front() {
    server->stop_blocking(1s);
    work_guard.reset();
    io_guard.reset();
    io.stop();
    work.stop();
    for (auto& t : threads) t.join();
  }
  // The whole answer to one request with `headers` ("Name: value\r\n" each).
  std::string exchange(const std::string& method, const std::string& target, const std::string& headers,
                       const std::string& body = "", const std::string& type = "application/json") {
    const std::string req = method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers +
                            "Content-Type: " + type + "\r\nContent-Length: " + std::to_string(body.size()) +
                            "\r\n\r\n" + body;
    return roadside::testing::raw_request(server->port(), req, 5s);
  }
  static int status_of(const std::string& reply) { return reply.size() > 12 ? std::stoi(reply.substr(9, 3)) : 0; }
  static std::string body_of(const std::string& reply) {
    const auto split = reply.find("\r\n\r\n");
    return split == std::string::npos ? "" : reply.substr(split + 4);
  }
  // Status line and body of one request.
  std::pair<int, std::string> call(const std::string& method, const std::string& target, const std::string& auth,
                                   const std::string& body = "") {
    const std::string reply = exchange(method, target, auth.empty() ? "" : "Authorization: " + auth + "\r\n", body);
    return {status_of(reply), body_of(reply)};
  }

  roadside::testing::TempDir dir;
  std::unique_ptr<storage::Store> store;
  ApiKeys keys;
  Administrators admins;
  Api api;
  boost::asio::io_context io, work;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> io_guard{io.get_executor()},
      work_guard{work.get_executor()};
  Sessions sessions;
  HttpFront front;
  metrics::Registry metrics;
  std::unique_ptr<net::HttpServer> server;
  std::vector<std::thread> threads;
};

FrontOptions loopback_options() {
  return FrontOptions{.rate = {.per_second = 1000, .per_minute = 100000},
                      .key_management_whitelist = *AddressList::parse("127.0.0.0/8, ::1"),
                      .regular_whitelist = *AddressList::parse("0.0.0.0/0, ::/0")};
}

TEST(HttpFront, BasicAuthMakesAKeyAndTheKeyOpensTheApi) {
  Front f(loopback_options());
  const std::string basic = "Basic " + crypto::base64_encode("admin:pw");
  auto [status, body] = f.call("POST", "/api/v1/api-keys", basic, R"(["XROAD_SECURITYSERVER_OBSERVER"])");
  ASSERT_EQ(status, 200) << body;
  const std::string key = nlohmann::json::parse(body)["key"];
  EXPECT_EQ(f.call("POST", "/api/v1/api-keys", "Basic " + crypto::base64_encode("admin:wrong"), "[]").first, 401);
  EXPECT_EQ(f.call("GET", "/api/v1/api-keys", "X-Road-ApiKey token=" + key).first, 401)
      << "keys are managed with Basic only";

  auto version = f.call("GET", "/api/v1/system/version", "X-Road-ApiKey token=" + key);
  EXPECT_EQ(version.first, 200);
  EXPECT_NE(version.second.find("Roadside"), std::string::npos);
  EXPECT_EQ(f.call("GET", "/api/v1/system/version", "").first, 401);
  EXPECT_EQ(f.call("GET", "/api/v1/system/version", "X-Road-ApiKey token=nope").first, 401);
  EXPECT_EQ(f.call("GET", "/api/v1/system/version", basic).first, 401) << "Basic opens key management only";
  EXPECT_EQ(f.call("GET", "/elsewhere", "X-Road-ApiKey token=" + key).first, 404);
  auto spec = f.call("GET", "/api/openapi.yaml", "X-Road-ApiKey token=" + key);
  EXPECT_EQ(spec.first, 200);
  EXPECT_NE(spec.second.find("/system/node-type"), std::string::npos);
  // An observer reads but does not change.
  auto node = f.call("GET", "/api/v1/system/node-type", "X-Road-ApiKey token=" + key);
  EXPECT_EQ(nlohmann::json::parse(node.second)["node_type"], "STANDALONE");
}

TEST(HttpFront, PasswordChecksLeaveTheDatabaseThreadFreeAndAreCapped) {
  Front f(loopback_options());
  auto made = f.keys.create(Roles::all(), "test");
  ASSERT_TRUE(made.ok());
  // Wrong passwords of a real and of an unknown administrator, all at once: a few are checked
  // (401), one after the other; the rest are refused at once (429).
  std::vector<std::thread> callers;
  std::mutex mu;
  std::vector<int> statuses;
  std::vector<std::string> order;
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&, i] {
      const std::string who = i % 2 == 0 ? "admin:wrong" : "nobody:wrong";
      const int status = f.call("GET", "/api/v1/api-keys", "Basic " + crypto::base64_encode(who)).first;
      std::lock_guard lock(mu);
      statuses.push_back(status);
      order.push_back("basic");
    });
  }
  std::this_thread::sleep_for(50ms);
  // Meanwhile an API key's request, answered on the database's thread, does not wait for them.
  const int keyed = f.call("GET", "/api/v1/system/version", "X-Road-ApiKey token=" + made->plaintext).first;
  {
    std::lock_guard lock(mu);
    order.push_back("key");
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(keyed, 200);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 401) + std::count(statuses.begin(), statuses.end(), 429), 8);
  EXPECT_GE(std::count(statuses.begin(), statuses.end(), 429), 1);
  EXPECT_LE(std::count(statuses.begin(), statuses.end(), 401), HttpFront::kMaxPasswordChecks);
  EXPECT_NE(order.back(), "key") << "the API key waited for the password checks";
  // The right password still opens key management.
  EXPECT_EQ(f.call("GET", "/api/v1/api-keys", "Basic " + crypto::base64_encode("admin:pw")).first, 200);
}

// At a stop the password checks under way finish (their callers get their answers) and no new
// one starts.
TEST(HttpFront, AStopLetsPasswordChecksFinishAndStartsNoNewOne) {
  Front f(loopback_options());
  std::vector<std::thread> callers;
  std::atomic<int> answered{0};
  for (int i = 0; i < 3; ++i) {
    callers.emplace_back([&] {
      const int status = f.call("GET", "/api/v1/api-keys", "Basic " + crypto::base64_encode("admin:wrong")).first;
      if (status == 401 || status == 429) ++answered;
    });
  }
  std::this_thread::sleep_for(100ms);
  f.front.finish_password_checks();
  for (auto& t : callers) t.join();
  EXPECT_EQ(answered.load(), 3);
  EXPECT_EQ(f.call("GET", "/api/v1/api-keys", "Basic " + crypto::base64_encode("admin:pw")).first, 503);
}

// The values of header `name` in an answer, in order.
std::vector<std::string> headers_in(const std::string& reply, const std::string& name) {
  const std::string marker = "\r\n" + name + ": ";
  std::vector<std::string> out;
  for (std::size_t at = reply.find(marker); at != std::string::npos; at = reply.find(marker, at + 1)) {
    const auto start = at + marker.size();
    out.push_back(reply.substr(start, reply.find("\r\n", start) - start));
  }
  return out;
}

// The first value of header `name` in an answer, or empty.
std::string header_in(const std::string& reply, const std::string& name) {
  auto values = headers_in(reply, name);
  return values.empty() ? std::string() : values.front();
}

std::vector<std::string> set_cookies(const std::string& reply) {
  return headers_in(reply, "Set-Cookie");
}

// A cookie's value out of its Set-Cookie value ("NAME=value; Path=/; ...").
std::string cookie_in(const std::vector<std::string>& cookies, const std::string& name) {
  for (const auto& c : cookies) {
    if (c.starts_with(name + "=")) return c.substr(name.size() + 1, c.find(';') - name.size() - 1);
  }
  return {};
}

TEST(HttpFront, AnAdministratorsSessionOpensWithThePasswordAndEndsAtLogout) {
  Front f(loopback_options());
  auto failed = f.exchange("POST", "/api/v1/login", "", R"({"username":"admin","password":"wrong"})");
  EXPECT_EQ(Front::status_of(failed), 401);
  EXPECT_NE(failed.find("authentication_failed"), std::string::npos);
  EXPECT_TRUE(set_cookies(failed).empty());
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/api/v1/login", "")), 405);
  EXPECT_EQ(Front::status_of(f.exchange("POST", "/api/v1/login", "", R"({"username":"admin"})")), 400);

  const std::string login = f.exchange("POST", "/api/v1/login", "", R"({"username":"admin","password":"pw"})");
  ASSERT_EQ(Front::status_of(login), 200) << login;
  const auto user = nlohmann::json::parse(Front::body_of(login));
  EXPECT_EQ(user["username"], "admin");
  EXPECT_EQ(user["roles"].size(), 5u) << "the administrator holds every role";
  const auto cookies = set_cookies(login);
  ASSERT_EQ(cookies.size(), 2u) << login;
  const std::string id = cookie_in(cookies, "JSESSIONID");
  const std::string xsrf = cookie_in(cookies, "XSRF-TOKEN");
  ASSERT_EQ(id.size(), 64u);
  ASSERT_EQ(xsrf.size(), 64u);
  const std::string cookie = "Cookie: JSESSIONID=" + id + "; XSRF-TOKEN=" + xsrf + "\r\n";

  EXPECT_EQ(Front::status_of(f.exchange("GET", "/api/v1/system/version", cookie)), 200);
  const std::string me = f.exchange("GET", "/api/v1/user", cookie);
  ASSERT_EQ(Front::status_of(me), 200) << me;
  const auto who = nlohmann::json::parse(Front::body_of(me));
  EXPECT_EQ(who["username"], "admin");
  EXPECT_NE(std::find(who["permissions"].begin(), who["permissions"].end(), "add_client"), who["permissions"].end());

  // A change needs the XSRF token echoed: the cookie alone, which any page's request to this
  // origin would carry, is not enough.
  auto forged = f.exchange("POST", "/api/v1/api-keys", cookie, R"(["XROAD_SECURITYSERVER_OBSERVER"])");
  EXPECT_EQ(Front::status_of(forged), 403);
  EXPECT_NE(forged.find("invalid_xsrf_token"), std::string::npos);
  EXPECT_EQ(Front::status_of(f.exchange("POST", "/api/v1/api-keys", cookie + "X-XSRF-TOKEN: " + id + "\r\n",
                                        R"(["XROAD_SECURITYSERVER_OBSERVER"])")),
            403);
  const std::string echoed = cookie + "X-XSRF-TOKEN: " + xsrf + "\r\n";
  auto made = f.exchange("POST", "/api/v1/api-keys", echoed, R"(["XROAD_SECURITYSERVER_OBSERVER"])");
  EXPECT_EQ(Front::status_of(made), 200) << "an administrator's session manages keys, as Basic does: " << made;

  EXPECT_EQ(Front::status_of(f.exchange("DELETE", "/api/v1/logout", cookie)), 403) << "logout needs the token too";
  const std::string out = f.exchange("POST", "/api/v1/logout", echoed);
  EXPECT_EQ(Front::status_of(out), 204);
  EXPECT_EQ(set_cookies(out).size(), 2u);
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/api/v1/system/version", cookie)), 401) << "the session ended";
  EXPECT_EQ(f.sessions.size(), 0u);

  // X-Road's UI posts a form.
  const std::string form =
      f.exchange("POST", "/api/v1/login", "", "username=admin&password=pw", "application/x-www-form-urlencoded");
  EXPECT_EQ(Front::status_of(form), 200) << form;

  // Logging out without a live session changes nothing, cookies included.
  const std::string nobody = f.exchange("POST", "/api/v1/logout", "");
  EXPECT_EQ(Front::status_of(nobody), 401);
  EXPECT_TRUE(set_cookies(nobody).empty());
}

TEST(HttpFront, NoPageOfAnotherSiteLogsInOrChangesAnything) {
  Front f(loopback_options());
  const std::string credentials = R"({"username":"admin","password":"pw"})";
  auto forged = f.exchange("POST", "/api/v1/login", "Sec-Fetch-Site: cross-site\r\n", credentials);
  EXPECT_EQ(Front::status_of(forged), 403);
  EXPECT_NE(forged.find("cross_site_request"), std::string::npos);
  EXPECT_EQ(Front::status_of(f.exchange("POST", "/api/v1/login", "Sec-Fetch-Site: same-site\r\n", credentials)), 403);
  // A cross-site form can post text/plain: a login is JSON or a form, nothing else.
  EXPECT_EQ(Front::status_of(f.exchange("POST", "/api/v1/login", "", credentials, "text/plain")), 400);
  EXPECT_EQ(Front::status_of(f.exchange("POST", "/api/v1/login", "Sec-Fetch-Site: same-origin\r\n", credentials)), 200);
  // Basic credentials a browser cached ride on no cross-site change either.
  const std::string basic = "Authorization: Basic " + crypto::base64_encode("admin:pw") + "\r\n";
  EXPECT_EQ(Front::status_of(f.exchange("POST", "/api/v1/api-keys", basic + "Sec-Fetch-Site: cross-site\r\n",
                                        R"(["XROAD_SECURITYSERVER_OBSERVER"])")),
            403);
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/api/v1/api-keys", basic + "Sec-Fetch-Site: cross-site\r\n")), 200)
      << "reads are not refused";
}

TEST(HttpFront, APasswordLogsInOnlyWhereKeyManagementIsAllowed) {
  FrontOptions o = loopback_options();
  o.key_management_whitelist = *AddressList::parse("192.0.2.0/24");
  Front f(std::move(o));
  auto refused = f.exchange("POST", "/api/v1/login", "", R"({"username":"admin","password":"pw"})");
  EXPECT_EQ(Front::status_of(refused), 403);
  EXPECT_NE(refused.find("address_not_allowed"), std::string::npos);
  auto key = f.keys.create(Roles().add(Role::securityserver_observer), "test");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(Front::status_of(f.exchange("POST", "/api/v1/login", "", R"({"api_key":")" + key->plaintext + R"("})")),
            200)
      << "a key logs in from the regular whitelist";
}

TEST(HttpFront, AnApiKeysSessionMayDoWhatTheKeyMayAndManagesNoKeys) {
  Front f(loopback_options());
  auto key = f.keys.create(Roles().add(Role::securityserver_observer), "test");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(Front::status_of(f.exchange("POST", "/api/v1/login", "", R"({"api_key":"nope"})")), 401);
  const std::string login = f.exchange("POST", "/api/v1/login", "", R"({"api_key":")" + key->plaintext + R"("})");
  ASSERT_EQ(Front::status_of(login), 200) << login;
  const auto user = nlohmann::json::parse(Front::body_of(login));
  EXPECT_EQ(user["roles"], nlohmann::json::array({"XROAD_SECURITYSERVER_OBSERVER"}));
  EXPECT_EQ(std::find(user["permissions"].begin(), user["permissions"].end(), "add_client"), user["permissions"].end());
  const auto cookies = set_cookies(login);
  const std::string headers = "Cookie: JSESSIONID=" + cookie_in(cookies, "JSESSIONID") +
                              "\r\nX-XSRF-TOKEN: " + cookie_in(cookies, "XSRF-TOKEN") + "\r\n";
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/api/v1/system/node-type", headers)), 200);
  auto keys = f.exchange("POST", "/api/v1/api-keys", headers, R"(["XROAD_SYSTEM_ADMINISTRATOR"])");
  EXPECT_EQ(Front::status_of(keys), 403) << keys;
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/api/v1/api-keys", headers)), 403);
  // The key as it is now: new roles apply at once; revoked, it ends the session.
  ASSERT_TRUE(f.keys.update(key->key.id, Roles().add(Role::system_administrator)).ok());
  auto now = nlohmann::json::parse(Front::body_of(f.exchange("GET", "/api/v1/user", headers)));
  EXPECT_EQ(now["roles"], nlohmann::json::array({"XROAD_SYSTEM_ADMINISTRATOR"}));
  ASSERT_TRUE(f.keys.revoke(key->key.id).ok());
  auto revoked = f.exchange("GET", "/api/v1/system/node-type", headers);
  EXPECT_EQ(Front::status_of(revoked), 401);
  EXPECT_NE(revoked.find("session_expired"), std::string::npos);
  EXPECT_EQ(f.sessions.size(), 0u);
  // An Authorization header wins over a cookie.
  EXPECT_EQ(Front::status_of(
                f.exchange("GET", "/api/v1/system/node-type", headers + "Authorization: X-Road-ApiKey token=nope\r\n")),
            401);
}

TEST(HttpFront, ServesTheConsoleWithoutALoginUnderAStrictPolicy) {
  Front f(loopback_options());
  const std::string page = f.exchange("GET", "/", "");
  ASSERT_EQ(Front::status_of(page), 200) << page;
  EXPECT_EQ(header_in(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(header_in(page, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_NE(header_in(page, "Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(header_in(page, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header_in(page, "Cache-Control"), "no-cache");
  const std::string tag = header_in(page, "ETag");
  ASSERT_EQ(tag.size(), 66u);
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/", "If-None-Match: " + tag + "\r\n")), 304);
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/", "If-None-Match: \"other\"\r\n")), 200);
  // A list of tags, a weak one, or any: as RFC 9110 says, and as browsers and proxies send them.
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/", "If-None-Match: \"other\", " + tag + "\r\n")), 304);
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/", "If-None-Match: W/" + tag + "\r\n")), 304);
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/", "If-None-Match: *\r\n")), 304);
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/", "If-None-Match: ,,W/\r\n")), 200);
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/console/app.js?v=2", "")), 200);
  EXPECT_EQ(header_in(f.exchange("GET", "/console/app.js", ""), "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(Front::status_of(f.exchange("GET", "/console/nope.js", "")), 404);
  EXPECT_EQ(Front::status_of(f.exchange("POST", "/", "")), 404);
  // The API's answers are never kept, and carry the same policy.
  const std::string refused = f.exchange("GET", "/api/v1/system/version", "");
  EXPECT_EQ(Front::status_of(refused), 401);
  EXPECT_EQ(header_in(refused, "Cache-Control"), "no-store");
  EXPECT_EQ(header_in(refused, "X-Frame-Options"), "DENY");
}

TEST(HttpFront, RefusesOutsideTheWhitelistPastTheRateAndOverTheBodyLimit) {
  FrontOptions o = loopback_options();
  o.key_management_whitelist = *AddressList::parse("192.0.2.0/24");
  o.rate = {.per_second = 5, .per_minute = 600};
  Front f(std::move(o));
  const std::string basic = "Basic " + crypto::base64_encode("admin:pw");
  EXPECT_EQ(f.call("GET", "/api/v1/api-keys", basic).first, 403);
  auto made = f.keys.create(Roles::all(), "test");
  ASSERT_TRUE(made.ok());
  const std::string auth = "X-Road-ApiKey token=" + made->plaintext;
  auto big = f.call("POST", "/api/v1/system/version", auth, std::string(60'000, ' '));
  EXPECT_EQ(big.first, 413) << big.second;
  int limited = 0;
  for (int i = 0; i < 10; ++i) limited += f.call("GET", "/api/v1/system/version", auth).first == 429 ? 1 : 0;
  EXPECT_GE(limited, 4);
}

}  // namespace
}  // namespace roadside::admin
