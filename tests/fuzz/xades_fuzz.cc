// Fuzz target: the XAdES signature parser and, for documents it accepts, XML-DSig core
// validation with one message part. Either must fail or pass cleanly,
// never crash, loop or reach for a file or the network.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "xml/xades.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto sig = roadside::xml::XadesSignature::parse(input);
  if (sig.ok()) {
    (void)sig->verify_core([](std::string_view uri) -> std::optional<std::string> {
      if (uri == "/message.xml") return std::string("m");
      return std::nullopt;
    });
  }
  return 0;
}
