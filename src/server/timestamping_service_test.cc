// The time-stamping component on its schedule, in real time with a short interval: records
// wait while the configured TSA does not answer, messages are refused past the failure
// period (check(), readiness, X-Road's health check), and once the TSA answers again traffic
// resumes by itself within one interval, with no restart (X-Road once shipped a server that
// never recovered). Also: no configured service refuses messages from the start.
#include "server/timestamping_service.h"

#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <gtest/gtest.h>

#include "admin/timestamping.h"
#include "server/database_thread.h"
#include "server/xroad_health.h"
#include "serverconf/revisions.h"
#include "support/test_databases.h"
#include "support/test_support.h"
#include "testbed/authorities.h"
#include "testbed/ca.h"

namespace roadside::server {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using roadside::testing::eventually;

void run(asio::awaitable<void> a) {
  asio::io_context io;
  asio::co_spawn(io, std::move(a), asio::detached);
  io.run();
}

// One server's part: its database thread, readiness, metrics and the component.
struct Node {
  metrics::Registry metrics;
  Readiness readiness;
  DatabaseThread thread;
  std::unique_ptr<TimestampingService> service;

  double lease_held() const { return metrics.value("roadside_timestamping_lease_held"); }
  // As the application stops it: the component, then the thread its loop runs on.
  void stop() {
    if (service) run(service->stop());
    run(thread.stop());
    service.reset();
  }
};

class TimestampingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = testbed::TestCa::create(dir_ / "ca", "TEST Test CA", false);
    ASSERT_TRUE(ca.ok()) << ca.error().to_string();
    ca_ = std::move(ca).value();
    tsa_port_ = roadside::testing::free_port();
    tsa_url_ = "http://127.0.0.1:" + std::to_string(tsa_port_) + "/tsa";

    // Global configuration approving the TSA.
    globalconf::SharedParameters trust;
    trust.instance = "TEST";
    trust.approved_tsas.push_back({"TEST Test TSA", tsa_url_, ca_->tsa(), "FREE"});
    trust.member_classes = {"COM"};
    std::filesystem::create_directories(dir_ / "parts");
    roadside::testing::write_file(dir_ / "parts" / "shared.xml", trust.to_xml());
    globalconf::Snapshot snap;
    snap.parts_root = dir_ / "parts";
    snap.version = 6;
    snap.directory.expires = std::chrono::system_clock::now() + 1h;
    snap.directory.parts.push_back({"SHARED-PARAMETERS", "", "/shared.xml", "", "h1"});
    globalconf_.take(snap);
    ASSERT_NE(globalconf_.shared(), nullptr);

    store_ = std::make_unique<storage::Store>(connect());
    ASSERT_TRUE(store_->migrate().ok());
    // An initialized server: the configured time-stamping services are in its configuration.
    auto conf = serverconf::ServerConf::parse_yaml("owner: MEMBER:TEST/COM/1\nserver_code: ss1\n");
    ASSERT_TRUE(conf.ok()) << conf.error().to_string();
    ASSERT_TRUE(serverconf::apply(*store_, *conf, "test").ok());
    log_ = std::make_unique<messagelog::LogStore>(connect());
    tsa_thread_ = std::thread([this] { tsa_io_.run(); });
  }

  // The testbed's TSA as the server's configured time-stamping service (the admin API's way).
  void configure_tsa() {
    auto stored = admin::store_configured_tsps(*store_, {{"TEST Test TSA", tsa_url_}});
    ASSERT_TRUE(stored.ok()) << stored.error().to_string();
  }

  void TearDown() override {
    node_.stop();
    if (tsa_) tsa_->stop_blocking(1s);
    tsa_work_.reset();
    tsa_io_.stop();
    if (tsa_thread_.joinable()) tsa_thread_.join();
  }

  // The database: SQLite, or the cluster test's PostgreSQL database.
  std::unique_ptr<storage::Connection> connect() {
    auto c = pg_ ? storage::open_postgres(*pg_) : storage::open_sqlite({.path = dir_ / "roadside.db"});
    EXPECT_TRUE(c.ok()) << c.error().to_string();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  void start_node(Node& node, TimestampingServiceOptions options, bool clustered = false) {
    ASSERT_TRUE(node.thread.start().ok());
    node.service = std::make_unique<TimestampingService>(
        node.thread.io(), [this]() -> Result<std::unique_ptr<storage::Connection>> { return connect(); }, clustered,
        *store_, globalconf_, options, node.metrics, node.readiness);
    ASSERT_TRUE(node.service->start().ok());
  }
  void start_service(TimestampingServiceOptions options) {
    start_node(node_, options);
    service_ = node_.service.get();
  }

  void start_tsa() {
    net::ServerOptions options;
    options.port = tsa_port_;
    tsa_ = std::make_unique<testbed::AuthorityServer>(tsa_io_, *ca_, "TEST", options, metrics_);
    ASSERT_TRUE(tsa_->start().ok());
  }

  void log_records(int n) {
    std::vector<messagelog::MessageRecordInput> inputs(static_cast<std::size_t>(n));
    std::vector<const messagelog::MessageRecordInput*> ptrs;
    for (auto& in : inputs) {
      in.query_id = "q";
      in.client = *XRoadId::subsystem("TEST", "COM", "1234", "TestClient");
      in.message = "<message/>";
      in.signature = "<signature/>";  // the TSA time-stamps bytes; their meaning is the library test's
      ptrs.push_back(&in);
    }
    ASSERT_TRUE(log_->insert(ptrs, std::chrono::system_clock::now()).ok());
  }

  std::int64_t waiting() { return log_->pending_count().value_or(-1); }

  roadside::testing::TempDir dir_;
  metrics::Registry metrics_;
  Readiness gc_readiness_;
  asio::io_context gc_io_;
  // (An anchor named, never read: take() puts the configuration in use without a download.)
  GlobalconfService globalconf_{gc_io_, {(dir_ / "anchor.xml").string(), dir_ / "gc", 60s}, metrics_, gc_readiness_};
  std::unique_ptr<testbed::TestCa> ca_;
  unsigned short tsa_port_ = 0;
  std::string tsa_url_;
  asio::io_context tsa_io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> tsa_work_{tsa_io_.get_executor()};
  std::thread tsa_thread_;
  std::unique_ptr<testbed::AuthorityServer> tsa_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<messagelog::LogStore> log_;
  std::optional<storage::PostgresOptions> pg_;
  Node node_;
  TimestampingService* service_ = nullptr;  // node_'s
  metrics::Registry& node_metrics_ = node_.metrics;
};

