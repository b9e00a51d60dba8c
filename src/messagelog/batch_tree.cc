#include "messagelog/batch_tree.h"

#include "crypto/digest.h"
#include "messagelog/zip.h"

namespace roadside::messagelog {

Result<xml::HashTree> batch_tree(std::string_view leaves) {
  if (leaves.empty() || leaves.size() % kLeafBytes != 0) {
    return Error(make_error_code(errc::unreadable), "a time-stamp's leaves are " + std::to_string(leaves.size()) +
                                                        " bytes, not a whole number of SHA-512 digests");
  }
  std::vector<xml::HashTreeInput> inputs;
  inputs.reserve(leaves.size() / kLeafBytes);
  for (std::size_t at = 0; at < leaves.size(); at += kLeafBytes) {
    inputs.push_back({{"/META-INF/signatures.xml", std::string(leaves.substr(at, kLeafBytes))}});
  }
  return xml::HashTree::build(inputs, crypto::kSha512Uri, "/ts-hashchain.xml");
}

}  // namespace roadside::messagelog
