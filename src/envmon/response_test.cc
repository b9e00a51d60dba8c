// The getSecurityServerMetrics answer: the documentation's example, X-Road's order and types,
// outputSpec narrowing, the limited data set, hostile host text, and X-Road's monitoring.xsd.
#include "envmon/response.h"

#include <gtest/gtest.h>

#include "base/files.h"
#include "support/test_support.h"
#include "xml/dom.h"
#include "xml/schema.h"

namespace roadside::envmon {
namespace {

using namespace std::chrono_literals;

XRoadId server() {
  return *XRoadId::server("fdev", "GOV", "1710128-9", "fdev-ss1.i.x-road.global");
}

Snapshot full_snapshot() {
  const Clock::time_point t(1'700'000'000s);
  Snapshot s;
  s.operating_system = "Linux version 3.13.0-70-generic";
  s.total_physical_memory = 2097684480;
  s.total_swap_space = 1024;
  s.max_file_descriptor_count = 1048576;
  s.disks = {{"/", 100, 40}};
  const Histogram h{t, 10, 100, 55, 55, 63.63961030678928};
  s.system_cpu_load = s.free_physical_memory = s.free_swap_space = s.open_file_descriptor_count =
      s.committed_virtual_memory = h;
  s.processes = {{"1", "init", "0.0", "0.1", "Oct15", "root"}, {"42", "roadside", "10.0", "1.0", "22:05", "xroad"}};
  s.server_processes = {{"42", "roadside serve", "10.0", "1.0", "22:05", "xroad"}};
  s.packages = {{"zlib1g", "1:1.2.13.dfsg-1"}, {"adduser", "3.134"}};
  s.certificates = {{CertificateType::security_server_tls, "AB:CD:EF", t - 24h * 365, t + 24h * 365, true},
                    {CertificateType::auth_or_sign, "01:23", t, t + 1h, false}};
  return s;
}

std::string answer(const Snapshot& s, std::vector<std::string> fields = {}, bool limited = false,
                   std::string_view version = "7.6.0") {
  return response_xml(s, server(), version, MetricsRequest{std::move(fields)}, limited);
}

bool has(const std::string& xml, const std::string& what) {
  return xml.find(what) != std::string::npos;
}
std::string named(const std::string& name) {
  return "<m:name>" + name + "</m:name>";
}

// `xml` without the white space between its tags.
std::string compact(std::string_view xml) {
  std::string out;
  for (std::size_t i = 0; i < xml.size(); ++i) {
    if (xml[i] == '>') {
      const auto next = xml.find_first_not_of(" \t\r\n", i + 1);
      out += '>';
      if (next != std::string_view::npos && xml[next] == '<') i = next - 1;
      continue;
    }
    out += xml[i];
  }
  return out;
}

TEST(MetricsResponse, IsTheDocumentationsExample) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const std::string doc = *read_file_limited(vectors / "xroad/monitoring/docs/envmon-Monitoring-messages.md", 1 << 20);
  const std::string open = "<m:getSecurityServerMetricsResponse>", close = "</m:getSecurityServerMetricsResponse>";
  const auto begin = doc.find(open);
  ASSERT_NE(begin, std::string::npos);
  const std::string expected = compact(doc.substr(begin, doc.find(close, begin) + close.size() - begin));

  Snapshot s = full_snapshot();
  const std::string xml =
      answer(s, {"OperatingSystem", "TotalPhysicalMemory"}, false, "6.7.7-1.20151201075839gitb72b28e");
  std::string ours = xml;
  ours.replace(0, ours.find('>') + 1, open);  // the example declares the prefix on its envelope
  EXPECT_EQ(ours, expected);
}

TEST(MetricsResponse, AnswersEveryMetricInXRoadsOrderAndTypes) {
  const std::string xml = answer(full_snapshot());
  std::size_t at = xml.find(named("systemMetrics"));
  ASSERT_NE(at, std::string::npos);
  for (const char* name :
       {"Certificates", "DiskSpaceFree_/", "DiskSpaceTotal_/", "MaxFileDescriptorCount", "OperatingSystem",
        "TotalPhysicalMemory", "TotalSwapSpace", "CommittedVirtualMemory", "FreePhysicalMemory", "FreeSwapSpace",
        "OpenFileDescriptorCount", "SystemCpuLoad", "Processes", "Xroad Processes", "Packages"}) {
    const auto next = xml.find(named(name), at);
    ASSERT_NE(next, std::string::npos) << name << " missing or out of order in " << xml;
    at = next;
  }
  EXPECT_TRUE(has(xml,
                  "<m:metricSet><m:name>SERVER:fdev/GOV/1710128-9/fdev-ss1.i.x-road.global</m:name>"
                  "<m:stringMetric><m:name>proxyVersion</m:name><m:value>7.6.0</m:value></m:stringMetric>"));
  EXPECT_TRUE(has(xml,
                  "<m:metricSet><m:name>certificate-AB:CD:EF</m:name>"
                  "<m:stringMetric><m:name>sha1Hash</m:name><m:value>AB:CD:EF</m:value></m:stringMetric>"
                  "<m:stringMetric><m:name>notBefore</m:name><m:value>2022-11-14T22:13:20Z</m:value></m:stringMetric>"
                  "<m:stringMetric><m:name>notAfter</m:name><m:value>2024-11-13T22:13:20Z</m:value></m:stringMetric>"
                  "<m:stringMetric><m:name>certificateType</m:name><m:value>SECURITY_SERVER_TLS</m:value>"
                  "</m:stringMetric><m:stringMetric><m:name>active</m:name><m:value>true</m:value>"
                  "</m:stringMetric></m:metricSet>"));
  EXPECT_TRUE(has(xml,
                  "<m:value>AUTH_OR_SIGN</m:value></m:stringMetric><m:stringMetric><m:name>active</m:name>"
                  "<m:value>false</m:value>"));
  EXPECT_TRUE(has(xml, "<m:numericMetric><m:name>DiskSpaceFree_/</m:name><m:value>40</m:value></m:numericMetric>"));
  EXPECT_TRUE(has(xml,
                  "<m:histogramMetric><m:name>SystemCpuLoad</m:name><m:updated>2023-11-14T22:13:20.000Z"
                  "</m:updated><m:min>10</m:min><m:max>100</m:max><m:mean>55</m:mean><m:median>55</m:median>"
                  "<m:stddev>63.63961030678928</m:stddev></m:histogramMetric>"));
  // A process: its pid names its set; what reads as a number is a numericMetric, as in X-Road.
  EXPECT_TRUE(has(xml,
                  "<m:metricSet><m:name>42</m:name><m:numericMetric><m:name>processId</m:name><m:value>42"
                  "</m:value></m:numericMetric><m:stringMetric><m:name>command</m:name><m:value>roadside"
                  "</m:value></m:stringMetric><m:numericMetric><m:name>cpuLoad</m:name><m:value>10.0</m:value>"
                  "</m:numericMetric><m:numericMetric><m:name>memUsed</m:name><m:value>1.0</m:value>"
                  "</m:numericMetric><m:stringMetric><m:name>startTime</m:name><m:value>22:05</m:value>"
                  "</m:stringMetric><m:stringMetric><m:name>userId</m:name><m:value>xroad</m:value>"
                  "</m:stringMetric></m:metricSet>"));
  EXPECT_TRUE(has(xml, "<m:value>roadside serve</m:value>"));
  // A package's version too: X-Road's MetricTypes sees 3.134 as a number.
  EXPECT_TRUE(has(xml,
                  "<m:metricSet><m:name>Packages</m:name><m:stringMetric><m:name>zlib1g</m:name><m:value>"
                  "1:1.2.13.dfsg-1</m:value></m:stringMetric><m:numericMetric><m:name>adduser</m:name><m:value>"
                  "3.134</m:value></m:numericMetric></m:metricSet>"));
  // proxyVersion is always a string, as X-Road writes it.
  EXPECT_TRUE(has(answer(full_snapshot(), {}, false, "7"),
                  "<m:stringMetric><m:name>proxyVersion</m:name><m:value>7</m:value></m:stringMetric>"));
}

TEST(MetricsResponse, OutputSpecNarrowsAndUnknownNamesMatchNothing) {
  std::string xml = answer(full_snapshot(), {"Packages", "TotalSwapSpace", "NoSuchMetric"});
  EXPECT_TRUE(has(xml, named("TotalSwapSpace")));
  EXPECT_TRUE(has(xml, named("Packages")));
  for (const char* other : {"OperatingSystem", "Certificates", "Processes", "SystemCpuLoad", "DiskSpaceFree_/"})
    EXPECT_FALSE(has(xml, named(other))) << other;

  // Only unknown names (DiskSpaceFree is not a name: X-Road's is DiskSpaceFree_<path>): no
  // systemMetrics at all, proxyVersion still.
  xml = answer(full_snapshot(), {"NoSuchMetric", "DiskSpaceFree"});
  EXPECT_FALSE(has(xml, named("systemMetrics")));
  EXPECT_TRUE(has(xml, named("proxyVersion")));
}

TEST(MetricsResponse, TheLimitedSetHasOnlyTheOperatingSystemAndCertificates) {
  std::string xml = answer(full_snapshot(), {}, true);
  EXPECT_TRUE(has(xml, named("OperatingSystem")));
  EXPECT_TRUE(has(xml, named("Certificates")));
  EXPECT_TRUE(has(xml, named("proxyVersion")));
  for (const char* other : {"TotalPhysicalMemory", "TotalSwapSpace", "MaxFileDescriptorCount", "DiskSpaceTotal_/",
                            "SystemCpuLoad", "FreePhysicalMemory", "Processes", "Xroad Processes", "Packages"})
    EXPECT_FALSE(has(xml, named(other))) << other;

  xml = answer(full_snapshot(), {"OperatingSystem", "Packages"}, true);
  EXPECT_TRUE(has(xml, named("OperatingSystem")));
  EXPECT_FALSE(has(xml, named("Packages")));
  EXPECT_FALSE(has(xml, named("Certificates")));
  EXPECT_FALSE(has(answer(full_snapshot(), {"TotalPhysicalMemory"}, true), named("systemMetrics")));
}

TEST(MetricsResponse, WritesHostileTextAsValidXml) {
  Snapshot s;
  s.operating_system = "a\x01<b>&c\xff\xc3(\xed\xa0\x80\xef\xbf\xbf-\xc3\xa9\t\"]]>";
  s.packages = std::vector<PackageInfo>{PackageInfo{"p<kg>", "1&2"}};
  const std::string xml = answer(s);
  auto doc = xml::Document::parse(xml);
  ASSERT_TRUE(doc.ok()) << xml;
  EXPECT_TRUE(has(xml, "<m:value>a?&lt;b&gt;&amp;c" + std::string(2, '?') + "(" + std::string(6, '?') +
                           "-\xc3\xa9&#9;&quot;]]&gt;</m:value>"))  // a tab as a reference: xml::escape
      << xml;
  EXPECT_TRUE(has(xml, "<m:stringMetric><m:name>p&lt;kg&gt;</m:name><m:value>1&amp;2</m:value>"));
}

TEST(MetricsResponse, IsValidAgainstXRoadsSchema) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  auto schema = xml::Schema::load(vectors / "xroad/monitoring/envmon/monitoring.xsd");
  ASSERT_TRUE(schema.ok()) << schema.error().to_string();
  Snapshot hostile;
  hostile.operating_system = std::string("\x01\xff<", 3);
  Collector host{CollectorOptions{}};
  const Snapshot real = host.collect(full_snapshot().certificates);
  for (const std::string& body :
       {answer(full_snapshot()), answer(full_snapshot(), {}, true), answer(Snapshot{}),
        answer(full_snapshot(), {"NoSuchMetric"}), answer(full_snapshot(), {"Certificates", "Processes"}),
        answer(hostile), answer(real), answer(real, {}, true)}) {
    auto doc = xml::Document::parse(body, 64 << 20);
    ASSERT_TRUE(doc.ok()) << body;
    auto valid = schema->validate(doc->root());
    EXPECT_TRUE(valid.ok()) << valid.error().to_string() << "\n" << body.substr(0, 4000);
  }
}

}  // namespace
}  // namespace roadside::envmon