TEST_F(TimestampingServiceTest, TrafficStopsPastTheFailurePeriodAndResumesWhenTheTsaAnswersAgain) {
  ASSERT_NO_FATAL_FAILURE(configure_tsa());
  log_records(4);
  TimestampingServiceOptions options;
  options.failure_period = 1s;
  options.interval_override = 1s;
  options.retry_delay = 1s;
  options.connect_timeout = 500ms;
  options.read_timeout = 2s;
  options.state_refresh = 200ms;
  start_service(options);
  XRoadHealthCheck xroad(node_.readiness, {.ok_cache = 0ms, .failure_cache = 0ms});

  // Nothing listens at the TSA's address: past the period, messages are refused.
  ASSERT_TRUE(eventually([&] { return !service_->check().ok(); }, 10s));
  const auto refused = service_->check();
  EXPECT_EQ(refused.error().fault_code(), "timestamper_failed") << refused.error().to_string();
  EXPECT_TRUE(node_.readiness.reason("timestamping").has_value());
  const auto answer = xroad.answer();
  EXPECT_EQ(answer.status, boost::beast::http::status::internal_server_error);
  EXPECT_EQ(answer.body, "Message log time-stamping failed\n");
  EXPECT_GE(node_metrics_.value("roadside_messagelog_timestamp_failures_total"), 1.0);
  EXPECT_EQ(waiting(), 4);
  EXPECT_EQ(node_metrics_.value("roadside_messagelog_last_timestamp_seconds"), 0.0);
  EXPECT_EQ(node_metrics_.value("roadside_timestamping_lease_held"), 1.0);

  // The TSA answers again: within about one interval (1 s) everything is time-stamped and
  // messages are taken, with no restart. (The bound leaves room for a slow CI machine.)
  start_tsa();
  const auto back = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return service_->check().ok() && waiting() == 0; }, 10s))
      << service_->check().error().to_string() << ", waiting " << waiting();
  EXPECT_LT(std::chrono::steady_clock::now() - back, roadside::testing::latency_bound(5s));
  EXPECT_FALSE(node_.readiness.reason("timestamping").has_value());
  EXPECT_EQ(xroad.answer().status, boost::beast::http::status::ok);
  EXPECT_GT(node_metrics_.value("roadside_messagelog_last_timestamp_seconds"), 0.0);
  ASSERT_TRUE(eventually([&] { return node_metrics_.value("roadside_messagelog_records_waiting") == 0.0; }, 5s));

  // New records are time-stamped on the normal schedule, and timestamp-immediately works.
  log_records(2);
  ASSERT_TRUE(eventually([&] { return waiting() == 0; }, 10s));
  log_records(1);
  const auto id = log_->pending(1).value().front().id;
  std::promise<Status> done;
  asio::io_context caller;  // a proxy's thread
  auto busy = asio::make_work_guard(caller);
  asio::co_spawn(
      caller,
      [&]() -> asio::awaitable<void> {
        done.set_value(co_await service_->timestamp_now(id, "<signature/>"));
        busy.reset();
      },
      asio::detached);
  caller.run();
  const Status st = done.get_future().get();
  EXPECT_TRUE(st.ok()) << st.error().to_string();
}

