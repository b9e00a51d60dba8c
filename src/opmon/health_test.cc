// getSecurityServerHealthData: X-Road's request files read, the statistics of the last period
// (counts, durations, sizes, X-Road's sample standard deviation), the filter by provider, the
// period sliding by, and a body that X-Road's op-monitoring.xsd accepts.
#include "opmon/health.h"

#include <gtest/gtest.h>

#include "base/files.h"
#include "support/test_support.h"
#include "xml/dom.h"
#include "xml/schema.h"

namespace roadside::opmon {
namespace {

OpRecord call(std::string_view provider_subsystem, bool ok, std::int64_t duration_ms, std::int64_t request_size,
              std::int64_t response_size) {
  OpRecord r;
  r.security_server_type = "Producer";
  r.service_xroad_instance = "DEV";
  r.service_member_class = "COM";
  r.service_member_code = "1002";
  r.service_subsystem_code = std::string(provider_subsystem);
  r.service_code = "getRandom";
  r.service_version = "v1";
  r.service_type = "WSDL";
  r.succeeded = ok;
  r.request_in_ts = 1000;
  r.response_out_ts = 1000 + duration_ms;
  r.request_size = request_size;
  r.response_size = response_size;
  return r;
}

std::string between(const std::string& text, const std::string& open) {
  const auto at = text.find("<om:" + open + ">");
  if (at == std::string::npos) return "(none)";
  const auto begin = at + open.size() + 5;
  return text.substr(begin, text.find('<', begin) - begin);
}

TEST(HealthDataRequest, ReadsXRoadsOwnRequests) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "xroad/monitoring/opmon";
  auto unit =
      parse_health_data_request(*read_file_limited(dir / "unit-test-requests/healthdata.request", 1 << 20), 1 << 20);
  ASSERT_TRUE(unit.ok()) << unit.error().to_string();
  ASSERT_TRUE(unit->has_value());
  EXPECT_EQ((*unit)->to_string(), "SUBSYSTEM:XTEE-CI-XM/GOV/00000001/System1");
  auto system = parse_health_data_request(
      *read_file_limited(dir / "ss-system-test-requests/health-data.request", 1 << 20), 1 << 20);
  ASSERT_TRUE(system.ok()) << system.error().to_string();
  auto bad = parse_health_data_request("<x/>", 1 << 20);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), make_error_code(errc::invalid_request));
}

TEST(HealthData, GivesThePeriodsStatisticsPerService) {
  ManualClock clock;
  HealthData health(std::chrono::seconds(600), 100, clock);
  health.add(call("A", true, 10, 100, 1000));
  health.add(call("A", true, 30, 300, 3000));
  health.add(call("A", false, 999, 9, 9));
  health.add(call("B", false, 5, 5, 5));
  const std::string xml = health.response_xml(std::nullopt);
  EXPECT_EQ(between(xml, "statisticsPeriodSeconds"), "600");
  EXPECT_EQ(between(xml, "monitoringStartupTimestamp"), "1700000000000");
  const auto a =
      xml.substr(xml.find("<id:subsystemCode>A<"), xml.find("<id:subsystemCode>B<") - xml.find("<id:subsystemCode>A<"));
  EXPECT_EQ(between(a, "successfulRequestCount"), "2");
  EXPECT_EQ(between(a, "unsuccessfulRequestCount"), "1");
  EXPECT_EQ(between(a, "requestMinDuration"), "10");
  EXPECT_EQ(between(a, "requestAverageDuration"), "20");
  EXPECT_EQ(between(a, "requestMaxDuration"), "30");
  EXPECT_EQ(between(a, "requestDurationStdDev").substr(0, 8), "14.14213");  // sample: sqrt(200)
  EXPECT_EQ(between(a, "responseAverageSize"), "2000");
  EXPECT_EQ(between(a, "lastSuccessfulRequestTimestamp"), "1700000000000");
  EXPECT_EQ(between(a, "serviceType"), "WSDL");
  const auto b = xml.substr(xml.find("<id:subsystemCode>B<"));
  EXPECT_EQ(between(b, "successfulRequestCount"), "0");
  EXPECT_EQ(between(b, "requestMinDuration"), "(none)");  // no successful request, no statistics
}

