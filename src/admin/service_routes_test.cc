// The service-description, service, endpoint, access-right and local-group routes over a real
// database, with descriptions "fetched" from memory: ids that stay, X-Road's codes, and hostile
// paths and bodies answered with a 4xx.
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "admin/admin_test_support.h"
#include "admin/conf_json.h"
#include "admin/endpoints.h"
#include "serverconf/revisions.h"
#include "signer/token.h"
#include "support/test_support.h"

namespace roadside::admin {
namespace {

constexpr std::string_view kWsdl = R"(<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:tns="http://example.org/t" targetNamespace="http://example.org/t">
  <wsdl:portType name="P">@PORTOPS@</wsdl:portType>
  <wsdl:binding name="B" type="tns:P">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>@OPS@
  </wsdl:binding>
  <wsdl:service name="S"><wsdl:port binding="tns:B" name="Port"><soap:address location="http://127.0.0.1:9/soap"/></wsdl:port></wsdl:service>
</wsdl:definitions>)";

std::string wsdl(const std::vector<std::string>& operations) {
  std::string ops, port_ops;
  for (const auto& op : operations) {
    ops += "<wsdl:operation name=\"" + op +
           "\"><soap:operation soapAction=\"\"/><xrd:version>v1</xrd:version></wsdl:operation>";
    port_ops += "<wsdl:operation name=\"" + op + "\"/>";
  }
  std::string out(kWsdl);
  out.replace(out.find("@PORTOPS@"), 9, port_ops);
  out.replace(out.find("@OPS@"), 5, ops);
  return out;
}

constexpr std::string_view kOpenApi = R"({"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
  "servers": [{"url": "http://127.0.0.1:9/api"}],
  "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/pets/{id}": {"get": {"parameters": [{"name": "id", "in": "path", "required": true}],
                                   "responses": {"200": {"description": "ok"}}}}}})";

struct Fixture {
  roadside::testing::TempDir dir;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<signer::SoftToken> token;
  std::unique_ptr<ServerState> state;
  std::map<std::string, std::string> served;
  Api api;

  Fixture() {
    auto conn = storage::open_sqlite({dir / "db"});
    store = std::make_unique<storage::Store>(std::move(*conn));
    EXPECT_TRUE(store->migrate().ok());
    token = std::make_unique<signer::SoftToken>(*store);
    state = std::make_unique<ServerState>(ServerState{*store, *token});
    state->fetch = [this](std::string url) -> asio::awaitable<Result<std::string>> {
      auto it = served.find(url);
      if (it == served.end()) co_return Error(std::make_error_code(std::errc::host_unreachable), "not served");
      co_return it->second;
    };
    auto conf = serverconf::ServerConf::parse_yaml(R"(
owner: DEV/COM/1234
server_code: ss1
clients:
  - id: DEV/COM/1234
  - id: DEV/COM/1234/SUB
)");
    EXPECT_TRUE(conf.ok());
    EXPECT_TRUE(serverconf::apply(*store, *conf, "test").ok());
    add_service_description_routes(api, *state);
    add_service_routes(api, *state);
    add_access_routes(api, *state);
  }

  std::pair<unsigned, nlohmann::json> call(Verb method, std::string path, std::string body = {}) {
    Request request{.method = method, .path = std::move(path), .body = std::move(body)};
    request.caller = {"admin", Roles::all(), AuthKind::local, {}};
    const Response r = test_support::run(api, std::move(request));
    return {r.status, r.body.empty() ? nlohmann::json() : nlohmann::json::parse(r.body, nullptr, false)};
  }
  std::string code(const nlohmann::json& answer) { return answer["error"].value("code", ""); }
  serverconf::ServerConf conf() { return *serverconf::load_latest(*store)->conf; }
};

const std::string kClient = "/clients/DEV:COM:1234:SUB";

