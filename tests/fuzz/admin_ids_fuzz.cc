// Fuzz target: identifiers as the admin API reads them from paths, queries and bodies
// (admin/ids.h: "DEV:COM:1234[:SUB]" for a client, "DEV:COM:1234:ss1" for a security
// server). Whatever the bytes, nothing crashes, and:
//   - a client read is a MEMBER (three parts) or a SUBSYSTEM (four), a server a SERVER;
//   - what reads writes back (api_id) to the same text, and that reads to the same identifier;
//   - the same identifier has the same meaning in X-Road's text form (XRoadId::parse).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "admin/ids.h"
#include "fuzz_checks.h"

namespace {

using namespace roadside;
using roadside::fuzz::check;

std::size_t parts(std::string_view text) {
  std::size_t n = 1;
  for (const char c : text) n += c == ':' ? 1 : 0;
  return n;
}

void check_round_trip(const XRoadId& id, std::string_view text) {
  const std::string written = admin::api_id(id);
  check(written == text);
  auto text_form = XRoadId::parse(id.to_string());
  check(text_form.ok() && *text_form == id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto client = admin::parse_client_id(input)) {
    check(client->type() == (parts(input) == 3 ? ObjectType::member : ObjectType::subsystem));
    check(parts(input) == 3 || parts(input) == 4);
    check_round_trip(*client, input);
    check(admin::parse_client_id(admin::api_id(*client)) == client);
  }
  if (auto server = admin::parse_server_id(input)) {
    check(server->type() == ObjectType::server && parts(input) == 4);
    check_round_trip(*server, input);
    check(admin::parse_server_id(admin::api_id(*server)) == server);
  }
  return 0;
}
