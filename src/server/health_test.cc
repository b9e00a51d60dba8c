#include "server/health.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"

namespace roadside::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

class HealthTest : public ::testing::Test {
 protected:
  HealthTest() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {
    net::ServerOptions o;
    o.name = "health";
    server_ = std::make_unique<net::HttpServer>(io_, o, make_health_handler(readiness_, metrics_, xroad_), metrics_);
    EXPECT_TRUE(server_->start().ok());
  }
  ~HealthTest() override {
    server_->stop_blocking(std::chrono::seconds(1));
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  net::ClientResponse call(http::verb verb, const std::string& path) {
    net::HttpClient client(io_.get_executor());
    auto url = *net::Url::parse("http://127.0.0.1:" + std::to_string(server_->port()) + path);
    auto r = asio::co_spawn(io_, client.request(url, http::request<http::string_body>{verb, path, 11}), asio::use_future)
                 .get();
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return std::move(r).value();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
  Readiness readiness_;
  metrics::Registry metrics_;
  ManualClock clock_;
  XRoadHealthCheck xroad_{readiness_, {}, clock_};
  std::unique_ptr<net::HttpServer> server_;
};

TEST_F(HealthTest, LivezAnswers200) {
  auto r = call(http::verb::get, "/livez");
  EXPECT_EQ(r.message.result(), http::status::ok);
  EXPECT_EQ(nlohmann::json::parse(r.message.body())["status"], "alive");
}

TEST_F(HealthTest, ReadyzNamesEveryReasonUntilReady) {
  bool db_ok = false;
  readiness_.add("storage", [&]() -> std::optional<std::string> {
    return db_ok ? std::nullopt : std::optional<std::string>("database unreachable");
  });
  readiness_.add("signer", []() -> std::optional<std::string> { return "token not logged in"; });
  auto r = call(http::verb::get, "/readyz");
  EXPECT_EQ(r.message.result(), http::status::service_unavailable);
  auto j = nlohmann::json::parse(r.message.body());
  EXPECT_EQ(j["status"], "not_ready");
  ASSERT_EQ(j["reasons"].size(), 2u);
  EXPECT_EQ(j["reasons"][0]["component"], "storage");
  EXPECT_EQ(j["reasons"][1]["reason"], "token not logged in");
  db_ok = true;
  j = nlohmann::json::parse(call(http::verb::get, "/readyz").message.body());
  ASSERT_EQ(j["reasons"].size(), 1u);
}

TEST_F(HealthTest, ReadyWhenNoCheckObjects) {
  readiness_.add("storage", [] { return std::optional<std::string>(); });
  auto r = call(http::verb::get, "/readyz");
  EXPECT_EQ(r.message.result(), http::status::ok);
}

TEST_F(HealthTest, MetricsInPrometheusFormat) {
  register_process_metrics(metrics_);
  metrics_.counter("roadside_test_total", "test").inc(5);
  auto r = call(http::verb::get, "/metrics");
  EXPECT_EQ(r.message.result(), http::status::ok);
  EXPECT_EQ(r.message[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& body = r.message.body();
  EXPECT_NE(body.find("roadside_test_total 5\n"), std::string::npos) << body;
  EXPECT_NE(body.find("# TYPE process_resident_memory_bytes gauge"), std::string::npos);
  EXPECT_NE(body.find("roadside_build_info{version=\"" ROADSIDE_VERSION "\"} 1"), std::string::npos);
  EXPECT_NE(body.find("roadside_http_requests_total{listener=\"health\"}"), std::string::npos);
}

TEST_F(HealthTest, OwnPathsTakeGetAndHeadOnly) {
  auto post = call(http::verb::post, "/livez");
  EXPECT_EQ(post.message.result(), http::status::method_not_allowed);
  EXPECT_EQ(post.message[http::field::allow], "GET, HEAD");
  EXPECT_EQ(call(http::verb::delete_, "/readyz?x=1").message.result(), http::status::method_not_allowed);
}

// Issue 15, item 3: every other method and path is X-Road's health check (xroad_health.h).
TEST_F(HealthTest, AnyOtherPathAndMethodIsXRoadsHealthCheck) {
  bool token = true, globalconf = true, database = true, maintenance = false;
  readiness_.add("globalconf", [&]() -> std::optional<std::string> {
    return globalconf ? std::nullopt : std::optional<std::string>("the global configuration has expired");
  });
  readiness_.add("token", [&]() -> std::optional<std::string> {
    return token ? std::nullopt : std::optional<std::string>("token_not_active: the software token is not logged in");
  });
  readiness_.add("storage", [&]() -> std::optional<std::string> {
    return database ? std::nullopt : std::optional<std::string>("database unreachable");
  });
  readiness_.add("maintenance", [&]() -> std::optional<std::string> {
    return maintenance ? std::optional<std::string>("maintenance mode") : std::nullopt;
  });
  const std::pair<http::verb, std::string> requests[] = {{http::verb::get, "/"},
                                                         {http::verb::post, "/anything"},
                                                         {http::verb::put, "/a/b?c=d"},
                                                         {http::verb::get, "/livez/"}};
  auto expect = [&](http::status status, const std::string& body) {
    for (const auto& [verb, path] : requests) {
      auto r = call(verb, path);
      EXPECT_EQ(r.message.result(), status) << path;
      EXPECT_EQ(r.message.body(), body) << path;
      EXPECT_EQ(r.message[http::field::content_length], std::to_string(body.size())) << path;
      EXPECT_EQ(r.message.count(http::field::content_type), 0u) << path << ": X-Road sends no Content-Type";
    }
    if (body.empty()) {  // (the test client reads a HEAD answer's Content-Length of body)
      auto head = call(http::verb::head, "/");
      EXPECT_EQ(head.message.result(), status);
      EXPECT_EQ(head.message.body(), "");
    }
  };
  expect(http::status::ok, "");
  token = false;
  clock_.advance(std::chrono::seconds(2));  // past the 2 s a pass is kept
  expect(http::status::internal_server_error, "No certificate chain available in authentication key.\n");
  token = true;
  globalconf = false;
  clock_.advance(std::chrono::seconds(30));  // past the 30 s a failure is kept
  expect(http::status::internal_server_error, "Global configuration is expired\n");
  globalconf = true;
  database = false;
  clock_.advance(std::chrono::seconds(30));
  expect(http::status::internal_server_error, "Server Conf database did not respond as expected\n");
  maintenance = true;
  expect(http::status::service_unavailable, "Health check interface is in maintenance mode.");
  maintenance = false;
  database = true;
  clock_.advance(std::chrono::seconds(30));
  expect(http::status::ok, "");
  // /readyz keeps Roadside's own answer.
  token = false;
  EXPECT_EQ(call(http::verb::get, "/readyz").message.result(), http::status::service_unavailable);
}

}  // namespace
}  // namespace roadside::server
