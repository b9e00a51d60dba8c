// Fuzz target: getSecurityServerMetrics requests, which the server's owner and the instance's
// monitoring client send (and which any client can send to be refused). Whatever the bytes,
// parsing must not crash or hang, and a refusal explains itself; a request that parses names
// a bounded number of non-empty fields, and its answer is XML whose limited form (a client
// that is not the owner, limit-remote-data-set on) never holds more than X-Road allows.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "envmon/request.h"
#include "envmon/response.h"
#include "fuzz_checks.h"
#include "xml/dom.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside;
  using namespace roadside::envmon;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto request = parse_metrics_request(input, 1 << 20);
  if (!request.ok()) {
    fuzz::check_refusal(request.error());
    return 0;
  }
  fuzz::check(request->output_fields.size() <= kMaxOutputFields);
  for (const auto& field : request->output_fields) fuzz::check(!field.empty() && field.size() <= size);

  static const Snapshot snapshot = [] {
    Snapshot s;
    s.operating_system = "Linux";
    s.total_physical_memory = 1024;
    s.packages = {{"adduser", "3.134"}, {"zlib1g", "1:1.2.13"}};
    s.processes = {{"1", "init", "0.0", "0.1", "Jan01", "root"}};
    s.certificates = {{CertificateType::auth_or_sign, "AB:CD", {}, {}, true}};
    return s;
  }();
  static const XRoadId server = *XRoadId::server("DEV", "COM", "1234", "ss1");
  for (const bool limited : {false, true}) {
    const std::string xml = response_xml(snapshot, server, "1.0", *request, limited);
    fuzz::check(xml::Document::parse(xml).ok());
    if (limited) {
      for (const char* hidden : {"TotalPhysicalMemory", "Packages", "Processes"})
        fuzz::check(xml.find(std::string("<m:name>") + hidden + "</m:name>") == std::string::npos);
    }
  }
  return 0;
}