TEST(ServiceDescriptionRoutes, EveryRouteNamesXRoadsPermissionAndEveryChangeItsEvent) {
  Fixture f;
  EXPECT_EQ(f.api.routes().size(), 33U);
  for (const auto& route : f.api.routes()) {
    for (std::string_view rest = route.permission; !rest.empty();) {
      const auto bar = rest.find('|');
      EXPECT_TRUE(known_permission(rest.substr(0, bar))) << route.path;
      rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
    }
    EXPECT_EQ(route.changes, !route.event.empty()) << route.path;
  }
}

TEST(ServiceDescriptionRoutes, WsdlAddRefreshDisableDelete) {
  Fixture f;
  f.served["http://h/a.wsdl"] = wsdl({"getRandom", "hello"});
  auto [status, body] =
      f.call(Verb::post, kClient + "/service-descriptions", R"({"url":"http://h/a.wsdl","type":"WSDL"})");
  ASSERT_EQ(status, 201U) << body;
  const std::string id = body["id"];
  ASSERT_EQ(body["services"].size(), 2U);
  EXPECT_EQ(body["services"][0]["id"], "DEV:COM:1234:SUB:getRandom.v1");
  EXPECT_EQ(body["services"][0]["url"], "http://127.0.0.1:9/soap");
  // The proxies' view: the service with its WSDL.
  auto conf = f.conf();
  ASSERT_EQ(conf.services.size(), 2U);
  EXPECT_EQ(conf.services[0].wsdl_url, "http://h/a.wsdl");
  EXPECT_EQ(conf.services[0].type, serverconf::ServiceType::wsdl);

  // The same URL again; the same services in another WSDL.
  EXPECT_EQ(
      f.code(
          f.call(Verb::post, kClient + "/service-descriptions", R"({"url":"http://h/a.wsdl","type":"WSDL"})").second),
      "url_already_exists");
  f.served["http://h/b.wsdl"] = wsdl({"hello"});
  auto clash = f.call(Verb::post, kClient + "/service-descriptions", R"({"url":"http://h/b.wsdl","type":"WSDL"})");
  EXPECT_EQ(clash.first, 409U);
  EXPECT_EQ(f.code(clash.second), "service_already_exists");
  auto unreachable = f.call(Verb::post, kClient + "/service-descriptions", R"({"url":"http://h/none","type":"WSDL"})");
  EXPECT_EQ(f.code(unreachable.second), "wsdl_download_failed");
  f.served["http://h/bad.wsdl"] = "FooBar!";
  EXPECT_EQ(
      f.code(
          f.call(Verb::post, kClient + "/service-descriptions", R"({"url":"http://h/bad.wsdl","type":"WSDL"})").second),
      "invalid_wsdl");

  // A right to a service that the refresh removes goes with it.
  auto given = f.call(Verb::post, "/services/DEV:COM:1234:SUB:hello.v1/service-clients",
                      R"({"items":[{"id":"DEV:COM:5678:CLI","service_client_type":"SUBSYSTEM"}]})");
  ASSERT_EQ(given.first, 201U) << given.second;
  f.served["http://h/a.wsdl"] = wsdl({"getRandom", "added"});
  auto warned = f.call(Verb::put, "/service-descriptions/" + id + "/refresh", "{}");
  EXPECT_EQ(warned.first, 400U);
  EXPECT_EQ(f.code(warned.second), "warnings_detected");
  EXPECT_EQ(warned.second["warnings"][0]["code"], "adding_services");
  EXPECT_EQ(warned.second["warnings"][0]["metadata"], nlohmann::json::array({"added.v1"}));
  EXPECT_EQ(warned.second["warnings"][1]["code"], "deleting_services");
  auto refreshed = f.call(Verb::put, "/service-descriptions/" + id + "/refresh", R"({"ignore_warnings":true})");
  ASSERT_EQ(refreshed.first, 200U) << refreshed.second;
  EXPECT_EQ(refreshed.second["id"], id);
  EXPECT_TRUE(f.conf().access.empty());

  auto disabled =
      f.call(Verb::put, "/service-descriptions/" + id + "/disable", R"({"disabled_notice":"Back on Monday"})");
  EXPECT_EQ(disabled.first, 204U);
  for (const auto& s : f.conf().services) {
    EXPECT_TRUE(s.disabled);
    EXPECT_EQ(s.disabled_text(), "Back on Monday");
  }
  EXPECT_EQ(f.call(Verb::put, "/service-descriptions/" + id + "/enable").first, 204U);
  EXPECT_FALSE(f.conf().services[0].disabled);
  EXPECT_EQ(f.call(Verb::delete_, "/service-descriptions/" + id).first, 204U);
  EXPECT_TRUE(f.conf().services.empty());
  EXPECT_EQ(f.call(Verb::get, "/service-descriptions/" + id).first, 404U);
}

TEST(ServiceDescriptionRoutes, OpenApiEndpointsRightsAndGroups) {
  Fixture f;
  f.served["http://h/api.json"] = std::string(kOpenApi);
  auto [status, body] = f.call(Verb::post, kClient + "/service-descriptions",
                               R"({"url":"http://h/api.json","type":"OPENAPI3","rest_service_code":"pets"})");
  ASSERT_EQ(status, 201U) << body;
  const auto service = body["services"][0];
  EXPECT_EQ(service["url"], "http://127.0.0.1:9/api");
  ASSERT_EQ(service["endpoints"].size(), 3U);  // the base endpoint and two operations
  EXPECT_EQ(service["endpoints"][0]["path"], "**");
  EXPECT_EQ(service["endpoints"][2]["path"], "/pets/*");
  const std::string generated = service["endpoints"][1]["id"];
  EXPECT_EQ(f.code(f.call(Verb::delete_, "/endpoints/" + generated).second), "illegal_generated_endpoint_remove");
  EXPECT_EQ(f.code(f.call(Verb::patch, "/endpoints/" + generated, R"({"method":"GET","path":"/x"})").second),
            "illegal_generated_endpoint_update");
  // The same code again; a REST service.
  EXPECT_EQ(f.code(f.call(Verb::post, kClient + "/service-descriptions",
                          R"({"url":"http://h/other","type":"REST","rest_service_code":"pets"})")
                       .second),
            "service_code_already_exists");
  auto rest = f.call(Verb::post, kClient + "/service-descriptions",
                     R"({"url":"http://h/other","type":"REST","rest_service_code":"other"})");
  ASSERT_EQ(rest.first, 201U) << rest.second;

  auto added = f.call(Verb::post, "/services/DEV:COM:1234:SUB:other/endpoints",
                      R"({"service_code":"other","method":"POST","path":"/orders"})");
  ASSERT_EQ(added.first, 201U) << added.second;
  EXPECT_EQ(f.call(Verb::post, "/services/DEV:COM:1234:SUB:other/endpoints",
                   R"({"service_code":"other","method":"POST","path":"/orders"})")
                .first,
            409U);
  const std::string endpoint = added.second["id"];

  auto group = f.call(Verb::post, kClient + "/local-groups", R"({"code":"friends","description":"Our friends"})");
  ASSERT_EQ(group.first, 201U) << group.second;
  const std::string group_id = group.second["id"];
  EXPECT_EQ(f.call(Verb::post, kClient + "/local-groups", R"({"code":"friends","description":"again"})").first, 409U);
  EXPECT_EQ(f.call(Verb::post, "/local-groups/" + group_id + "/members", R"({"items":["DEV:COM:5678:CLI"]})").first,
            201U);
  EXPECT_EQ(
      f.code(f.call(Verb::post, "/local-groups/" + group_id + "/members", R"({"items":["DEV:COM:5678:CLI"]})").second),
      "local_group_member_already_exists");
  auto right = f.call(Verb::post, "/endpoints/" + endpoint + "/service-clients",
                      R"({"items":[{"id":")" + group_id + R"(","service_client_type":"LOCALGROUP"}]})");
  ASSERT_EQ(right.first, 201U) << right.second;
  EXPECT_EQ(right.second[0]["local_group_code"], "friends");
  // Through the group, the member may call POST /orders and nothing else.
  auto conf = f.conf();
  const auto caller = *XRoadId::parse("SUBSYSTEM:DEV/COM/5678/CLI");
  const auto other = *XRoadId::parse("SERVICE:DEV/COM/1234/SUB/other");
  EXPECT_TRUE(conf.allowed(caller, other, "POST", "/orders", nullptr));
  EXPECT_FALSE(conf.allowed(caller, other, "GET", "/orders", nullptr));
  // The endpoint moves and its right with it; then it goes, and its right too.
  EXPECT_EQ(f.call(Verb::patch, "/endpoints/" + endpoint, R"({"method":"PUT","path":"/orders/*"})").first, 200U);
  EXPECT_TRUE(f.conf().allowed(caller, other, "PUT", "/orders/1", nullptr));
  EXPECT_EQ(f.call(Verb::delete_, "/endpoints/" + endpoint).first, 204U);
  EXPECT_TRUE(f.conf().access.empty());

  auto subject = f.call(Verb::post, kClient + "/service-clients/DEV:COM:5678:CLI/access-rights",
                        R"({"items":[{"service_code":"pets"}]})");
  ASSERT_EQ(subject.first, 201U) << subject.second;
  EXPECT_EQ(subject.second[0]["service_code"], "pets");
  EXPECT_EQ(f.call(Verb::get, kClient + "/service-clients").second.size(), 1U);
  EXPECT_EQ(f.call(Verb::post, kClient + "/service-clients/DEV:COM:5678:CLI/access-rights/delete",
                   R"({"items":[{"service_code":"pets"}]})")
                .first,
            204U);
  EXPECT_EQ(f.call(Verb::post, kClient + "/service-clients/DEV:COM:5678:CLI/access-rights/delete",
                   R"({"items":[{"service_code":"pets"}]})")
                .first,
            404U);
  EXPECT_EQ(f.call(Verb::delete_, "/local-groups/" + group_id).first, 204U);
  EXPECT_TRUE(f.conf().local_groups.empty());
}

// Ids survive revisions and what the YAML file leaves out is given the same way every time.
TEST(ServiceDescriptionRoutes, IdsStayAcrossRevisions) {
  Fixture f;
  f.served["http://h/a.wsdl"] = wsdl({"one"});
  auto first = f.call(Verb::post, kClient + "/service-descriptions", R"({"url":"http://h/a.wsdl","type":"WSDL"})");
  auto group = f.call(Verb::post, kClient + "/local-groups", R"({"code":"g","description":"d"})");
  f.served["http://h/b.wsdl"] = wsdl({"two"});
  auto second = f.call(Verb::post, kClient + "/service-descriptions", R"({"url":"http://h/b.wsdl","type":"WSDL"})");
  EXPECT_NE(first.second["id"], second.second["id"]);
  EXPECT_NE(group.second["id"], second.second["id"]);
  EXPECT_EQ(f.call(Verb::delete_, "/service-descriptions/" + std::string(second.second["id"])).first, 204U);
  f.served["http://h/c.wsdl"] = wsdl({"three"});
  auto third = f.call(Verb::post, kClient + "/service-descriptions", R"({"url":"http://h/c.wsdl","type":"WSDL"})");
  EXPECT_NE(third.second["id"], second.second["id"]) << "a deleted id is not given again";
  EXPECT_EQ(f.call(Verb::get, "/service-descriptions/" + std::string(first.second["id"])).second["url"],
            "http://h/a.wsdl");
}

// A body that is not JSON, or nests too deep, is refused before a handler could read it as an
// empty one: the PATCH does not save the service, the disable does not disable it.
TEST(ServiceDescriptionRoutes, AnUnreadableBodyChangesNothing) {
  Fixture f;
  f.served["http://h/a.wsdl"] = wsdl({"hello"});
  auto added = f.call(Verb::post, kClient + "/service-descriptions", R"({"url":"http://h/a.wsdl","type":"WSDL"})");
  ASSERT_EQ(added.first, 201U) << added.second;
  const std::string id = added.second["id"];
  const auto revisions = [&] { return *serverconf::latest_revision(*f.store); };
  const auto before = revisions();
  const std::string too_deep = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  for (const std::string& body : {too_deep, std::string("{\"url\":"), std::string("not json")}) {
    auto patched = f.call(Verb::patch, "/services/DEV:COM:1234:SUB:hello.v1", body);
    EXPECT_EQ(patched.first, 400U) << body.substr(0, 20);
    EXPECT_EQ(f.code(patched.second), "invalid_request_body");
    auto disabled = f.call(Verb::put, "/service-descriptions/" + id + "/disable", body);
    EXPECT_EQ(disabled.first, 400U);
    EXPECT_EQ(f.code(disabled.second), "invalid_request_body");
  }
  EXPECT_FALSE(f.conf().services[0].disabled);
  EXPECT_EQ(revisions(), before);
}

TEST(ServiceDescriptionRoutes, HostilePathsAndBodiesAreRefused) {
  Fixture f;
  for (const std::string id : {"-1", "1e3", "99999999999999999999", "%00", "1 ", "0x10", ""}) {
    const auto [status, body] = f.call(Verb::get, "/service-descriptions/" + id);
    EXPECT_TRUE(status == 404U || status == 400U) << id << " " << status;
    EXPECT_EQ(f.call(Verb::get, "/endpoints/" + id).first / 100, 4U) << id;
    EXPECT_EQ(f.call(Verb::get, "/local-groups/" + id).first / 100, 4U) << id;
  }
  for (const std::string id :
       {"DEV", "DEV:COM", ":::", "DEV:COM:1234:SUB:", "DEV:COM:1234:SUB:x:y:z", "a:b:c:d:e:f:g"}) {
    EXPECT_EQ(f.call(Verb::get, "/services/" + id).first / 100, 4U) << id;
    EXPECT_EQ(f.call(Verb::get, "/clients/" + id + "/service-descriptions").first / 100, 4U) << id;
  }
  for (const std::string body :
       {"", "[]", "null", "1", R"({"url":1,"type":"WSDL"})", R"({"url":"ftp://x","type":"WSDL"})",
        R"({"url":"http://h/x","type":"SOAP"})", R"({"url":"http://h/x","type":"REST"})",
        R"({"url":"http://h/x","type":"REST","rest_service_code":"a:b"})",
        R"({"url":"http://h/x","type":"REST","rest_service_code":{"a":1}})"}) {
    const auto [status, answer] = f.call(Verb::post, kClient + "/service-descriptions", body);
    EXPECT_EQ(status, 400U) << body << " " << answer;
  }
  const std::string many = [] {
    std::string s = R"({"items":[)";
    for (int i = 0; i < 1001; ++i) s += std::string(i ? "," : "") + "\"DEV:COM:" + std::to_string(i) + "\"";
    return s + "]}";
  }();
  auto group = f.call(Verb::post, kClient + "/local-groups", R"({"code":"g","description":"d"})");
  const std::string gid = group.second["id"];
  const std::vector<std::string> bodies = {many, R"({"items":"x"})", R"({"items":[1,2]})", R"({"items":["not an id"]})",
                                           "{}"};
  for (const auto& body : bodies) {
    EXPECT_EQ(f.call(Verb::post, "/local-groups/" + gid + "/members", body).first, 400U) << body.substr(0, 40);
  }
  EXPECT_EQ(f.call(Verb::post, kClient + "/local-groups", R"({"code":"a b","description":"d"})").first, 400U);
  EXPECT_EQ(f.call(Verb::post, kClient + "/local-groups", R"({"code":"c","description":""})").first, 400U);
  EXPECT_EQ(f.call(Verb::patch, "/services/DEV:COM:1234:SUB:none", R"({"timeout":5})").first, 404U);
}

}  // namespace
}  // namespace roadside::admin
