// Fuzz target: the bodies of getSecurityServerOperationalData and getSecurityServerHealthData
// requests, which any client of the instance may send. Whatever the bytes, parsing must not
// crash or hang, and a refusal explains itself; a request that parses gives an output spec that
// either refuses with invalid_request or never shows a plain client the internal address.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_checks.h"
#include "opmon/health.h"
#include "opmon/query.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside::opmon;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t kMax = 1 << 20;
  auto health = parse_health_data_request(input, kMax);
  roadside::fuzz::check_refusal(health);
  auto request = parse_operational_data_request(input, kMax);
  if (!request.ok()) {
    roadside::fuzz::check_refusal(request.error());
    return 0;
  }
  roadside::fuzz::check(request->output_fields.size() <= size);
  for (const bool privileged : {true, false}) {
    auto spec = OutputSpec::of(request->output_fields, privileged);
    if (!spec.ok()) {
      roadside::fuzz::check_refusal(spec.error());
      continue;
    }
    roadside::fuzz::check(privileged || !spec->includes("securityServerInternalIp"));
  }
  return 0;
}
