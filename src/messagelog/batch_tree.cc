#include "messagelog/batch_tree.h"

#include "crypto/digest.h"
#include "messagelog/zip.h"

namespace roadside::messagelog {
namespace {

constexpr std::string_view kChainUri = "/ts-hashchain.xml";

Status check_leaves(std::string_view leaves) {
  if (leaves.empty() || leaves.size() % kLeafBytes != 0) {
    return Error(make_error_code(errc::unreadable), "a time-stamp's leaves are " + std::to_string(leaves.size()) +
                                                        " bytes, not a whole number of SHA-512 digests");
  }
  return {};
}

}  // namespace

Result<xml::HashTree> batch_tree(std::string_view leaves) {
  ROADSIDE_TRY_STATUS(check_leaves(leaves));
  std::vector<xml::HashTreeInput> inputs;
  inputs.reserve(leaves.size() / kLeafBytes);
  for (std::size_t at = 0; at < leaves.size(); at += kLeafBytes) {
    inputs.push_back({{"/META-INF/signatures.xml", std::string(leaves.substr(at, kLeafBytes))}});
  }
  return xml::HashTree::build(inputs, crypto::kSha512Uri, kChainUri);
}

Result<std::string> batch_result(std::string_view leaves) {
  ROADSIDE_TRY_STATUS(check_leaves(leaves));
  return xml::hash_tree_result(leaves, kLeafBytes, crypto::kSha512Uri, kChainUri);
}

}  // namespace roadside::messagelog
