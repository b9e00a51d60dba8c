// Fuzz target: devices.ini as an operator (or whoever can write the file) gives it. Whatever
// the text, parsing must not crash or hang; a refusal explains itself; every device kept has
// a library and a name, and every section left out is a warning that says why.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_checks.h"
#include "signer/devices.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = roadside::signer::parse_devices_ini(input);
  if (!parsed.ok()) {
    roadside::fuzz::check(!parsed.error().detail().empty());
    return 0;
  }
  for (const auto& device : parsed->devices) {
    roadside::fuzz::check(!device.type.empty());
    roadside::fuzz::check(!device.library.empty());
    roadside::fuzz::check(!device.token_id_format.empty());
  }
  for (const auto& warning : parsed->warnings) roadside::fuzz::check(!warning.empty());
  return 0;
}
