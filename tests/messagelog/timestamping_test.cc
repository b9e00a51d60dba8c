// The time-stamper against the testbed's TSA on loopback, over a real SQLite database:
// records written through LogStore::insert get batch and single time-stamps whose containers
// verify_asic accepts, the configured services are tried in order, and the failure state
// refuses messages past the acceptable period and clears on the next success.
#include "messagelog/timestamping.h"

#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "messagelog/asic.h"
#include "messagelog/container.h"
#include "messagelog/zip.h"
#include "signer/message_signer.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"
#include "testbed/authorities.h"
#include "testbed/ca.h"

namespace roadside::messagelog {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using roadside::testing::TempDir;

std::string soap_request(const std::string& id) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:id=\"http://x-road.eu/xsd/identifiers\" "
         "xmlns:xroad=\"http://x-road.eu/xsd/xroad.xsd\"><SOAP-ENV:Header>"
         "<xroad:client id:objectType=\"SUBSYSTEM\"><id:xRoadInstance>TEST</id:xRoadInstance>"
         "<id:memberClass>COM</id:memberClass><id:memberCode>1234</id:memberCode>"
         "<id:subsystemCode>TestClient</id:subsystemCode></xroad:client>"
         "<xroad:service id:objectType=\"SERVICE\"><id:xRoadInstance>TEST</id:xRoadInstance>"
         "<id:memberClass>COM</id:memberClass><id:memberCode>4321</id:memberCode>"
         "<id:subsystemCode>TestService</id:subsystemCode><id:serviceCode>getRandom</id:serviceCode></xroad:service>"
         "<xroad:id>" +
         id +
         "</xroad:id><xroad:protocolVersion>4.0</xroad:protocolVersion></SOAP-ENV:Header>"
         "<SOAP-ENV:Body><getRandom "
         "xmlns=\"http://test.x-road.global/producer\"/></SOAP-ENV:Body></SOAP-ENV:Envelope>\n";
}

class TimestampingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = testbed::TestCa::create(dir_ / "ca", "TEST Test CA", false);
    ASSERT_TRUE(ca.ok()) << ca.error().to_string();
    ca_ = std::move(ca).value();
    tsa_ = std::make_unique<testbed::AuthorityServer>(io_, *ca_, "TEST", net::ServerOptions{}, metrics_);
    ASSERT_TRUE(tsa_->start().ok());
    thread_ = std::thread([this] { io_.run(); });

    auto key = crypto::PrivateKey::generate(crypto::KeyType::rsa2048);
    ASSERT_TRUE(key.ok());
    key_ = std::make_unique<crypto::PrivateKey>(std::move(key).value());
    auto cert = ca_->issue_signing(*XRoadId::member("TEST", "COM", "1234"), "ss1", "1234", *key_);
    ASSERT_TRUE(cert.ok()) << cert.error().to_string();
    cert_ = std::make_unique<crypto::Certificate>(std::move(cert).value());
    auto request = crypto::make_ocsp_request(*cert_, ca_->ca());
    ASSERT_TRUE(request.ok());
    auto ocsp = testbed::make_ocsp_response(
        *request, [this](const std::string& serial) { return ca_->status(serial); }, ca_->ocsp_key(),
        std::chrono::system_clock::now(), 1h);
    ASSERT_TRUE(ocsp.ok()) << ocsp.error().to_string();
    ocsp_ = *ocsp;

    trust_.instance = "TEST";
    trust_.approved_cas.push_back({"TEST Test CA",
                                   false,
                                   {ca_->ca(), {{tsa_->ocsp_url(), ca_->ocsp(), "FREE"}}},
                                   {},
                                   ca_->profile().class_name()});
    trust_.approved_tsas.push_back({"TEST Test TSA", tsa_->tsa_url(), ca_->tsa(), "FREE"});
    trust_.member_classes = {"COM"};

    storage::Store schema(open());
    ASSERT_TRUE(schema.migrate().ok());
    store_ = std::make_unique<LogStore>(open());
    http_ = std::make_unique<net::HttpClient>(io_.get_executor(),
                                              net::ClientOptions{.connect_timeout = 2s, .request_timeout = 5s});
    job_ = std::make_unique<Timestamping>(*store_, *http_, health_, TimestampingOptions{.records_limit = 100}, clock_);
  }

  void TearDown() override {
    job_.reset();
    if (tsa_) tsa_->stop_blocking(1s);
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::unique_ptr<storage::Connection> open() {
    auto c = storage::open_sqlite({.path = dir_ / "log.db"});
    EXPECT_TRUE(c.ok());
    return std::move(c).value();
  }

  // Logs `n` signed requests; returns their ids.
  std::vector<std::int64_t> log_records(int n) {
    std::vector<MessageRecordInput> inputs(static_cast<std::size_t>(n));
    std::vector<const MessageRecordInput*> ptrs;
    for (int i = 0; i < n; ++i) {
      auto& in = inputs[static_cast<std::size_t>(i)];
      in.query_id = "q" + std::to_string(next_++);
      in.x_request_id = "x" + in.query_id;
      in.client = *XRoadId::subsystem("TEST", "COM", "1234", "TestClient");
      in.message = soap_request(in.query_id);
      auto s =
          signer::sign_message({in.message, {}, {}}, {*key_, *cert_, {ocsp_}, {}}, std::chrono::system_clock::now());
      EXPECT_TRUE(s.ok()) << s.error().to_string();
      in.signature = s->signature;
      ptrs.push_back(&in);
    }
    auto ids = store_->insert(ptrs, std::chrono::system_clock::now());
    EXPECT_TRUE(ids.ok()) << ids.error().to_string();
    return ids.value_or({});
  }

  TsaSetup setup(std::vector<std::string> urls) const {
    std::vector<TsaService> services;
    for (auto& u : urls) services.push_back({"TSA " + u, std::move(u)});
    return TsaSetup::of(std::move(services), &trust_);
  }

  template <typename T>
  T run(asio::awaitable<T> a) {
    return asio::co_spawn(io_, std::move(a), asio::use_future).get();
  }

  // The verified container of record `id`.
  Result<AsicVerification> verify(std::int64_t id) {
    auto record = store_->record(id);
    if (!record.ok()) return record.error();
    if (!*record) return Error(make_error_code(errc::malformed), "no record");
    auto c = container_of(*store_, **record);
    if (!c.ok()) return c.error();
    return verify_asic(*c, trust_);
  }

  // A URL where nothing listens.
  static std::string dead_url() {
    return "http://127.0.0.1:" + std::to_string(roadside::testing::free_port()) + "/tsa";
  }

  TempDir dir_;
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{io_.get_executor()};
  std::thread thread_;
  metrics::Registry metrics_;
  std::unique_ptr<testbed::TestCa> ca_;
  std::unique_ptr<testbed::AuthorityServer> tsa_;
  std::unique_ptr<crypto::PrivateKey> key_;
  std::unique_ptr<crypto::Certificate> cert_;
  std::string ocsp_;
  globalconf::SharedParameters trust_;
  // On a whole millisecond: the shared state keeps milliseconds.
  ManualClock clock_{std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now())};
  TimestampingHealth health_{60s, false};
  std::unique_ptr<LogStore> store_;
  std::unique_ptr<net::HttpClient> http_;
  std::unique_ptr<Timestamping> job_;
  int next_ = 1;
};

TEST_F(TimestampingTest, ABatchCoversEveryRecordAndEachContainerVerifies) {
  const auto ids = log_records(5);
  auto round = run(job_->run_once(setup({tsa_->tsa_url()})));
  ASSERT_EQ(round.outcome, TimestampRound::Outcome::stamped) << round.error;
  EXPECT_EQ(round.records, 5u);
  EXPECT_EQ(round.tsa_url, tsa_->tsa_url());
  EXPECT_FALSE(round.full);
  EXPECT_EQ(store_->pending_count().value_or(-1), 0);
  std::optional<std::int64_t> timestamp_id;
  for (auto id : ids) {
    auto v = verify(id);
    ASSERT_TRUE(v.ok()) << v.error().to_string();
    EXPECT_EQ(v->timestamp, AsicVerification::Timestamp::batch);
    EXPECT_EQ(v->tsa_subject, ca_->tsa().subject());
    auto r = store_->record(id);
    ASSERT_TRUE(r.ok() && *r);
    EXPECT_TRUE(store_->ts_hash_chain(**r).value().has_value());
    if (timestamp_id) {
      EXPECT_EQ((*r)->timestamp_id, timestamp_id);  // one token for all
    }
    timestamp_id = (*r)->timestamp_id;
  }
  auto ts = store_->timestamp(*timestamp_id);
  ASSERT_TRUE(ts.ok() && *ts);
  EXPECT_TRUE((*ts)->hash_chain_result.has_value());
  EXPECT_EQ((*ts)->tsa_url, tsa_->tsa_url());
  EXPECT_EQ(health_.last_success(), clock_.now());
  EXPECT_EQ(store_->state(kLastSuccessKey).value_or(std::nullopt), format_rfc3339(clock_.now()));
}

