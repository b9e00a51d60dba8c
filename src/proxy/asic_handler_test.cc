// The client proxy's /asic and /verificationconf over fakes (proxy_fakes.h) and a real SQLite
// message log: who gets which signed documents, X-Road's errors for every refusal, and, with
// genuine signatures and a genuine batch time-stamp, containers that verify_asic accepts
// against the shared parameters /verificationconf hands out.
#include "proxy/asic_handler.h"

#include <sstream>

#include <gtest/gtest.h>

#include "crypto/test_pki.h"
#include "messagelog/asic.h"
#include "messagelog/timestamper.h"
#include "messagelog/zip.h"
#include "proxy/proxy_fakes.h"
#include "storage/store.h"
#include "support/messagelog_batch.h"
#include "support/test_support.h"
#include "testbed/authority.h"

namespace roadside::proxy {
namespace {

using namespace fakes;
using http::verb;

constexpr std::string_view kServerConf = R"(
owner: EE/COM/1
server_code: ss1
clients:
  - id: EE/COM/1/CLIENT
    connection: noauth
  - id: EE/COM/1/OTHER
    connection: noauth
  - id: EE/COM/1/CERT
    connection: sslauth
    is_certificates:
      - |
)";

class AsicHandlerTest : public ::testing::Test, protected FakeWorld {
 protected:
  AsicHandlerTest() {
    shared->instance = "EE";
    shared->members = {
        {id("MEMBER:EE/COM/1"), "Client", {id("SUBSYSTEM:EE/COM/1/CLIENT"), id("SUBSYSTEM:EE/COM/1/OTHER")}},
        {id("MEMBER:EE/COM/2"), "Provider", {id("SUBSYSTEM:EE/COM/2/SERVICE")}}};
    std::string yaml(kServerConf);
    std::istringstream pem(is_key->info.cert.to_pem());
    for (std::string line; std::getline(pem, line);) yaml += "        " + line + "\n";
    conf = std::make_shared<serverconf::ServerConf>(serverconf::ServerConf::parse_yaml(yaml).value());
    storage::Store migrator(storage::open_sqlite({dir / "log.db"}).value());
    EXPECT_TRUE(migrator.migrate().ok());
    store = open_store().value();
    ctx.open_log_store = [this] { return open_store(); };
    ctx.spool_dir = dir / "spool";
  }

  Result<std::unique_ptr<messagelog::LogStore>> open_store() {
    ROADSIDE_TRY(auto conn, storage::open_sqlite({dir / "log.db"}));
    return std::make_unique<messagelog::LogStore>(std::move(conn));
  }

  // A record of `owner`, its signature `signature` (a fake one unless given).
  std::int64_t add(const std::string& query_id, bool response, const XRoadId& owner, std::string message = {},
                   std::string signature = {}, std::vector<net::Payload> attachments = {},
                   std::optional<std::string> hash_chain_result = {}, std::optional<std::string> hash_chain = {}) {
    messagelog::MessageRecordInput r;
    r.query_id = query_id;
    r.x_request_id = "request-id";
    r.response = response;
    r.client = owner;
    r.message = message.empty() ? std::string(response ? "200\r\nOK\r\nX-Road-Id:"
                                                       : "GET\r\n/r1/EE/COM/2/SERVICE/echo\r\nX-Road-Id:") +
                                      query_id + "\r\n"
                                : message;
    r.signature = signature.empty() ? "<signature n=\"" + std::to_string(++n) + "\"/>" : signature;
    r.attachments = std::move(attachments);
    r.hash_chain_result = std::move(hash_chain_result);
    r.hash_chain = std::move(hash_chain);
    return store->insert({&r}, std::chrono::system_clock::now()).value().front();
  }
  // A batch time-stamp over `ids` whose token and chains are not checked.
  void stamp(const std::vector<std::int64_t>& ids) {
    ASSERT_TRUE(testing::stamp_as_batch(*store, ids).ok());
  }

