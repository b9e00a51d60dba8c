// getSecurityServerMetrics requests: X-Road's own test request and the documentation's
// examples, outputSpec read as X-Road reads it, and what is refused.
#include "envmon/request.h"

#include <gtest/gtest.h>

#include "base/files.h"
#include "support/test_support.h"

namespace roadside::envmon {
namespace {

constexpr std::size_t kMax = 1 << 20;

std::string envelope(const std::string& body) {
  return R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
      xmlns:m="http://x-road.eu/xsd/monitoring"><SOAP-ENV:Header/><SOAP-ENV:Body>)" +
         body + "</SOAP-ENV:Body></SOAP-ENV:Envelope>";
}

// The XML of the `n`th ```xml block of a Markdown document.
std::string xml_block(const std::string& markdown, int n) {
  std::size_t at = 0;
  for (int i = 0; i <= n; ++i) {
    at = markdown.find("```xml\n", at);
    if (at == std::string::npos) return {};
    at += 7;
  }
  return markdown.substr(at, markdown.find("```", at) - at);
}

void expect_invalid(const Result<MetricsRequest>& r, const std::string& what) {
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.error().code(), make_error_code(errc::invalid_request)) << what;
  EXPECT_EQ(r.error().fault_code(), "invalid_request");
}

TEST(MetricsRequest, ReadsXRoadsTestRequestAsAskingForEverything) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  // getMetrics.query's body element is in a provider's namespace, with a child of its own:
  // X-Road answers it with every metric, since no outputField is in the monitoring namespace.
  auto r = parse_metrics_request(*read_file_limited(vectors / "xroad/monitoring/envmon/getMetrics.query", kMax), kMax);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->output_fields.empty());
}

TEST(MetricsRequest, ReadsTheDocumentationsExamples) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto docs = vectors / "xroad/monitoring/docs";
  const auto messages = xml_block(*read_file_limited(docs / "envmon-Monitoring-messages.md", kMax), 0);
  auto r = parse_metrics_request(messages, kMax);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->output_fields, (std::vector<std::string>{"OperatingSystem", "TotalPhysicalMemory"}));
  // The architecture's request (its fourth XML block) names no field.
  const auto architecture = xml_block(*read_file_limited(docs / "envmon-Monitoring-architecture.md", kMax), 3);
  ASSERT_NE(architecture.find("<m:getSecurityServerMetrics/>"), std::string::npos);
  r = parse_metrics_request(architecture, kMax);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->output_fields.empty());
}

TEST(MetricsRequest, ReadsOutputFieldsOfTheMonitoringNamespaceOnly) {
  auto r = parse_metrics_request(envelope(R"(<m:getSecurityServerMetrics><m:outputSpec>
      <m:outputField> Processes
      </m:outputField><m:outputField>NoSuchMetric</m:outputField>
      <x:outputField xmlns:x="urn:other">Packages</x:outputField><outputField>Certificates</outputField>
      <m:outputField>Xroad Processes</m:outputField></m:outputSpec>
      <x:outputSpec xmlns:x="urn:other"><m:outputField>OperatingSystem</m:outputField></x:outputSpec>
      </m:getSecurityServerMetrics>)"),
                                 kMax);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  // A name X-Road does not know is kept: it matches no metric, as in X-Road.
  EXPECT_EQ(r->output_fields, (std::vector<std::string>{"Processes", "NoSuchMetric", "Xroad Processes"}));
  r = parse_metrics_request(envelope("<m:getSecurityServerMetrics><m:outputSpec/></m:getSecurityServerMetrics>"), kMax);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->output_fields.empty());
}

TEST(MetricsRequest, RefusesWhatIsNotAMetricsRequest) {
  expect_invalid(parse_metrics_request("not xml", kMax), "not XML");
  expect_invalid(parse_metrics_request("<x/>", kMax), "no Body");
  expect_invalid(parse_metrics_request(envelope(""), kMax), "an empty Body");
  expect_invalid(parse_metrics_request(envelope("<m:getSecurityServerHealthData/>"), kMax), "another service");
  expect_invalid(parse_metrics_request(envelope("<m:other/><m:getSecurityServerMetrics/>"), kMax), "not first");
  expect_invalid(parse_metrics_request(envelope("<m:getSecurityServerMetrics/>"), 64), "over the size limit");
  expect_invalid(parse_metrics_request("<!DOCTYPE x [<!ENTITY e \"OperatingSystem\">]>" +
                                           envelope("<m:getSecurityServerMetrics><m:outputSpec><m:outputField>&e;"
                                                    "</m:outputField></m:outputSpec></m:getSecurityServerMetrics>"),
                                       kMax),
                 "a DOCTYPE");
  expect_invalid(parse_metrics_request(envelope("<m:getSecurityServerMetrics><m:outputSpec><m:outputField> "
                                                "</m:outputField></m:outputSpec></m:getSecurityServerMetrics>"),
                                       kMax),
                 "an empty outputField");
  std::string many;
  for (std::size_t i = 0; i <= kMaxOutputFields; ++i)
    many += "<m:outputField>F" + std::to_string(i) + "</m:outputField>";
  expect_invalid(parse_metrics_request(envelope("<m:getSecurityServerMetrics><m:outputSpec>" + many +
                                                "</m:outputSpec></m:getSecurityServerMetrics>"),
                                       kMax),
                 "too many outputFields");
}

}  // namespace
}  // namespace roadside::envmon
