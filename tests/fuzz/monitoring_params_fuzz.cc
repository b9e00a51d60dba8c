// Fuzz target: the global configuration's MONITORING part (monitoring-params.xml), which a
// Security Server downloads from the Central Server and which names the one client, besides
// the owner, that may ask for the server's metrics. Whatever the bytes, parsing must not crash
// or hang, and a refusal explains itself; what parses names a member or a subsystem (or no
// one), and reads back the same from what Roadside writes of it. The corpus's xroad-* seeds
// are X-Road's own test files (MIT; globalconf-core's src/test/resources and the proxymonitor
// metaservice's EE/monitoring-params.xml).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_checks.h"
#include "globalconf/directory.h"
#include "globalconf/parameters.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto params = globalconf::MonitoringParameters::parse(input);
  if (!params.ok()) {
    fuzz::check_refusal(params.error());
    fuzz::check(params.error().code() == make_error_code(globalconf::errc::malformed));
    return 0;
  }
  if (params->monitoring_client) fuzz::check(params->monitoring_client->is_client());
  const std::string xml = params->to_xml();
  auto again = globalconf::MonitoringParameters::parse(xml);
  fuzz::check(again.ok());
  fuzz::check(again->monitoring_client == params->monitoring_client);
  return 0;
}
