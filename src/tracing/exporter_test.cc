// The exporter against a real OTLP/HTTP stand-in: a net::HttpServer on a port of the OS's
// choosing that keeps what it is sent.
#include "tracing/exporter.h"

#include <atomic>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "net/http_server.h"
#include "support/test_support.h"

namespace roadside::tracing {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using nlohmann::json;
using roadside::testing::eventually;
using roadside::testing::latency_bound;
using namespace std::chrono_literals;

class Receiver {
 public:
  struct Request {
    std::string method, target, content_type;
    json body;
  };

  explicit Receiver(asio::io_context& io)
      : server_(
            io, options(), [this](net::ServerExchange& ex) { return handle(ex); }, metrics_) {
    EXPECT_TRUE(server_.start().ok());
  }
  ~Receiver() {
    held_ = false;
    server_.stop_blocking(1s);
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  void answer(http::status status) { status_ = status; }
  // While held, requests get no answer.
  void hold(bool held) { held_ = held; }

  std::vector<Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::size_t spans() {
    std::size_t n = 0;
    for (const auto& r : requests()) n += r.body["resourceSpans"][0]["scopeSpans"][0]["spans"].size();
    return n;
  }

 private:
  static net::ServerOptions options() {
    net::ServerOptions o;
    o.name = "otlp";
    return o;
  }

  asio::awaitable<void> handle(net::ServerExchange& ex) {
    auto body = co_await ex.read_body_all();
    Request r{std::string(ex.request().method_string()), std::string(ex.request().target()),
              std::string(ex.request()[http::field::content_type]),
              json::parse(body.ok() ? *body : "", nullptr, false)};
    {
      std::lock_guard lock(mu_);
      requests_.push_back(std::move(r));
    }
    asio::steady_timer wait(co_await asio::this_coro::executor);
    for (int i = 0; held_ && i < 500; ++i) {
      wait.expires_after(10ms);
      co_await wait.async_wait(asio::use_awaitable);
    }
    (void)co_await ex.respond(net::make_response(status_.load(), "{}", "application/json"));
  }

  std::mutex mu_;
  std::vector<Request> requests_;
  std::atomic<http::status> status_{http::status::ok};
  std::atomic<bool> held_{false};
  metrics::Registry metrics_;
  net::HttpServer server_;
};

Span span(int i) {
  Span s;
  s.context = start_span(std::nullopt);
  s.name = "span " + std::to_string(i);
  s.start_unix_ns = i;
  s.end_unix_ns = i + 1;
  return s;
}

class ExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    receiver_.reset();
    guard_.reset();
    io_.stop();
    thread_.join();
  }

  ExporterOptions options(std::string endpoint) {
    ExporterOptions o;
    o.endpoint = std::move(endpoint);
    o.resource = {{"service.name", "roadside-test"}};
    return o;
  }
  double metric(const std::string& name) const { return metrics_.value("roadside_tracing_" + name + "_total"); }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  std::thread thread_;
  std::unique_ptr<Receiver> receiver_ = std::make_unique<Receiver>(io_);
  metrics::Registry metrics_;
};

TEST_F(ExporterTest, PostsBatchesToV1Traces) {
  ExporterOptions o = options(receiver_->endpoint() + "/");
  o.max_batch = 3;
  o.interval = 50ms;
  SpanExporter exporter(o, metrics_);
  for (int i = 0; i < 7; ++i) exporter.add(span(i));
  ASSERT_TRUE(eventually([&] { return receiver_->spans() == 7; }, latency_bound(5s))) << receiver_->spans();

  const auto requests = receiver_->requests();
  EXPECT_GE(requests.size(), 3u);
  std::set<std::string> names;
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/v1/traces");
    EXPECT_EQ(r.content_type, "application/json");
    const json& rs = r.body["resourceSpans"][0];
    EXPECT_EQ(rs["resource"]["attributes"][0]["value"]["stringValue"], "roadside-test");
    const json& spans = rs["scopeSpans"][0]["spans"];
    EXPECT_LE(spans.size(), 3u);
    for (const auto& s : spans) names.insert(s["name"].get<std::string>());
  }
  EXPECT_EQ(names.size(), 7u);
  EXPECT_TRUE(eventually([&] { return metric("spans_exported") == 7; }, latency_bound(1s)));
  EXPECT_EQ(metric("spans_dropped"), 0);
  EXPECT_EQ(metric("export_failures"), 0);
}

