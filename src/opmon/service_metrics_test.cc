#include "opmon/service_metrics.h"

#include <gtest/gtest.h>

namespace roadside::opmon {
namespace {

OpRecord call(std::string type, std::string code, bool succeeded, bool configured) {
  OpRecord r;
  r.security_server_type = std::move(type);
  r.service_xroad_instance = "DEV";
  r.service_member_class = "COM";
  r.service_member_code = "1002";
  r.service_subsystem_code = "SERVICE";
  r.service_code = std::move(code);
  r.succeeded = succeeded;
  if (configured) r.service_type = "WSDL";
  r.request_in_ts = 1'000;
  r.response_out_ts = 1'030;
  return r;
}

constexpr const char* kRandom = "SERVICE:DEV/COM/1002/SERVICE/getRandom";

TEST(ServiceMetrics, CountsEachServiceByProxyAndOutcomeWithItsDuration) {
  metrics::Registry registry;
  ServiceMetrics m(registry);
  m.add(call("Producer", "getRandom", true, true));
  m.add(call("Producer", "getRandom", false, true));
  m.add(call("Client", "getRandom", true, false));
  EXPECT_EQ(
      registry.value("roadside_service_requests_total", {{"proxy", "server"}, {"service", kRandom}, {"result", "ok"}}),
      1);
  EXPECT_EQ(registry.value("roadside_service_requests_total",
                           {{"proxy", "server"}, {"service", kRandom}, {"result", "fault"}}),
            1);
  EXPECT_EQ(
      registry.value("roadside_service_requests_total", {{"proxy", "client"}, {"service", kRandom}, {"result", "ok"}}),
      1);
  const std::string text = registry.render();
  EXPECT_NE(text.find(std::string("roadside_service_request_duration_seconds_bucket{proxy=\"server\",service=\"") +
                      kRandom + "\",le=\"0.05\"} 2\n"),
            std::string::npos)
      << text;
}

TEST(ServiceMetrics, ServicesNotKnownToExistAndThoseOverTheBoundCountAsOther) {
  metrics::Registry registry;
  ServiceMetrics m(registry, 2);
  // Made up by a caller: not in this server's configuration, or never answered.
  m.add(call("Producer", "madeUp", false, false));
  m.add(call("Client", "neverAnswered", false, false));
  EXPECT_EQ(registry.value("roadside_service_requests_total",
                           {{"proxy", "server"}, {"service", "other"}, {"result", "fault"}}),
            1);
  EXPECT_EQ(registry.value("roadside_service_requests_total",
                           {{"proxy", "client"}, {"service", "other"}, {"result", "fault"}}),
            1);
  // Two services get series of their own; a third does not, however often it is called.
  m.add(call("Producer", "a", true, true));
  m.add(call("Producer", "b", true, true));
  for (int i = 0; i < 3; ++i) m.add(call("Producer", "c", true, true));
  EXPECT_EQ(
      registry.value("roadside_service_requests_total", {{"proxy", "server"}, {"service", "other"}, {"result", "ok"}}),
      3);
  EXPECT_EQ(registry.value("roadside_service_requests_total",
                           {{"proxy", "server"}, {"service", "SERVICE:DEV/COM/1002/SERVICE/c"}, {"result", "ok"}}),
            -1);
  EXPECT_EQ(registry.value("roadside_service_metrics_overflow_total"), 3);
  // Versions are free text: they share their service's series.
  OpRecord versioned = call("Producer", "a", true, true);
  versioned.service_version = "v999";
  m.add(versioned);
  EXPECT_EQ(registry.value("roadside_service_requests_total",
                           {{"proxy", "server"}, {"service", "SERVICE:DEV/COM/1002/SERVICE/a"}, {"result", "ok"}}),
            2);
  // A service that has its series keeps them, failures included.
  m.add(call("Producer", "a", false, false));
  EXPECT_EQ(registry.value("roadside_service_requests_total",
                           {{"proxy", "server"}, {"service", "SERVICE:DEV/COM/1002/SERVICE/a"}, {"result", "fault"}}),
            1);
}

}  // namespace
}  // namespace roadside::opmon
