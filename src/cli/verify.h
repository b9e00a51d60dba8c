// The verification subcommands: verify-globalconf, verify-asic, verify-archive. Each exits 0
// when what it checks is valid; otherwise 1, with the X-Road error code on the last line of
// stderr (2 for unusable arguments).
#pragma once

#include <string>

namespace roadside::cli {

struct VerifyGlobalconfArgs {
  std::string anchor, directory, parts, at;
};
int verify_globalconf(const VerifyGlobalconfArgs& args);

int verify_asic(const std::string& trust, const std::string& container);

int verify_archive(const std::string& trust, const std::string& archive, const std::string& previous_digest);

}  // namespace roadside::cli