// A record whose stored signature hash is damaged does not stop the round: its leaf is
// hashed from its signature, and the others' containers still verify.
TEST_F(TimestampingTest, ADamagedSignatureHashDoesNotStopTheRound) {
  const auto ids = log_records(3);
  const storage::Value p[] = {std::string("not base64!"), ids[1]};
  ASSERT_TRUE(store_->connection().query("UPDATE messagelog_records SET signature_hash = ? WHERE id = ?", p).ok());
  auto round = run(job_->run_once(setup({tsa_->tsa_url()})));
  ASSERT_EQ(round.outcome, TimestampRound::Outcome::stamped) << round.error;
  EXPECT_EQ(round.records, 3u);
  EXPECT_EQ(store_->pending_count().value_or(-1), 0);
  for (auto id : {ids[0], ids[2]}) {
    auto v = verify(id);
    ASSERT_TRUE(v.ok()) << v.error().to_string();
    EXPECT_EQ(v->timestamp, AsicVerification::Timestamp::batch);
  }
}

TEST_F(TimestampingTest, OneRecordGetsATimestampEmbeddedInItsSignature) {
  const auto ids = log_records(1);
  auto round = run(job_->run_once(setup({tsa_->tsa_url()})));
  ASSERT_EQ(round.outcome, TimestampRound::Outcome::stamped) << round.error;
  auto r = store_->record(ids[0]);
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_FALSE(store_->ts_hash_chain(**r).value().has_value());
  auto ts = store_->timestamp(*(*r)->timestamp_id);
  ASSERT_TRUE(ts.ok() && *ts);
  EXPECT_FALSE((*ts)->hash_chain_result.has_value());
  auto v = verify(ids[0]);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(v->timestamp, AsicVerification::Timestamp::signature);
}

