#include "serverconf/serverconf.h"

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/json_text.h"
#include "support/test_support.h"

namespace roadside::serverconf {
namespace {

constexpr std::string_view kConf = R"(
owner: DEV/COM/1002
server_code: ss2
clients:
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
        subjects: [DEV/COM/1001/CLIENT]
        method: GET
        path: /pets/*
      - service: echo
        subjects: ["LOCALGROUP:friends", "GLOBALGROUP:DEV/owners"]
      - service: getRandom
        version: v1
        subjects: [DEV/COM/1001/CLIENT]
)";

XRoadId id(const std::string& text) {
  return *XRoadId::parse(text);
}

TEST(ServerConf, ParsesTheDeclarativeFile) {
  auto c = ServerConf::parse_yaml(kConf);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->server_id().to_string(), "SERVER:DEV/COM/1002/ss2");
  ASSERT_EQ(c->clients.size(), 1u);
  EXPECT_EQ(c->clients[0].is_auth, IsAuth::sslnoauth);
  ASSERT_EQ(c->services.size(), 2u);
  EXPECT_EQ(c->services[0].timeout, std::chrono::seconds(5));
  EXPECT_EQ(c->services[1].wsdl_url, "http://127.0.0.1:8000/soap?wsdl");
  EXPECT_EQ(c->access.size(), 4u);
  auto back = ServerConf::from_json(c->to_json());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->to_json(), c->to_json());
}

TEST(ServerConf, AServiceIsDisabledWithANoticeThatSurvivesTheDatabase) {
  const std::string yaml = std::string(kConf) + R"(
  - id: DEV/COM/1002/OTHER
    services:
      - code: paused
        url: http://127.0.0.1:8000/paused
        disabled: true
        disabled_notice: "Back on Monday"
      - code: quiet
        url: http://127.0.0.1:8000/quiet
        disabled: true
)";
  auto c = ServerConf::parse_yaml(yaml);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const Service* echo = c->service(id("SERVICE:DEV/COM/1002/SERVICE/echo"));
  const Service* paused = c->service(id("SERVICE:DEV/COM/1002/OTHER/paused"));
  const Service* quiet = c->service(id("SERVICE:DEV/COM/1002/OTHER/quiet"));
  ASSERT_TRUE(echo && paused && quiet);
  EXPECT_FALSE(echo->disabled);
  EXPECT_TRUE(paused->disabled);
  EXPECT_EQ(paused->disabled_text(), "Back on Monday");
  EXPECT_EQ(quiet->disabled_text(), "Service 'SERVICE:DEV/COM/1002/OTHER/quiet' is disabled");  // X-Road's default
  auto back = ServerConf::from_json(c->to_json());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->to_json(), c->to_json());
  EXPECT_TRUE(back->service(paused->id)->disabled);
  EXPECT_EQ(back->service(paused->id)->disabled_notice, "Back on Monday");
  // An enabled service adds nothing to the stored form: older revisions keep their digest.
  EXPECT_EQ(ServerConf::parse_yaml(kConf)->to_json().find("disabled"), std::string::npos);
}

// What the YAML file leaves out (descriptions, ids) is given the same way every time, and an
// older revision without them gets them when read.
TEST(ServerConf, ServicesGetDescriptionsAndStableIds) {
  const std::string yaml = std::string(kConf) + R"(
  - id: DEV/COM/1002/OTHER
    services:
      - code: getTime
        version: v1
        type: WSDL
        url: http://127.0.0.1:8000/soap
      - code: getDate
        version: v1
        type: WSDL
        url: http://127.0.0.1:8000/soap
      - code: other
        url: http://127.0.0.1:8000/other
        disabled: true
)";
  auto c = ServerConf::parse_yaml(yaml);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  ASSERT_EQ(c->services.size(), 5u);
  // The two services of one WSDL of a client share a description; each REST service has its own.
  EXPECT_EQ(c->services[2].description, c->services[3].description);
  EXPECT_NE(c->services[1].description, c->services[2].description);  // the same URL, another client
  EXPECT_NE(c->services[0].description, c->services[4].description);
  ASSERT_EQ(c->descriptions.size(), 4u);
  const auto* wsdl = c->description(c->services[2].description);
  ASSERT_TRUE(wsdl);
  EXPECT_EQ(wsdl->type, DescriptionType::wsdl);
  EXPECT_EQ(wsdl->url, "http://127.0.0.1:8000/soap?wsdl");
  EXPECT_EQ(c->services_of_description(wsdl->id).size(), 2u);
  EXPECT_TRUE(c->description(c->services[4].description)->disabled);
  EXPECT_FALSE(c->description(c->services[0].description)->disabled);
  std::set<std::int64_t> ids;
  for (const auto& d : c->descriptions) ids.insert(d.id);
  for (const auto& g : c->local_groups) ids.insert(g.id);
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(c->last_id, 5);
  EXPECT_EQ(ServerConf::parse_yaml(yaml)->to_json(), c->to_json());
  auto back = ServerConf::from_json(c->to_json());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->to_json(), c->to_json());
  EXPECT_EQ(back->new_id(), 6);

  // A revision stored before descriptions existed.
  auto old = nlohmann::json::parse(c->to_json());
  old.erase("descriptions");
  old.erase("last_id");
  for (auto& s : old["services"]) s.erase("description");
  for (auto& g : old["local_groups"]) g.erase("id");
  auto read = ServerConf::from_json(old.dump());
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(read->to_json(), c->to_json());
}

TEST(ServerConf, HostileStoredFormsAreErrorsNotCrashes) {
  auto c = ServerConf::parse_yaml(kConf);
  ASSERT_TRUE(c.ok());
  for (const char* change : {R"({"descriptions": 1})", R"({"descriptions": [{"id": "x"}]})",
                             R"({"descriptions": [{"id": 1, "client": "nonsense", "type": "WSDL", "url": ""}]})",
                             R"({"last_id": "many"})", R"({"local_groups": [{"owner": 1}]})"}) {
    auto j = nlohmann::json::parse(c->to_json());
    j.merge_patch(nlohmann::json::parse(change));
    auto r = ServerConf::from_json(j.dump());
    EXPECT_FALSE(r.ok()) << change;
  }
  // Nesting that copying the document would recurse through until the stack overflowed.
  const auto deep =
      ServerConf::from_json(R"({"owner": )" + std::string(1'000'000, '[') + std::string(1'000'000, ']') + "}");
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.error().detail().find("nests deeper than 32"), std::string::npos) << deep.error().detail();
  // The stored form of a full configuration is well within the limit.
  EXPECT_TRUE(roadside::json::nests_within(c->to_json(), 8));
}

TEST(ServerConf, AccessRightsByMemberGroupAndEndpoint) {
  auto c = ServerConf::parse_yaml(kConf);
  ASSERT_TRUE(c.ok());
  const XRoadId echo = id("SERVICE:DEV/COM/1002/SERVICE/echo");
  const XRoadId random = id("SERVICE:DEV/COM/1002//getRandom/v1");
  const XRoadId client1 = id("SUBSYSTEM:DEV/COM/1001/CLIENT"), client3 = id("SUBSYSTEM:DEV/COM/1003/CLIENT");
  EXPECT_TRUE(c->allowed(client1, echo, "GET", "/pets/1", nullptr));
  // The path is decoded and has no query: a '?' in it is a byte of a segment like any other.
  EXPECT_FALSE(c->allowed(client1, echo, "GET", "/pets/1?x=/a/b", nullptr));
  EXPECT_FALSE(c->allowed(client1, echo, "POST", "/pets/1", nullptr));
  EXPECT_FALSE(c->allowed(client1, echo, "GET", "/pets/1/toys", nullptr));
  EXPECT_TRUE(c->allowed(client3, echo, "DELETE", "/anything/at/all", nullptr));  // local group, whole service
  EXPECT_FALSE(c->allowed(id("SUBSYSTEM:DEV/COM/1004/CLIENT"), echo, "GET", "/", nullptr));
  globalconf::SharedParameters shared;
  shared.global_groups.push_back({id("GLOBALGROUP:DEV/owners"), "", {id("SUBSYSTEM:DEV/COM/1004/CLIENT")}});
  EXPECT_TRUE(c->allowed(id("SUBSYSTEM:DEV/COM/1004/CLIENT"), echo, "GET", "/", &shared));
  (void)random;
}

TEST(ServerConf, ErrorsNameTheKeyAtFault) {
  struct Case {
    std::string yaml, expected;
  };
  const Case cases[] = {
      {"owner: DEV/COM/1\n", "server_code is missing"},
      {"owner: DEV/COM/1/SUB\nserver_code: a\n", "owner must be a member"},
      {"owner: DEV/COM/1\nserver_code: a\nclients:\n  - id: DEV/COM/1/A\n    connection: maybe\n",
       "clients[0].connection must be"},
      {"owner: DEV/COM/1\nserver_code: a\nclients:\n  - id: DEV/COM/1/A\n    access:\n      - service: nope\n        "
       "subjects: [DEV/COM/2]\n",
       "has no service \"nope\""},
      {"owner: DEV/COM/1\nserver_code: a\nclients:\n  - id: DEV/COM/1/A\n    services:\n      - code: x\n        url: "
       "ftp://h/\n",
       "url must be an http"},
      {"owner: DEV/COM/1\nserver_code: a\nclients:\n  - id: DEV/COM/1/A\n    services:\n      - code: x\n        url: "
       "http://h/\n        disabled: yes\n",
       "services[0].disabled must be true or false"},
      {"owner: DEV/COM/1\nserver_code: a\ncolour: red\n", "unknown key \"colour\""},
      {"owner: [\n", "not valid YAML"},
      // Bytes the stored JSON form cannot hold, which to_json threw at (found by serverconf_fuzz),
      // and UTF-16 without a byte order mark, whose lone surrogates yaml-cpp passes on as such.
      {"owner: DEV/COM/1\nserver_code: a\nclients:\n  - id: DEV/COM/1/A\n    services:\n      - code: x\n        url: "
       "http://h\x93/\n",
       "line 7 is not UTF-8 text"},
      {std::string("o\0w\0n\0e\0r\0:\0 \0\0\xD8\n\0", 18), "line 1 is not UTF-8 text"},
  };
  for (const auto& c : cases) {
    auto r = ServerConf::parse_yaml(c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.error().detail().find(c.expected), std::string::npos) << r.error().detail();
    EXPECT_EQ(r.error().fault_code(), "invalid_conf");
  }
}

TEST(ServerConf, ApplyingTheSameDocumentTwiceAddsOneRevision) {
  testing::TempDir dir;
  auto conn = storage::open_sqlite({dir / "db"});
  ASSERT_TRUE(conn.ok());
  storage::Store store(std::move(conn).value());
  ASSERT_TRUE(store.migrate().ok());
  EXPECT_EQ(load_latest(store).error().code(), errc::no_conf);
  auto c = ServerConf::parse_yaml(kConf);
  ASSERT_TRUE(c.ok());
  auto first = apply(store, *c, "test");
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(*first, std::make_pair(std::int64_t{1}, true));
  EXPECT_EQ(*apply(store, *c, "test"), std::make_pair(std::int64_t{1}, false));
  c->services[0].timeout = std::chrono::seconds(9);
  EXPECT_EQ(*apply(store, *c, "test"), std::make_pair(std::int64_t{2}, true));
  EXPECT_EQ(*latest_revision(store), 2);
  auto latest = load_latest(store);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->conf->services[0].timeout, std::chrono::seconds(9));

  // Two writers read revision 2; the second to store loses nothing of the first's: it is
  // refused and reads again.
  EXPECT_EQ(latest->conf->read_at_revision, 2);
  ServerConf mine = *latest->conf, theirs = *latest->conf;
  mine.services[0].timeout = std::chrono::seconds(11);
  theirs.services[0].timeout = std::chrono::seconds(12);
  EXPECT_EQ(*apply(store, theirs, "another process"), std::make_pair(std::int64_t{3}, true));
  auto refused = apply(store, mine, "this process");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), errc::changed);
  EXPECT_EQ(refused.error().fault_code(), "configuration_changed");
  EXPECT_EQ(load_latest(store)->conf->services[0].timeout, std::chrono::seconds(12));
  // A document of its own (a YAML file) is applied over whatever is newest.
  EXPECT_TRUE(apply(store, *c, "file").ok());
}

}  // namespace
}  // namespace roadside::serverconf