  FakeExchange& serve(FakeExchange& ex, messagelog::RetrievalLimits limits = {}) {
    const Snapshot snap = ctx.snapshot();
    auto done = boost::asio::co_spawn(io, serve_retrieval(ex, ctx, snap, limits), boost::asio::use_future);
    io.restart();
    io.run();
    done.get();
    return ex;
  }
  static FakeExchange get(std::string target, net::PeerInfo peer = {}) {
    return FakeExchange(verb::get, std::move(target), {}, "", std::move(peer));
  }

  // The zip's entries by name.
  static std::vector<std::string> names_in(const FakeExchange& ex) {
    std::vector<std::string> out;
    auto zip = messagelog::ZipFile::read(ex.body());
    EXPECT_TRUE(zip.ok()) << (zip.ok() ? "" : zip.error().to_string());
    if (zip.ok()) {
      for (const auto& e : zip->entries) out.push_back(e.name);
    }
    return out;
  }

  roadside::testing::TempDir dir;
  std::unique_ptr<messagelog::LogStore> store;
  std::shared_ptr<const signer::OpenKey> is_key = make_key("information system", crypto::Usage::tls_client);
  int n = 0;
  const XRoadId client = id("SUBSYSTEM:EE/COM/1/CLIENT");
  const XRoadId other = id("SUBSYSTEM:EE/COM/1/OTHER");
  static constexpr std::string_view kAsic =
      "/asic?xRoadInstance=EE&memberClass=COM&memberCode=1&subsystemCode=CLIENT&queryId=";
};

TEST_F(AsicHandlerTest, TheClientGetsItsContainersOfTheQueryAndNoOneElses) {
  const auto req = add("q1", false, client);
  const auto resp = add("q1", true, client);
  const auto others = add("q1", false, other);  // another client's record with the same query id
  add("q2", false, client);
  stamp({req, resp, others});

  FakeExchange ex = get(std::string(kAsic) + "q1");
  serve(ex);
  ASSERT_EQ(ex.status(), 200u) << ex.body();
  EXPECT_EQ(ex.header("Content-Type"), "application/zip");
  EXPECT_EQ(ex.header("Content-Disposition"), "attachment; filename=\"q1.zip\"");
  EXPECT_EQ(names_in(ex), (std::vector<std::string>{messagelog::asic_file_name("q1", false, req),
                                                    messagelog::asic_file_name("q1", true, resp)}));

  FakeExchange only = get(std::string(kAsic) + "q1&responseOnly");
  serve(only);
  ASSERT_EQ(only.status(), 200u) << only.body();
  EXPECT_EQ(only.header("Content-Disposition"), "attachment; filename=\"q1-response.zip\"");
  EXPECT_EQ(names_in(only), std::vector<std::string>{messagelog::asic_file_name("q1", true, resp)});

  FakeExchange one = get(std::string(kAsic) + "q1&requestOnly&unique");
  serve(one);
  ASSERT_EQ(one.status(), 200u) << one.body();
  EXPECT_EQ(one.header("Content-Type"), "application/vnd.etsi.asic-e+zip");
  EXPECT_EQ(one.header("Content-Disposition"),
            "attachment; filename=\"" + messagelog::asic_file_name("q1", false, req) + "\"");
  auto container = messagelog::AsicContainer::read(one.body());
  ASSERT_TRUE(container.ok()) << container.error().to_string();
  EXPECT_EQ(container->parts.message, "GET\r\n/r1/EE/COM/2/SERVICE/echo\r\nX-Road-Id:q1\r\n");

  // The other client sees only its own record.
  FakeExchange theirs = get("/asic?xRoadInstance=EE&memberClass=COM&memberCode=1&subsystemCode=OTHER&queryId=q1");
  serve(theirs);
  ASSERT_EQ(theirs.status(), 200u);
  EXPECT_EQ(names_in(theirs), std::vector<std::string>{messagelog::asic_file_name("q1", false, others)});
}

TEST_F(AsicHandlerTest, AnotherClientOrAConnectionThatFailsTheClientsModeIsRefused) {
  stamp({add("q1", false, id("SUBSYSTEM:EE/COM/1/CERT"))});
  const std::string target = "/asic?xRoadInstance=EE&memberClass=COM&memberCode=1&subsystemCode=CERT&queryId=q1";
  FakeExchange plain = get(target);  // SSLAUTH client over HTTP
  serve(plain);
  EXPECT_EQ(plain.status(), 401u);
  EXPECT_EQ(plain.header("X-Road-Error"), "server.clientproxy.ssl_authentication_failed");
  EXPECT_EQ(plain.header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_NE(plain.body().find("must connect over HTTPS"), std::string::npos);

  FakeExchange wrong_cert =
      get(target, {{}, true, {make_key("someone", crypto::Usage::tls_client)->info.cert.to_der()}});
  serve(wrong_cert);
  EXPECT_EQ(wrong_cert.status(), 401u);
  EXPECT_EQ(wrong_cert.header("X-Road-Error"), "server.clientproxy.ssl_authentication_failed");

  FakeExchange right_cert = get(target, {{}, true, {is_key->info.cert.to_der()}});
  serve(right_cert);
  EXPECT_EQ(right_cert.status(), 200u) << right_cert.body();

  FakeExchange stranger = get("/asic?xRoadInstance=EE&memberClass=COM&memberCode=3&queryId=q1");  // not hosted here
  serve(stranger);
  EXPECT_EQ(stranger.status(), 401u);
  EXPECT_EQ(stranger.header("X-Road-Error"), "server.clientproxy.unknown_member");
}

TEST_F(AsicHandlerTest, MissingOrConflictingParametersGetXRoadsBadRequest) {
  stamp({add("q1", false, client), add("q1", false, client)});
  struct Case {
    std::string target;
    std::string message;
  };
  const Case cases[] = {
      {"/asic?memberClass=COM&memberCode=1&queryId=q1", "Parameter \"xRoadInstance\"  must be specified."},
      {"/asic?xRoadInstance=EE&memberCode=1&queryId=q1", "Parameter \"memberClass\"  must be specified."},
      {"/asic?xRoadInstance=EE&memberClass=COM&queryId=q1", "Parameter \"memberCode\"  must be specified."},
      {"/asic?xRoadInstance=EE&memberClass=COM&memberCode=1&subsystemCode=CLIENT",
       "Parameter \"queryId\"  must be specified."},
      {std::string(kAsic) + "q1&requestOnly&responseOnly",
       "Parameters \"requestOnly\" and \"responseOnly\" cannot be used at the same time."},
      {std::string(kAsic) + "q1&unique",
       "Parameter \"unique\" not applicable without \"requestOnly\" or \"responseOnly\"."},
  };
  for (const auto& c : cases) {
    FakeExchange ex = get(c.target);
    serve(ex);
    EXPECT_EQ(ex.status(), 400u) << c.target;
    EXPECT_EQ(ex.header("X-Road-Error"), "server.clientproxy.bad_request") << c.target;
    EXPECT_EQ(ex.body(), c.message);
  }
  FakeExchange bad_id = get("/asic?xRoadInstance=EE&memberClass=COM&memberCode=a%2Fb&queryId=q1");
  serve(bad_id);
  EXPECT_EQ(bad_id.status(), 400u);
  EXPECT_EQ(bad_id.header("X-Road-Error"), "server.clientproxy.bad_request");
}

TEST_F(AsicHandlerTest, UniqueWithTwoMatchesNothingFoundOrNotTimestampedAreRefused) {
  stamp({add("q1", false, client), add("q1", false, client)});
  FakeExchange two = get(std::string(kAsic) + "q1&requestOnly&unique");
  serve(two);
  EXPECT_EQ(two.status(), 500u);
  EXPECT_EQ(two.header("X-Road-Error"), "server.clientproxy.internal_error");
  EXPECT_NE(two.body().find("2 signed documents match"), std::string::npos) << two.body();

  FakeExchange none = get(std::string(kAsic) + "q1&responseOnly");
  serve(none);
  EXPECT_EQ(none.status(), 404u);
  EXPECT_EQ(none.header("X-Road-Error"), "server.clientproxy.not_found");
  EXPECT_EQ(none.body(), "No signed documents found");

  const auto pending = add("q3", false, client);
  FakeExchange waiting = get(std::string(kAsic) + "q3");
  serve(waiting);
  EXPECT_EQ(waiting.status(), 500u);
  EXPECT_EQ(waiting.body(), "Message signature has not been timestamped yet!");

  FakeExchange forced = get(std::string(kAsic) + "q3&force");  // no time-stamping on demand here
  serve(forced);
  EXPECT_EQ(forced.status(), 500u);
  EXPECT_EQ(forced.body(), "Could not create missing timestamp!");

  std::vector<std::int64_t> asked;
  ctx.timestamp_records = [&](std::vector<std::int64_t> ids) -> boost::asio::awaitable<Status> {
    asked = ids;
    stamp(ids);
    co_return Status{};
  };
  FakeExchange stamped = get(std::string(kAsic) + "q3&force");
  serve(stamped);
  EXPECT_EQ(stamped.status(), 200u) << stamped.body();
  EXPECT_EQ(asked, std::vector<std::int64_t>{pending});
}

TEST_F(AsicHandlerTest, LimitsOnContainersAndBytesAreKept) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(add("q1", false, client, {}, {}, {net::Payload(std::string(3000, 'a'))}));
  stamp(ids);
  messagelog::RetrievalLimits limits;
  limits.max_containers = 2;
  FakeExchange many = get(std::string(kAsic) + "q1");
  serve(many, limits);
  EXPECT_EQ(many.status(), 500u);
  EXPECT_NE(many.body().find("more than 2 signed documents"), std::string::npos) << many.body();

  limits = {};
  limits.max_container_bytes = 1000;
  FakeExchange big = get(std::string(kAsic) + "q1");
  serve(big, limits);
  EXPECT_EQ(big.status(), 500u);

  limits = {};
  limits.max_zip_bytes = 5000;
  FakeExchange zip = get(std::string(kAsic) + "q1");
  serve(zip, limits);
  EXPECT_EQ(zip.status(), 500u);

  FakeExchange fine = get(std::string(kAsic) + "q1");
  serve(fine);
  EXPECT_EQ(fine.status(), 200u);
  EXPECT_EQ(names_in(fine).size(), 3u);
}

TEST_F(AsicHandlerTest, WithoutAMessageLogTheGetIsNoXRoadRequest) {
  ctx.open_log_store = nullptr;
  for (const char* target : {"/asic?queryId=q", "/verificationconf"}) {
    FakeExchange ex = get(target);
    serve(ex);
    EXPECT_EQ(fault_code_of(ex), "client.invalid_http_method") << target;
  }
  EXPECT_TRUE(is_retrieval_target("/asic"));
  EXPECT_TRUE(is_retrieval_target("/asic?x=1"));
  EXPECT_TRUE(is_retrieval_target("/verificationconf"));
  EXPECT_FALSE(is_retrieval_target("/asicx"));
  EXPECT_FALSE(is_retrieval_target("/r1/asic"));
}

// Genuine signatures of both members and a genuine batch time-stamp from the test PKI's TSA:
// the containers /asic returns verify against the shared parameters /verificationconf gives.
TEST_F(AsicHandlerTest, ContainersOfRealSignedMessagesVerifyAgainstTheVerificationConf) {
  clock.set(std::chrono::system_clock::now());
  approve_test_ca(*shared);
  const auto& pki = roadside::testing::test_pki();
  shared->approved_tsas.push_back({"Test TSA", "http://tsa.example", pki.tsa, "FREE"});
  const auto now = clock.now();

  TransportMessage request;
  request.message_type = std::string(kRestRequestType);
  request.message = "GET\r\n/r1/EE/COM/2/SERVICE/echo\r\nX-Road-Client:EE/COM/1/CLIENT\r\nX-Road-Id:q9\r\n";
  request = signed_as_batch(request, *member_signing_key(id("MEMBER:EE/COM/1"), "ss1"), now);
  TransportMessage response;
  response.message_type = std::string(kRestResponseType);
  response.message =
      "200\r\nOK\r\nX-Road-Client:EE/COM/1/CLIENT\r\nX-Road-Service:EE/COM/2/SERVICE/echo\r\nX-Road-Id:q9\r\n";
  response.body = net::Payload(std::string("{\"pets\":[]}"));
  response = signed_as_batch(response, *member_signing_key(id("MEMBER:EE/COM/2"), "ss2"), now);
  const auto req = add("q9", false, client, request.message, request.signature.signature);
  // (A message with a body is signed with a hash chain over its parts.)
  const auto resp = add("q9", true, client, response.message, response.signature.signature, {*response.body},
                        response.signature.hash_chain_result, response.signature.hash_chain);

  auto chains = messagelog::batch_timestamp_chains({request.signature.signature, response.signature.signature});
  ASSERT_TRUE(chains.ok()) << chains.error().to_string();
  auto ts_request = crypto::make_timestamp_request(chains->result);
  ASSERT_TRUE(ts_request.ok());
  auto ts_response = testbed::make_timestamp_response(*ts_request, pki.tsa, pki.tsa_key, 1, now);
  ASSERT_TRUE(ts_response.ok()) << ts_response.error().to_string();
  const std::string token = crypto::timestamp_token_from_response(*ts_response).value();
  messagelog::NewTimestamp ts{token, "http://tsa.example", now, chains->result, {}};
  ts.leaves = crypto::sha512(request.signature.signature) + crypto::sha512(response.signature.signature);
  ASSERT_TRUE(store->add_timestamp(ts, {req, resp}).ok());

  FakeExchange conf_ex = get("/verificationconf");
  serve(conf_ex);
  ASSERT_EQ(conf_ex.status(), 200u) << conf_ex.body();
  EXPECT_EQ(conf_ex.header("Content-Disposition"), "filename=\"verificationconf.zip\"");
  auto conf_zip = messagelog::ZipFile::read(conf_ex.body());
  ASSERT_TRUE(conf_zip.ok());
  ASSERT_NE(conf_zip->find("verificationconf/instance-identifier"), nullptr);
  EXPECT_EQ(conf_zip->find("verificationconf/instance-identifier")->data, "EE");
  const auto* params_entry = conf_zip->find("verificationconf/EE/shared-params.xml");
  ASSERT_NE(params_entry, nullptr);
  auto trust_params = globalconf::SharedParameters::parse(params_entry->data);
  ASSERT_TRUE(trust_params.ok()) << trust_params.error().to_string();

  FakeExchange ex = get(std::string(kAsic) + "q9");
  serve(ex);
  ASSERT_EQ(ex.status(), 200u) << ex.body();
  auto zip = messagelog::ZipFile::read(ex.body());
  ASSERT_TRUE(zip.ok());
  ASSERT_EQ(zip->entries.size(), 2u);
  std::vector<std::string> signers;
  for (const auto& entry : zip->entries) {
    auto container = messagelog::AsicContainer::read(entry.data);
    ASSERT_TRUE(container.ok()) << container.error().to_string();
    auto verified = messagelog::verify_asic(*container, *trust_params);
    ASSERT_TRUE(verified.ok()) << entry.name << ": " << verified.error().to_string();
    EXPECT_EQ(verified->timestamp, messagelog::AsicVerification::Timestamp::batch);
    signers.push_back(verified->signer_member.to_string());
  }
  EXPECT_EQ(signers, (std::vector<std::string>{"MEMBER:EE/COM/1", "MEMBER:EE/COM/2"}));
  EXPECT_EQ(messagelog::AsicContainer::read(zip->entries[1].data)->parts.attachments,
            std::vector<std::string>{"{\"pets\":[]}"});
}

TEST_F(AsicHandlerTest, VerificationConfNeedsAValidGlobalConfiguration) {
  globalconf_on = false;
  FakeExchange ex = get("/verificationconf");
  serve(ex);
  EXPECT_EQ(ex.status(), 500u);
  EXPECT_EQ(ex.header("X-Road-Error"), "server.clientproxy.global_conf_outdated");
  EXPECT_EQ(ex.body(), globalconf_problem);
}

}  // namespace
}  // namespace roadside::proxy