TEST_F(TimestampingTest, StoredTokensCarryTheTsaCertificateAndPassOpensslTsVerify) {
  log_records(3);
  ASSERT_EQ(run(job_->run_once(setup({tsa_->tsa_url()}))).outcome, TimestampRound::Outcome::stamped);
  auto ts = store_->timestamp(1);
  ASSERT_TRUE(ts.ok() && *ts);
  roadside::testing::write_file(dir_ / "token.tst", (*ts)->token);
  roadside::testing::write_file(dir_ / "result.xml", *(*ts)->hash_chain_result);
  roadside::testing::write_file(dir_ / "ca.pem", ca_->ca().to_pem());
  // No -untrusted: the TSA's certificate is in the token, as in X-Road's.
  std::string out;
  const int rc =
      roadside::testing::run_command("openssl ts -verify -in " + (dir_ / "token.tst").string() + " -token_in -data " +
                                         (dir_ / "result.xml").string() + " -CAfile " + (dir_ / "ca.pem").string(),
                                     &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Verification: OK"), std::string::npos) << out;
  // Over other data it does not verify.
  roadside::testing::write_file(dir_ / "other.xml", "<other/>");
  EXPECT_NE(roadside::testing::run_command("openssl ts -verify -in " + (dir_ / "token.tst").string() +
                                           " -token_in -data " + (dir_ / "other.xml").string() + " -CAfile " +
                                           (dir_ / "ca.pem").string() + " 2>/dev/null"),
            0);
}

TEST_F(TimestampingTest, TheSecondServiceIsUsedWhenTheFirstIsDown) {
  log_records(2);
  auto round = run(job_->run_once(setup({dead_url(), tsa_->tsa_url()})));
  ASSERT_EQ(round.outcome, TimestampRound::Outcome::stamped) << round.error;
  EXPECT_EQ(round.tsa_url, tsa_->tsa_url());
  EXPECT_FALSE(health_.failing_since());
}

TEST_F(TimestampingTest, AServiceThatNeverAnswersIsLeftAfterTheReadTimeout) {
  // Takes connections and says nothing.
  asio::ip::tcp::acceptor hung(io_, {asio::ip::make_address("127.0.0.1"), 0});
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> held;
  std::function<void()> accept = [&] {
    auto socket = std::make_shared<asio::ip::tcp::socket>(io_);
    hung.async_accept(*socket, [&, socket](boost::system::error_code ec) {
      if (ec) return;
      held.push_back(socket);
      accept();
    });
  };
  asio::post(io_, accept);
  const std::string hung_url = "http://127.0.0.1:" + std::to_string(hung.local_endpoint().port()) + "/tsa";
  net::HttpClient impatient(io_.get_executor(), net::ClientOptions{.connect_timeout = 1s, .request_timeout = 300ms});
  Timestamping job(*store_, impatient, health_, {}, clock_);
  log_records(2);
  const auto started = std::chrono::steady_clock::now();
  auto round = run(job.run_once(setup({hung_url, tsa_->tsa_url()})));
  ASSERT_EQ(round.outcome, TimestampRound::Outcome::stamped) << round.error;
  EXPECT_EQ(round.tsa_url, tsa_->tsa_url());
  EXPECT_LT(std::chrono::steady_clock::now() - started, roadside::testing::latency_bound(3s));
  // Closed on the I/O thread, and waited for: the pending accept then ends without touching them.
  std::promise<void> closed;
  asio::post(io_, [&] {
    hung.close();
    held.clear();
    closed.set_value();
  });
  closed.get_future().wait();
}

TEST_F(TimestampingTest, ATokenFromAnUnapprovedTsaIsRefused) {
  log_records(2);
  globalconf::SharedParameters other = trust_;
  other.approved_tsas.front().cert = ca_->ca();  // not the certificate that signs the tokens
  auto round = run(job_->run_once(TsaSetup::of({{"TSA", tsa_->tsa_url()}}, &other)));
  EXPECT_EQ(round.outcome, TimestampRound::Outcome::failed);
  EXPECT_NE(round.error.find(tsa_->tsa_url()), std::string::npos) << round.error;
  EXPECT_EQ(store_->pending_count().value_or(-1), 2);
}

TEST_F(TimestampingTest, FailingPastThePeriodRefusesMessagesAndASuccessClearsIt) {
  log_records(3);
  const auto down = setup({dead_url(), dead_url()});
  const auto started = clock_.now();
  auto round = run(job_->run_once(down));
  ASSERT_EQ(round.outcome, TimestampRound::Outcome::failed);
  EXPECT_NE(round.error.find(down.services[0].url), std::string::npos) << round.error;
  EXPECT_NE(round.error.find(down.services[1].url), std::string::npos) << round.error;
  EXPECT_EQ(health_.failing_since(), started);
  EXPECT_EQ(store_->state(kFailingSinceKey).value_or(std::nullopt), format_rfc3339(started));
  EXPECT_TRUE(health_.check(clock_.now()).ok());

  // Another failure later keeps the first one's time.
  clock_.advance(30s);
  ASSERT_EQ(run(job_->run_once(down, true)).outcome, TimestampRound::Outcome::failed);
  EXPECT_EQ(health_.failing_since(), started);
  EXPECT_TRUE(health_.check(clock_.now()).ok());  // 30 s of 60

  clock_.advance(31s);
  auto refused = health_.check(clock_.now());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), make_error_code(errc::timestamping_failed));
  EXPECT_EQ(refused.error().fault_code(), "timestamper_failed");
  EXPECT_TRUE(health_.problem(clock_.now()).has_value());

  // Another node sees the same from the database.
  TimestampingHealth other(60s, false);
  LogStore other_store(open());
  Timestamping other_job(other_store, *http_, other, {}, clock_);
  ASSERT_TRUE(other_job.refresh_health().ok());
  EXPECT_EQ(other.failing_since(), started);
  EXPECT_FALSE(other.check(clock_.now()).ok());

  // The TSA answers: the retry round (one record) succeeds and messages are taken again.
  auto retried = run(job_->run_once(setup({dead_url(), tsa_->tsa_url()}), true));
  ASSERT_EQ(retried.outcome, TimestampRound::Outcome::stamped) << retried.error;
  EXPECT_EQ(retried.records, 1u);
  EXPECT_FALSE(health_.failing_since());
  EXPECT_TRUE(health_.check(clock_.now()).ok());
  EXPECT_FALSE(store_->state(kFailingSinceKey).value_or(std::nullopt).has_value());
  ASSERT_TRUE(other_job.refresh_health().ok());
  EXPECT_TRUE(other.check(clock_.now()).ok());
  EXPECT_EQ(store_->pending_count().value_or(-1), 2);
}

TEST_F(TimestampingTest, NothingWaitingIsNoFailure) {
  auto round = run(job_->run_once(setup({dead_url()})));
  EXPECT_EQ(round.outcome, TimestampRound::Outcome::idle);
  EXPECT_FALSE(health_.failing_since());
}