TEST_F(ExporterTest, APartialBatchWaitsAtMostTheInterval) {
  ExporterOptions o = options(receiver_->endpoint());
  o.interval = 100ms;
  SpanExporter exporter(o, metrics_);
  exporter.add(span(1));
  EXPECT_TRUE(eventually([&] { return receiver_->spans() == 1; }, latency_bound(3s)));
}

TEST_F(ExporterTest, AFullQueueDropsAndStopFlushes) {
  ExporterOptions o = options(receiver_->endpoint());
  o.max_queue = 2;
  o.interval = std::chrono::hours(1);
  SpanExporter exporter(o, metrics_);
  for (int i = 0; i < 5; ++i) exporter.add(span(i));
  EXPECT_EQ(metric("spans_dropped"), 3);
  EXPECT_EQ(receiver_->spans(), 0u);

  exporter.stop();
  EXPECT_EQ(receiver_->spans(), 2u);
  EXPECT_EQ(metric("spans_exported"), 2);

  exporter.add(span(9));
  EXPECT_EQ(metric("spans_dropped"), 4);
  exporter.stop();  // idempotent
  EXPECT_EQ(receiver_->spans(), 2u);
}

TEST_F(ExporterTest, ARefusedBatchIsAFailureWarnedOfOnce) {
  std::ostringstream logged;
  log::redirect_for_testing(logged);
  receiver_->answer(http::status::service_unavailable);
  ExporterOptions o = options(receiver_->endpoint());
  o.max_batch = 1;
  o.interval = std::chrono::hours(1);
  {
    SpanExporter exporter(o, metrics_);
    exporter.add(span(1));
    exporter.add(span(2));
    EXPECT_TRUE(eventually([&] { return metric("export_failures") == 2; }, latency_bound(5s)));
  }
  log::redirect_for_testing(std::cout);
  EXPECT_EQ(metric("spans_dropped"), 2);
  EXPECT_EQ(metric("spans_exported"), 0);
  const std::string text = logged.str();
  const auto first = text.find("spans not exported");
  ASSERT_NE(first, std::string::npos) << text;
  EXPECT_EQ(text.find("spans not exported", first + 1), std::string::npos) << text;
  EXPECT_NE(text.find("HTTP 503"), std::string::npos) << text;
}

TEST_F(ExporterTest, AReceiverDownCountsFailuresAndStopDoesNotHang) {
  ExporterOptions o = options("http://127.0.0.1:" + std::to_string(roadside::testing::free_port()));
  o.max_batch = 2;
  o.interval = std::chrono::hours(1);
  o.timeout = 500ms;
  SpanExporter exporter(o, metrics_);
  for (int i = 0; i < 7; ++i) exporter.add(span(i));
  const auto start = std::chrono::steady_clock::now();
  exporter.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, latency_bound(3s));
  EXPECT_GE(metric("export_failures"), 1);
  EXPECT_EQ(metric("spans_dropped"), 7);
  EXPECT_EQ(metric("spans_exported"), 0);
}

TEST_F(ExporterTest, AReceiverThatDoesNotAnswerCostsStopOneTimeout) {
  receiver_->hold(true);
  ExporterOptions o = options(receiver_->endpoint());
  o.interval = std::chrono::hours(1);
  o.timeout = 200ms;
  SpanExporter exporter(o, metrics_);
  exporter.add(span(1));
  const auto start = std::chrono::steady_clock::now();
  exporter.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, latency_bound(2s));
  EXPECT_EQ(metric("export_failures"), 1);
  EXPECT_EQ(metric("spans_dropped"), 1);
  EXPECT_EQ(receiver_->requests().size(), 1u);
}

}  // namespace
}  // namespace roadside::tracing
