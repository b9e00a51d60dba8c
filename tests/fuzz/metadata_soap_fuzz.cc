// Fuzz target: the metadata-only SOAP message the message log keeps when a body is not logged
// (messagelog/loggable.h). Beyond not crashing, it checks what confidentiality relies on:
//   - a refusal is a coded error (logging_failed), never internal_error;
//   - what it returns is well-formed XML, a SOAP envelope whose Body holds exactly one element,
//     empty, and whose Header holds only X-Road's fields (and representedParty);
//   - stripping it again gives the same bytes (nothing of the original is left to strip).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_checks.h"
#include "messagelog/loggable.h"
#include "xml/dom.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside;
  using roadside::fuzz::check;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bool response = size > 0 && (data[0] & 1) != 0;
  auto m = messagelog::metadata_only_soap(text, response);
  if (!m.ok()) {
    fuzz::check_refusal(m);
    return 0;
  }
  auto doc = xml::Document::parse(*m);
  check(doc.ok());
  const xml::Element envelope = doc->root();
  check(envelope.name() == "Envelope");
  const auto parts = envelope.children();
  check(parts.size() == 2 && parts[0].name() == "Header" && parts[1].name() == "Body");
  static const std::set<std::string_view> kept = {"client", "service", "userId",      "representedParty",
                                                  "issue",  "id",      "requestHash", "protocolVersion"};
  for (const auto& field : parts[0].children()) check(kept.count(field.name()) == 1);
  const auto body = parts[1].children();
  check(body.size() == 1 && body[0].children().empty() && body[0].text().empty());
  auto again = messagelog::metadata_only_soap(*m, response);
  check(again.ok() && *again == *m);
  return 0;
}
