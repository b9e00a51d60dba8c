// Fuzz target: the WSDL reader (servicedesc::parse_wsdl) and the checks the admin API makes of
// what it returns. WSDLs come from any URL an administrator enters, so from whoever answers
// there. Beyond not crashing:
//   - a refusal is invalid_wsdl or invalid_wsdl_service_identifier, explains itself, and has
//     the metadata X-Road gives (the parser's message, or the identifiers at fault);
//   - what is accepted passes the identifier check, names each code.version once, and
//     compares as X-Road compares descriptions: no changes against itself, a clash with itself
//     exactly when it has services.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "fuzz_checks.h"
#include "servicedesc/services.h"
#include "servicedesc/wsdl.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside::servicedesc;
  using roadside::fuzz::check;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = parse_wsdl(text, "http://fuzz/service.wsdl");
  if (!r.ok()) {
    const Failure& f = r.failure();
    roadside::fuzz::check_refusal(f.error());
    check(f.code() == errc::invalid_wsdl || f.code() == errc::invalid_service_identifier);
    check(!f.metadata().empty());
    return 0;
  }
  const auto& services = *r;
  check(!check_service_identifiers(services));
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto& s : services) {
    check(keys.emplace(s.code, s.version.value_or("")).second);
    check(!s.version || !s.version->empty());
    check(s.full_code().size() >= s.code.size());
  }
  if (auto bad = check_service_urls(services))
    check(!bad->metadata().empty() && bad->fault_code() == "invalid_service_url");
  check(diff_services(services, services).empty());
  check(change_warnings(diff_services(services, services)).empty());
  const bool clash = find_service_clash(services, {{"http://fuzz/other.wsdl", services}}).has_value();
  check(clash == !services.empty());
  return 0;
}
