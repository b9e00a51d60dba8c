#include "metrics/metrics.h"

#include <gtest/gtest.h>

#include <thread>

namespace roadside::metrics {
namespace {

TEST(Metrics, RendersPrometheusText) {
  Registry r;
  r.counter("roadside_requests_total", "Requests", {{"listener", "health"}}).inc(3);
  r.counter("roadside_requests_total", "Requests", {{"listener", "client\"proxy"}}).inc();
  r.gauge("roadside_connections", "Open connections").set(7);
  r.gauge_fn("roadside_uptime_seconds", "Uptime", [] { return 1.5; });
  const std::string text = r.render();
  EXPECT_NE(text.find("# TYPE roadside_requests_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("roadside_requests_total{listener=\"health\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("roadside_requests_total{listener=\"client\\\"proxy\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("roadside_connections 7\n"), std::string::npos);
  EXPECT_NE(text.find("roadside_uptime_seconds 1.5\n"), std::string::npos);
  EXPECT_EQ(r.value("roadside_requests_total", {{"listener", "health"}}), 3);
  EXPECT_EQ(r.value("roadside_missing"), -1);
}

TEST(Metrics, ALabelValueThatIsNotUtf8CannotSpoilTheScrape) {
  Registry r;
  r.counter("roadside_x_total", "X", {{"service", "caf\xc3\xa9"}}).inc();
  r.counter("roadside_x_total", "X", {{"service", "bad\xff\xc3"}}).inc();
  const std::string text = r.render();
  EXPECT_NE(text.find("roadside_x_total{service=\"caf\xc3\xa9\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("roadside_x_total{service=\"bad%FF%C3\"} 1\n"), std::string::npos) << text;
}

TEST(Metrics, HistogramsRenderCumulativeBucketsSumAndCount) {
  Registry r;
  Histogram& h = r.histogram("roadside_seconds", "Durations", {0.1, 1}, {{"proxy", "client"}});
  h.observe(0.05);
  h.observe(0.1);  // a bound is its bucket's (le: less than or equal)
  h.observe(0.5);
  h.observe(7);
  EXPECT_EQ(&h, &r.histogram("roadside_seconds", "Durations", {0.1, 1}, {{"proxy", "client"}}));
  const std::string text = r.render();
  EXPECT_NE(text.find("# TYPE roadside_seconds histogram\n"), std::string::npos) << text;
  EXPECT_NE(text.find("roadside_seconds_bucket{proxy=\"client\",le=\"0.1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("roadside_seconds_bucket{proxy=\"client\",le=\"1\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("roadside_seconds_bucket{proxy=\"client\",le=\"+Inf\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("roadside_seconds_sum{proxy=\"client\"} 7.65\n"), std::string::npos) << text;
  EXPECT_NE(text.find("roadside_seconds_count{proxy=\"client\"} 4\n"), std::string::npos) << text;
}

TEST(Metrics, SameNameAndLabelsIsOneSeries) {
  Registry r;
  Counter& a = r.counter("x_total", "x", {{"k", "v"}});
  Counter& b = r.counter("x_total", "x", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(r.gauge("x_total", "x"), std::logic_error);
}

TEST(Metrics, CountersAreThreadSafe) {
  Registry r;
  Counter& c = r.counter("c_total", "c");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { for (int i = 0; i < 10000; ++i) c.inc(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
}

}  // namespace
}  // namespace roadside::metrics
