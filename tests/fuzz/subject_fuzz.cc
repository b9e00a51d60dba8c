// Fuzz target: distinguished names in their string forms (trust/distinguished_name.h) and
// X-Road's certificate profiles reading members out of them. Whatever the input, nothing
// crashes; what parses writes back to text that parses to the same attributes; every
// profile's decoder and RDN lookup accept any subject.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "trust/certificate_profile.h"
#include "trust/distinguished_name.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside::trust;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const ProfileParameters params{.client = *roadside::XRoadId::member("FUZZ", "COM", "1")};
  for (const auto order : {DnStringOrder::der, DnStringOrder::reversed}) {
    auto dn = parse_dn(input, order);
    if (!dn.ok()) continue;
    auto again = parse_dn(dn_to_string(*dn, order), order);
    check(again.ok() && *again == *dn);
    for (const auto& a : *dn) (void)rdn_value(*dn, a.oid);
    for (const auto& profile : CertificateProfile::all()) (void)profile.subject_member(*dn, params);
  }
  return 0;
}
