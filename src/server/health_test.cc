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
    server_ = std::make_unique<net::HttpServer>(io_, o, make_health_handler(readiness_, metrics_), metrics_);
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

TEST_F(HealthTest, UnknownPathsAndMethods) {
  EXPECT_EQ(call(http::verb::get, "/nope").message.result(), http::status::not_found);
  auto post = call(http::verb::post, "/livez");
  EXPECT_EQ(post.message.result(), http::status::method_not_allowed);
  EXPECT_EQ(post.message[http::field::allow], "GET, HEAD");
}

}  // namespace
}  // namespace roadside::server
