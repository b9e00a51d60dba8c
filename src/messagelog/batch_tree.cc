#include "messagelog/batch_tree.h"

#include "crypto/digest.h"
#include "messagelog/zip.h"

namespace roadside::messagelog {

Result<xml::HashTree> batch_tree(const std::vector<std::string>& leaves) {
  std::vector<xml::HashTreeInput> inputs;
  inputs.reserve(leaves.size());
  for (const auto& leaf : leaves) {
    if (leaf.size() != kLeafBytes) {
      return Error(make_error_code(errc::unreadable),
                   "a time-stamp batch leaf of " + std::to_string(leaf.size()) + " bytes; SHA-512 has 64");
    }
    inputs.push_back({{"/META-INF/signatures.xml", leaf}});
  }
  return xml::HashTree::build(inputs, crypto::kSha512Uri, "/ts-hashchain.xml");
}

Result<xml::HashTree> batch_tree(std::string_view packed_leaves) {
  if (packed_leaves.empty() || packed_leaves.size() % kLeafBytes != 0) {
    return Error(make_error_code(errc::unreadable), "a time-stamp's stored leaves are " +
                                                        std::to_string(packed_leaves.size()) +
                                                        " bytes, not a whole number of SHA-512 digests");
  }
  std::vector<std::string> leaves;
  leaves.reserve(packed_leaves.size() / kLeafBytes);
  for (std::size_t at = 0; at < packed_leaves.size(); at += kLeafBytes) {
    leaves.emplace_back(packed_leaves.substr(at, kLeafBytes));
  }
  return batch_tree(leaves);
}

}  // namespace roadside::messagelog