TEST(HealthData, ThePeriodSlidesAndTheFilterNarrows) {
  ManualClock clock;
  HealthData health(std::chrono::seconds(600), 100, clock);
  health.add(call("A", true, 10, 1, 1));
  clock.advance(std::chrono::seconds(601));
  health.add(call("B", true, 10, 1, 1));
  const std::string all = health.response_xml(std::nullopt);
  const auto a = all.substr(0, all.find("<id:subsystemCode>B<"));
  EXPECT_EQ(between(a, "successfulRequestCount"), "0");                      // A's call is older than the period
  EXPECT_EQ(between(a, "lastSuccessfulRequestTimestamp"), "1700000000000");  // but was its last success
  const std::string only_b = health.response_xml(XRoadId::parse("SUBSYSTEM:DEV/COM/1002/B").value());
  EXPECT_EQ(only_b.find("<id:subsystemCode>A<"), std::string::npos);
  EXPECT_NE(only_b.find("<id:subsystemCode>B<"), std::string::npos);
}

TEST(HealthData, ALongPeriodIsKeptInCoarserSteps) {
  ManualClock clock;
  HealthData health(std::chrono::hours(24), 100, clock);  // aggregates of 144 s
  // The clock starts 80 s into an aggregate, which holds up to 63 s after the call.
  health.add(call("A", true, 10, 1, 1));
  clock.advance(std::chrono::seconds(86'000));
  health.add(call("A", true, 10, 1, 1));
  EXPECT_EQ(between(health.response_xml(std::nullopt), "successfulRequestCount"), "2");
  clock.advance(std::chrono::seconds(430));  // the first call is 30 s past the period, its aggregate not
  EXPECT_EQ(between(health.response_xml(std::nullopt), "successfulRequestCount"), "2");
  clock.advance(std::chrono::seconds(40));  // now the whole aggregate is
  EXPECT_EQ(between(health.response_xml(std::nullopt), "successfulRequestCount"), "1");
}

TEST(HealthData, TracksAtMostItsNumberOfServicesAndOnlyTheProvidersSideOfFoundOnes) {
  ManualClock clock;
  HealthData health(std::chrono::seconds(600), 1, clock);
  OpRecord client_side = call("A", true, 1, 1, 1);
  client_side.security_server_type = "Client";
  health.add(client_side);
  OpRecord not_found = call("A", false, 1, 1, 1);  // refused before its service was found
  not_found.service_type.reset();
  health.add(not_found);
  EXPECT_EQ(health.response_xml(std::nullopt).find("<id:subsystemCode>A<"), std::string::npos);
  health.add(call("A", true, 1, 1, 1));
  health.add(call("B", true, 1, 1, 1));
  OpRecord no_service;
  health.add(no_service);
  const std::string xml = health.response_xml(std::nullopt);
  EXPECT_NE(xml.find("<id:subsystemCode>A<"), std::string::npos);
  EXPECT_EQ(xml.find("<id:subsystemCode>B<"), std::string::npos);
}

TEST(HealthData, TheBodyIsValidAgainstXRoadsSchema) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  auto schema = xml::Schema::load(vectors / "xroad/monitoring/opmon/schemas/op-monitoring.xsd");
  ASSERT_TRUE(schema.ok()) << schema.error().to_string();
  ManualClock clock;
  HealthData health(std::chrono::seconds(600), 100, clock);
  const std::string empty = health.response_xml(std::nullopt);
  health.add(call("A", true, 10, 100, 1000));
  health.add(call("A", true, 12, 100, 1000));
  health.add(call("B", false, 5, 5, 5));
  for (const std::string& body : {empty, health.response_xml(std::nullopt)}) {
    auto doc = xml::Document::parse(body);
    ASSERT_TRUE(doc.ok()) << body;
    auto valid = schema->validate(doc->root());
    EXPECT_TRUE(valid.ok()) << valid.error().to_string() << "\n" << body;
  }
}

}  // namespace
}  // namespace roadside::opmon
