// Fuzz target: every parser of X-Road identifiers (text, REST header, REST target, XML).
// Whatever the input, parsing must not crash, and whatever parses must format and parse
// back to the same identifier.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/identifiers.h"
#include "xml/identifier_xml.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void round_trip(const roadside::XRoadId& id) {
  auto text = roadside::XRoadId::parse(id.to_string());
  check(text.ok() && *text == id);
  auto xml = roadside::xml::identifier_from_xml(roadside::xml::identifier_to_xml(id));
  check(xml.ok() && *xml == id);
  if (auto rest = roadside::to_rest_path(id); rest.ok()) {
    auto back = roadside::parse_rest_path(id.type(), *rest);
    check(back.ok() && *back == id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto id = roadside::XRoadId::parse(input); id.ok()) round_trip(*id);
  if (auto id = roadside::parse_rest_client(input); id.ok()) round_trip(*id);
  if (auto t = roadside::parse_rest_target(input); t.ok()) round_trip(t->service);
  if (auto id = roadside::xml::identifier_from_xml(input); id.ok()) round_trip(*id);
  return 0;
}
