// The routes Roadside adds for its console. /message-log/messages and /diagnostics/readiness
// over ServerState's hooks: a query's records without their content, a record's container only
// once time-stamped, bad ids and query ids refused before the log is read, a server without a
// message log saying so, and who may see and who may download. /audit-log over the database
// table: newest first, paged, filtered, its parameters checked.
#include <sstream>

#include <gtest/gtest.h>

#include "admin/admin_test_support.h"
#include "admin/audit_log.h"
#include "admin/endpoints.h"
#include "admin/roles.h"
#include "admin/timestamping.h"
#include "base/errors.h"
#include "base/log.h"
#include "signer/token.h"
#include "support/test_support.h"

namespace roadside::admin {
namespace {

struct Fixture {
  roadside::testing::TempDir dir;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<signer::SoftToken> token;
  std::unique_ptr<ServerState> state;
  std::vector<std::string> asked;  // the query ids the log was read for
  std::ostringstream stream;       // the log
  Api api;

  Fixture() {
    log::redirect_for_testing(stream);
    store = std::make_unique<storage::Store>(std::move(*storage::open_sqlite({dir / "db"})));
    EXPECT_TRUE(store->migrate().ok());
    token = std::make_unique<signer::SoftToken>(*store);
    state = std::make_unique<ServerState>(ServerState{*store, *token});
    state->logged_messages = [this](const std::string& query_id, std::size_t limit) {
      asked.push_back(query_id);
      EXPECT_EQ(limit, 100u);
      std::vector<LoggedMessage> out;
      if (query_id == "q-1") {
        out.push_back({7, Clock::time_point(std::chrono::seconds(1'800'000'000)), "q-1", "r-1", false,
                       "SUBSYSTEM:DEV/COM/1001/CLIENT", true, false, true});
        out.push_back({8, Clock::time_point(std::chrono::seconds(1'800'000'001)), "q-1", "r-1", true,
                       "SUBSYSTEM:DEV/COM/1001/CLIENT", false, false, false});
      }
      return Result<std::vector<LoggedMessage>>(std::move(out));
    };
    state->message_container = [](std::int64_t id) -> Result<std::optional<ContainerFile>> {
      if (id == 7) return std::optional<ContainerFile>(ContainerFile{"q-1-request-7.asice", "PK\x03\x04..."});
      if (id == 8) return Error(std::make_error_code(std::errc::resource_unavailable_try_again), "waits");
      if (id == 9) return Error(make_error_code(base::errc::too_large), "too large");  // (the contract's code)
      return std::optional<ContainerFile>();
    };
    state->readiness = [] { return std::vector<NotReady>{{"globalconf", "no global configuration yet"}}; };
    add_message_log_routes(api, *state);
    add_audit_routes(api, *state);
    add_diagnostics_routes(api, *state);
  }
  ~Fixture() { log::stdout_for_testing(); }
  Response call(std::string path, Roles roles = Roles::all()) {
    Request request{.method = Verb::get, .path = std::move(path)};
    if (auto q = request.path.find('?'); q != std::string::npos) {
      const auto eq = request.path.find('=', q);
      request.query[request.path.substr(q + 1, eq - q - 1)] = request.path.substr(eq + 1);
      request.path.resize(q);
    }
    request.caller = {"someone", roles, AuthKind::session, "127.0.0.1"};
    return test_support::run(api, std::move(request));
  }
  static std::string code(const Response& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }
};

Roles only(Role role) {
  Roles r;
  r.add(role);
  return r;
}

TEST(MessageLogRoutes, ListsAQuerysRecordsWithoutTheirContent) {
  Fixture f;
  auto r = f.call("/message-log/messages?query_id=q-1");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto listed = nlohmann::json::parse(r.body);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["id"], "7");
  EXPECT_EQ(listed[0]["direction"], "REQUEST");
  EXPECT_EQ(listed[0]["time"], "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(listed[0]["client_id"], "SUBSYSTEM:DEV/COM/1001/CLIENT");
  EXPECT_EQ(listed[0]["timestamped"], true);
  EXPECT_EQ(listed[1]["direction"], "RESPONSE");
  EXPECT_EQ(listed[1]["timestamped"], false);
  EXPECT_EQ(listed[1]["body_logged"], false);
  EXPECT_FALSE(listed[0].contains("message"));
  EXPECT_EQ(f.call("/message-log/messages?query_id=none").body, "[]");
}

TEST(MessageLogRoutes, AQueryIdMissingOrTooLongIsRefusedBeforeTheLogIsRead) {
  Fixture f;
  EXPECT_EQ(Fixture::code(f.call("/message-log/messages")), "missing_parameter");
  EXPECT_EQ(Fixture::code(f.call("/message-log/messages?query_id=")), "missing_parameter");
  EXPECT_EQ(Fixture::code(f.call("/message-log/messages?query_id=" + std::string(256, 'q'))), "invalid_parameter");
  EXPECT_EQ(f.call("/message-log/messages?query_id=" + std::string(255, 'q')).status, 200u);
  EXPECT_EQ(Fixture::code(f.call("/message-log/messages?query_id=q\xff")), "invalid_parameter");  // PostgreSQL's 500
  EXPECT_EQ(f.asked.size(), 1u);
}

TEST(MessageLogRoutes, GivesATimestampedRecordsContainerAsAnAttachment) {
  Fixture f;
  auto r = f.call("/message-log/messages/7/container");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "application/vnd.etsi.asic-e+zip");
  EXPECT_EQ(r.body.substr(0, 4), "PK\x03\x04");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].second, "attachment; filename=\"q-1-request-7.asice\"");
  // Who read a message's content is in the audit trail.
  EXPECT_NE(f.stream.str().find(R"("event":"Download message container")"), std::string::npos);
  EXPECT_NE(f.stream.str().find(R"("recordId":"7")"), std::string::npos);
  EXPECT_EQ(Fixture::code(f.call("/message-log/messages/8/container")), "message_not_timestamped");
  EXPECT_EQ(f.call("/message-log/messages/8/container").status, 409u);
  EXPECT_EQ(f.call("/message-log/messages/9/container").status, 413u);
  EXPECT_EQ(f.call("/message-log/messages/10/container").status, 404u);
  for (const char* bad : {"abc", "-7", "0", "7x", "99999999999999999999999"}) {
    EXPECT_EQ(f.call(std::string("/message-log/messages/") + bad + "/container").status, 404u) << bad;
  }
}

TEST(MessageLogRoutes, AServerWithoutAMessageLogSaysSo) {
  Fixture f;
  ServerState slim{*f.store, *f.token};
  Api api;
  add_message_log_routes(api, slim);
  Request request{.method = Verb::get, .path = "/message-log/messages", .query = {{"query_id", "q-1"}}};
  request.caller = {"someone", Roles::all(), AuthKind::session, "127.0.0.1"};
  auto r = test_support::run(api, request);
  EXPECT_EQ(r.status, 409u);
  EXPECT_EQ(Fixture::code(r), "message_log_disabled");
  request.path = "/message-log/messages/7/container";
  EXPECT_EQ(Fixture::code(test_support::run(api, request)), "message_log_disabled");
}

TEST(MessageLogRoutes, AnObserverSeesTheRecordsButNotTheirContent) {
  Fixture f;
  EXPECT_EQ(f.call("/message-log/messages?query_id=q-1", only(Role::securityserver_observer)).status, 200u);
  EXPECT_EQ(f.call("/message-log/messages/7/container", only(Role::securityserver_observer)).status, 403u);
  EXPECT_EQ(f.call("/message-log/messages/7/container", only(Role::service_administrator)).status, 200u);
  EXPECT_EQ(f.call("/message-log/messages?query_id=q-1", only(Role::security_officer)).status, 403u);
}

TEST(DiagnosticsRoutes, ReadinessListsEveryReason) {
  Fixture f;
  auto r = nlohmann::json::parse(f.call("/diagnostics/readiness").body);
  EXPECT_EQ(r["ready"], false);
  ASSERT_EQ(r["reasons"].size(), 1u);
  EXPECT_EQ(r["reasons"][0]["component"], "globalconf");
  f.state->readiness = [] { return std::vector<NotReady>{}; };
  r = nlohmann::json::parse(f.call("/diagnostics/readiness").body);
  EXPECT_EQ(r["ready"], true);
  EXPECT_TRUE(r["reasons"].empty());
}

TEST(DiagnosticsRoutes, ArchiveEncryptionListsTheServersMembersAndTheirKeys) {
  Fixture f;
  auto members = [&] {
    return nlohmann::json::parse(f.call("/diagnostics/message-log-encryption-status").body).at("members");
  };
  EXPECT_TRUE(members().empty());  // archives not encrypted and grouped
  serverconf::ServerConf conf;
  conf.owner = *XRoadId::member("DEV", "COM", "1234");
  conf.server_code = "ss1";
  serverconf::Client sub;
  sub.id = *XRoadId::subsystem("DEV", "GOV", "9", "SUB");
  conf.clients.push_back(sub);
  ASSERT_TRUE(serverconf::apply(*f.store, conf, "test").ok());
  f.state->archive_keys = [](const std::string& member) -> Result<ArchiveKeys> {
    if (member == "DEV/GOV/9") return ArchiveKeys{{"K9"}, false};
    return ArchiveKeys{{"DEFAULT"}, true};
  };
  auto listed = members();
  ASSERT_EQ(listed.size(), 2u) << listed;
  EXPECT_EQ(listed[0]["member_id"], "DEV/COM/1234");
  EXPECT_EQ(listed[0]["default_key_used"], true);
  EXPECT_EQ(listed[1]["member_id"], "DEV/GOV/9");
  EXPECT_EQ(listed[1]["keys"], nlohmann::json::array({"K9"}));
  EXPECT_EQ(listed[1]["default_key_used"], false);
}

TEST(DiagnosticsRoutes, TimestampingFollowsTheJob) {
  Fixture f;
  serverconf::ServerConf conf;
  conf.owner = *XRoadId::member("DEV", "COM", "1234");
  conf.server_code = "ss1";
  ASSERT_TRUE(serverconf::apply(*f.store, conf, "test").ok());
  ConfiguredTsp tsa;
  tsa.name = "TSA";
  tsa.url = "http://tsa";
  ASSERT_TRUE(store_configured_tsps(*f.store, {tsa}).ok());
  auto status = [&] {
    return nlohmann::json::parse(f.call("/diagnostics/timestamping-services").body).at(0).value("status_class", "");
  };
  EXPECT_EQ(status(), "WAITING");  // no message log
  f.state->timestamping = [] { return TimestampingState{true, std::nullopt, std::nullopt, ""}; };
  EXPECT_EQ(status(), "WAITING");  // before the first round
  const Clock::time_point t(std::chrono::seconds(1'800'000'000));
  f.state->timestamping = [t] { return TimestampingState{true, t, std::nullopt, ""}; };
  EXPECT_EQ(status(), "OK");
  f.state->timestamping = [t] { return TimestampingState{true, t, t, "the TSA does not answer"}; };
  EXPECT_EQ(status(), "FAIL");
}

TEST(AuditRoutes, NewestFirstPagedAndFiltered) {
  Fixture f;
  const Clock::time_point t(std::chrono::seconds(1'800'000'000));
  std::vector<AuditLine> lines;
  for (int i = 0; i < 3; ++i) {
    lines.push_back({t + std::chrono::seconds(i),
                     {{"event", i == 1 ? "Add client" : "Log in user"},
                      {"user", "admin"},
                      {"auth", "Session"},
                      {"data", {{"n", i}}}}});
  }
  ASSERT_TRUE(append_audit_lines(*f.store, lines).ok());
  auto all = nlohmann::json::parse(f.call("/audit-log").body);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]["data"]["n"], 2);
  EXPECT_EQ(all[0]["time"], "2027-01-15T08:00:02.000Z");
  EXPECT_EQ(all[0]["auth"], "Session");
  auto page = nlohmann::json::parse(f.call("/audit-log?limit=1").body);
  ASSERT_EQ(page.size(), 1u);
  auto next = nlohmann::json::parse(f.call("/audit-log?before_id=" + page[0]["id"].get<std::string>()).body);
  EXPECT_EQ(next.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(f.call("/audit-log?event=Add%20client").body).size(), 0u);  // (decoded by the front)
  EXPECT_EQ(nlohmann::json::parse(f.call("/audit-log?event=Add client").body).size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(f.call("/audit-log?user=nobody").body).size(), 0u);
  for (const char* bad :
       {"limit=0", "limit=501", "limit=x", "before_id=-1", "before_id=1e3", "user=\xff", "event=a\xc3"}) {
    EXPECT_EQ(Fixture::code(f.call(std::string("/audit-log?") + bad)), "invalid_parameter") << bad;
  }
  EXPECT_EQ(f.call("/audit-log", only(Role::security_officer)).status, 200u);
  EXPECT_EQ(f.call("/audit-log", only(Role::securityserver_observer)).status, 403u);
  EXPECT_EQ(f.call("/audit-log", only(Role::service_administrator)).status, 403u);
}

}  // namespace
}  // namespace roadside::admin