TEST_F(TimestampingTest, NoValidGlobalConfigurationFailsTheRound) {
  log_records(1);
  auto round = run(job_->run_once(TsaSetup::of({{"TSA", tsa_->tsa_url()}}, nullptr)));
  EXPECT_EQ(round.outcome, TimestampRound::Outcome::failed);
  EXPECT_NE(round.error.find("Global configuration is not valid"), std::string::npos) << round.error;
  EXPECT_TRUE(health_.failing_since());
}

TEST_F(TimestampingTest, ARoundTakesAtMostTheLimitAndSaysWhenItWasFull) {
  Timestamping small(*store_, *http_, health_, TimestampingOptions{.records_limit = 3}, clock_);
  log_records(5);
  auto first = run(small.run_once(setup({tsa_->tsa_url()})));
  ASSERT_EQ(first.outcome, TimestampRound::Outcome::stamped) << first.error;
  EXPECT_EQ(first.records, 3u);
  EXPECT_TRUE(first.full);
  auto second = run(small.run_once(setup({tsa_->tsa_url()})));
  EXPECT_EQ(second.records, 2u);
  EXPECT_FALSE(second.full);
}

TEST_F(TimestampingTest, TimestampImmediatelyStampsTheRecordAloneOrFails) {
  const auto ids = log_records(2);
  auto record = store_->record(ids[0]);
  ASSERT_TRUE(record.ok() && *record);
  auto st = run(job_->timestamp_record(setup({tsa_->tsa_url()}), ids[0], (*record)->signature));
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  auto v = verify(ids[0]);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(v->timestamp, AsicVerification::Timestamp::signature);
  EXPECT_EQ(store_->pending_count().value_or(-1), 1);

  auto other = store_->record(ids[1]);
  ASSERT_TRUE(other.ok() && *other);
  auto failed = run(job_->timestamp_record(setup({dead_url()}), ids[1], (*other)->signature));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().fault_code(), "timestamper_failed");
  EXPECT_FALSE(health_.failing_since());  // as X-Road: the message fails, the state does not change
}

TEST(TimestampingHealth, RefusesWithoutServicesAndPastThePeriodOnly) {
  const Clock::time_point t0{std::chrono::seconds(1'700'000'000)};
  TimestampingHealth h(100s, false);
  EXPECT_TRUE(h.check(t0).ok());
  h.set_configured(false);
  auto none = h.check(t0);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), make_error_code(errc::no_timestamping_provider));
  EXPECT_EQ(none.error().fault_code(), "no_timestamping_provider_found");
  h.set_configured(true);
  h.set_failing_since(t0);
  EXPECT_TRUE(h.check(t0 + 100s).ok());  // X-Road: refused once now - failed > period
  EXPECT_FALSE(h.check(t0 + 101s).ok());

  TimestampingHealth disabled(0s, false);
  disabled.set_failing_since(t0);
  EXPECT_TRUE(disabled.check(t0 + 1000h).ok());
  TimestampingHealth immediately(100s, true);
  immediately.set_failing_since(t0);
  EXPECT_TRUE(immediately.check(t0 + 1000h).ok());
}

TEST(TimestampingDelay, FollowsXRoadsScheduleAndTheOverride) {
  // Global configuration's interval, clamped to [60, 86400].
  EXPECT_EQ(timestamping_delay(120s, 0s, 60s, false), 120s);
  EXPECT_EQ(timestamping_delay(10s, 0s, 60s, false), 60s);
  EXPECT_EQ(timestamping_delay(100'000s, 0s, 60s, false), 86'400s);
  // Failing: the retry delay when shorter than the interval; 0 or longer: the interval.
  EXPECT_EQ(timestamping_delay(600s, 0s, 90s, true), 90s);
  EXPECT_EQ(timestamping_delay(600s, 0s, 0s, true), 600s);
  EXPECT_EQ(timestamping_delay(600s, 0s, 900s, true), 600s);
  EXPECT_EQ(timestamping_delay(600s, 0s, 10s, true), 60s);  // X-Road's bounds still apply
  // The override replaces global configuration's interval and may go below 60 s.
  EXPECT_EQ(timestamping_delay(600s, 2s, 60s, false), 2s);
  EXPECT_EQ(timestamping_delay(600s, 5s, 1s, true), 1s);
  EXPECT_EQ(timestamping_delay(600s, 5s, 60s, true), 5s);
}

}  // namespace
}  // namespace roadside::messagelog
