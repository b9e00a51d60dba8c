// Writing a signed configuration directory as a Central Server publishes it
// (xroad-protocols.md §4.3): what the test instance's configuration publisher serves, and
// what tests use to stand in for a Central Server. It uses only base and crypto, so any
// module's tests may use it (CONTRIBUTING.md).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/result.h"
#include "crypto/crypto.h"

namespace roadside::testbed {

struct PublishedPart {
  std::string content_identifier;  // SHARED-PARAMETERS, PRIVATE-PARAMETERS, ...
  std::string instance;            // the instance parameter ("" for none)
  std::string content_location;    // "/V6/<generation>/shared-params.xml"
  std::string bytes;               // the part itself; the directory carries its SHA-512
};

struct DirectorySpec {
  std::vector<PublishedPart> parts;
  std::chrono::system_clock::time_point expires;
  int version = 6;
  std::string signature_algorithm = std::string(crypto::kRsaSha512Uri);
};

// The directory file, signed with `key`; `cert` (the verification certificate) is named by
// its SHA-512 hash.
Result<std::string> build_signed_directory(const DirectorySpec& spec, const crypto::PrivateKey& key,
                                           const crypto::Certificate& cert);

}  // namespace roadside::testbed
