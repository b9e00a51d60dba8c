#include "envmon/response.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <utility>
#include <vector>

#include "base/utf8.h"
#include "xml/dom.h"

namespace roadside::envmon {
namespace {

// xs:decimal's lexical form: (\+|-)?([0-9]+(\.[0-9]*)?|\.[0-9]+).
bool is_decimal(std::string_view s) {
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
  const auto digits = [](std::string_view d) {
    return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const auto dot = s.find('.');
  const auto whole = s.substr(0, dot);
  const auto fraction = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  return digits(whole) && digits(fraction) && !(whole.empty() && fraction.empty());
}

// `text` with '?' for each byte that is not UTF-8 and each character XML 1.0 cannot hold.
std::string xml_chars(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    const std::string_view ch = len == 0 ? std::string_view() : text.substr(i, len);
    const bool ok = len > 0 && ch.size() == len && is_utf8(ch) && (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') &&
                    ch != "\xEF\xBF\xBE" && ch != "\xEF\xBF\xBF";  // U+FFFE, U+FFFF
    if (ok) {
      out += ch;
      i += len;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

std::string text(std::string_view s) {
  return xml::escape(xml_chars(s));
}

// A double as xs:decimal (no exponent), as short as reads back the same.
std::string decimal(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[512];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return ec == std::errc() ? std::string(buf, end) : "0";
}

// ISO 8601 instant at second precision, as X-Road's DateTimeFormatter.ISO_INSTANT writes a
// certificate's validity: "2017-05-11T10:00:00Z".
std::string iso_instant(Clock::time_point t) {
  const auto s = static_cast<std::time_t>(std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count());
  std::tm tm{};
  if (!::gmtime_r(&s, &tm)) return "?";
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class Writer {
 public:
  // X-Road's MetricTypes: numeric when the value reads as a number.
  void single(std::string_view name, std::string_view value, bool string_only = false) {
    const std::string_view kind = !string_only && is_decimal(value) ? "numericMetric" : "stringMetric";
    out_ += "<m:" + std::string(kind) + "><m:name>" + text(name) + "</m:name><m:value>" + text(value) +
            "</m:value></m:" + std::string(kind) + ">";
  }
  void histogram(std::string_view name, const Histogram& h) {
    out_ += "<m:histogramMetric><m:name>" + text(name) + "</m:name><m:updated>" + format_rfc3339(h.updated) +
            "</m:updated><m:min>" + std::to_string(h.min) + "</m:min><m:max>" + std::to_string(h.max) +
            "</m:max><m:mean>" + decimal(h.mean) + "</m:mean><m:median>" + decimal(h.median) + "</m:median><m:stddev>" +
            decimal(h.stddev) + "</m:stddev></m:histogramMetric>";
  }
  void open_set(std::string_view name) { out_ += "<m:metricSet><m:name>" + text(name) + "</m:name>"; }
  void close_set() { out_ += "</m:metricSet>"; }
  std::string& out() { return out_; }

 private:
  std::string out_;
};

void write_processes(Writer& w, std::string_view name, const std::vector<ProcessInfo>& processes) {
  w.open_set(name);
  for (const auto& p : processes) {
    w.open_set(p.process_id);
    w.single("processId", p.process_id);
    w.single("command", p.command);
    w.single("cpuLoad", p.cpu_load);
    w.single("memUsed", p.mem_used);
    w.single("startTime", p.start_time);
    w.single("userId", p.user_id);
    w.close_set();
  }
  w.close_set();
}

// systemMetrics' members, in X-Road's order (see response.h).
void write_system_metrics(Writer& w, const Snapshot& s, const MetricsRequest& request, bool limited) {
  const auto& fields = request.output_fields;
  auto wanted = [&](std::string_view name) {
    return fields.empty() || std::find(fields.begin(), fields.end(), name) != fields.end();
  };

  if (wanted(names::kCertificates) && !s.certificates.empty()) {
    w.open_set(names::kCertificates);
    for (const auto& c : s.certificates) {
      w.open_set("certificate-" + c.sha1_hash);
      w.single("sha1Hash", c.sha1_hash);
      w.single("notBefore", iso_instant(c.not_before));
      w.single("notAfter", iso_instant(c.not_after));
      w.single("certificateType", to_string(c.type));
      w.single("active", c.active ? "true" : "false");
      w.close_set();
    }
    w.close_set();
  }

  std::vector<std::pair<std::string, std::string>> gauges;
  auto gauge = [&](std::string_view name, const auto& value) {
    if (value) gauges.emplace_back(std::string(name), std::to_string(*value));
  };
  for (const auto& d : s.disks) {
    gauges.emplace_back(std::string(names::kDiskSpaceTotal) + "_" + d.path, std::to_string(d.total));
    gauges.emplace_back(std::string(names::kDiskSpaceFree) + "_" + d.path, std::to_string(d.free));
  }
  gauge(names::kMaxFileDescriptorCount, s.max_file_descriptor_count);
  if (s.operating_system) gauges.emplace_back(std::string(names::kOperatingSystem), *s.operating_system);
  gauge(names::kTotalPhysicalMemory, s.total_physical_memory);
  gauge(names::kTotalSwapSpace, s.total_swap_space);
  std::stable_sort(gauges.begin(), gauges.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < gauges.size(); ++i) {
    const auto& [name, value] = gauges[i];
    if (i > 0 && gauges[i - 1].first == name) continue;  // one metric a name, as in X-Road's registry
    if (limited && name != names::kOperatingSystem) continue;
    if (wanted(name)) w.single(name, value);
  }
  if (limited) return;

  const std::pair<std::string_view, const std::optional<Histogram>*> histograms[] = {
      {names::kCommittedVirtualMemory, &s.committed_virtual_memory},
      {names::kFreePhysicalMemory, &s.free_physical_memory},
      {names::kFreeSwapSpace, &s.free_swap_space},
      {names::kOpenFileDescriptorCount, &s.open_file_descriptor_count},
      {names::kSystemCpuLoad, &s.system_cpu_load},
  };
  for (const auto& [name, h] : histograms) {
    if (*h && wanted(name)) w.histogram(name, **h);
  }
  if (s.processes && !s.processes->empty() && wanted(names::kProcesses))
    write_processes(w, names::kProcesses, *s.processes);
  if (s.server_processes && !s.server_processes->empty() && wanted(names::kXroadProcesses))
    write_processes(w, names::kXroadProcesses, *s.server_processes);
  if (s.packages && !s.packages->empty() && wanted(names::kPackages)) {
    w.open_set(names::kPackages);
    for (const auto& p : *s.packages) w.single(p.name, p.version);
    w.close_set();
  }
}

}  // namespace

std::string response_xml(const Snapshot& snapshot, const XRoadId& server, std::string_view proxy_version,
                         const MetricsRequest& request, bool limited) {
  Writer system;
  write_system_metrics(system, snapshot, request, limited);
  Writer w;
  w.out() = "<m:getSecurityServerMetricsResponse xmlns:m=\"" + std::string(kMonitoringNs) + "\">";
  w.open_set(server.to_string());
  w.single("proxyVersion", proxy_version, /*string_only=*/true);  // X-Road's StringMetricType
  if (!system.out().empty()) {
    w.open_set("systemMetrics");
    w.out() += system.out();
    w.close_set();
  }
  w.close_set();
  w.out() += "</m:getSecurityServerMetricsResponse>";
  return std::move(w.out());
}

}  // namespace roadside::envmon