TEST_F(TimestampingServiceTest, NoConfiguredServiceRefusesMessagesFromTheStart) {
  TimestampingServiceOptions options;
  options.state_refresh = 200ms;
  start_service(options);
  const auto st = service_->check();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().fault_code(), "no_timestamping_provider_found");
  EXPECT_TRUE(node_.readiness.reason("timestamping").has_value());

  // A service configured later (the admin API) is taken within the refresh.
  ASSERT_NO_FATAL_FAILURE(configure_tsa());
  EXPECT_TRUE(eventually([&] { return service_->check().ok(); }, 5s));
}

// Two nodes of a cluster on one PostgreSQL database (ctest starts the server: fixture
// "postgres"). The PostgreSQL options come from ROADSIDE_TEST_PG_INFO ("host=H port=P").
class TimestampingClusterTest : public TimestampingServiceTest {
 protected:
  void SetUp() override {
    const auto server = roadside::testing::pg_server();
    if (!server) GTEST_SKIP() << "no PostgreSQL test server (run through ctest, which starts one)";
    storage::PostgresOptions o = roadside::testing::pg_options(*server, "postgres");
    auto admin = storage::open_postgres(o);
    ASSERT_TRUE(admin.ok()) << admin.error().to_string();
    database_ = "roadside_ts_" + dir_.path().filename().string().substr(14);
    for (auto& c : database_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_TRUE((*admin)->execute_script("CREATE DATABASE " + database_).ok());
    admin_options_ = o;
    o.database = database_;
    pg_ = o;
    TimestampingServiceTest::SetUp();
  }

  void TearDown() override {
    other_.stop();
    TimestampingServiceTest::TearDown();
    log_.reset();
    store_.reset();
    if (!database_.empty()) {
      auto admin = storage::open_postgres(admin_options_);
      if (admin.ok()) (void)(*admin)->execute_script("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    }
  }

  storage::PostgresOptions admin_options_;
  std::string database_;
  Node other_;
};

TEST_F(TimestampingClusterTest, OneNodeTimestampsEveryNodeJudgesByTheSharedStateAndAnotherTakesOver) {
  ASSERT_NO_FATAL_FAILURE(configure_tsa());
  log_records(3);
  TimestampingServiceOptions options;
  options.failure_period = 1s;
  options.interval_override = 1s;
  options.retry_delay = 1s;
  options.connect_timeout = 500ms;
  options.read_timeout = 2s;
  options.state_refresh = 200ms;
  start_node(node_, options, true);
  start_node(other_, options, true);

  // One lease: one node time-stamps.
  ASSERT_TRUE(eventually([&] { return node_.lease_held() + other_.lease_held() == 1.0; }, 5s));
  Node& holder = node_.lease_held() == 1.0 ? node_ : other_;
  Node& follower = &holder == &node_ ? other_ : node_;

  // The TSA does not answer: past the period both nodes refuse messages, though only one asks.
  ASSERT_TRUE(eventually([&] { return !holder.service->check().ok() && !follower.service->check().ok(); }, 10s));
  EXPECT_EQ(follower.service->check().error().fault_code(), "timestamper_failed");
  EXPECT_TRUE(follower.readiness.reason("timestamping").has_value());
  EXPECT_GE(holder.metrics.value("roadside_messagelog_timestamp_failures_total"), 1.0);
  EXPECT_EQ(follower.metrics.value("roadside_messagelog_timestamp_failures_total"), 0.0);
  EXPECT_EQ(follower.lease_held(), 0.0);

  // It answers again: both take messages, everything is time-stamped.
  start_tsa();
  ASSERT_TRUE(eventually(
      [&] { return holder.service->check().ok() && follower.service->check().ok() && waiting() == 0; }, 10s));
  EXPECT_GT(follower.metrics.value("roadside_messagelog_last_timestamp_seconds"), 0.0);

  // The time-stamping node goes: the other takes the lease and the records.
  holder.stop();
  ASSERT_TRUE(eventually([&] { return follower.lease_held() == 1.0; }, 5s));
  log_records(2);
  EXPECT_TRUE(eventually([&] { return waiting() == 0; }, 10s)) << waiting() << " records still wait";
}

}  // namespace
}  // namespace roadside::server
