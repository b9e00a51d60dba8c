// Fuzz target: the server configuration as an operator writes it (the YAML file of `roadside
// apply` and `serve --server-conf`, serverconf/model.h parse_yaml) and as the database keeps
// it (its canonical JSON, from_json: a revision from another node or an older version, or a
// backup being restored). Beyond not crashing:
//   - a refusal says why (fuzz_checks.h);
//   - a configuration read writes out to JSON that reads back and writes out the same, with
//     the same identifiers (assign_ids changes nothing a second time);
//   - the YAML file and its JSON form give the same configuration.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_checks.h"
#include "serverconf/model.h"

namespace {

using roadside::fuzz::check;
using roadside::serverconf::ServerConf;

void check_read(const roadside::Result<ServerConf>& conf) {
  if (!conf.ok()) {
    roadside::fuzz::check_refusal(conf.error());
    return;
  }
  const std::string json = conf->to_json();
  auto again = ServerConf::from_json(json);
  check(again.ok());
  check(again->to_json() == json && again->last_id == conf->last_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_read(ServerConf::parse_yaml(input));
  check_read(ServerConf::from_json(input));
  return 0;
}
