// Hash chains (namespace http://cyber.ee/hashchain): how X-Road signs or time-stamps many
// digests with one signature. Each HashStep's value is
//   H( DER SEQUENCE OF SingleDigest ),  SingleDigest ::= SEQUENCE { OCTET STRING digest,
//                                                                 UTF8String digestMethodURI,
//                                                                 SEQUENCE {} }
// over its HashValue, StepRef (the referenced step's value) and DataRef (the digest of a
// data part) items in document order. The HashChainResult names the top step and holds its
// expected value. Reference: xroad-protocols.md §3.6.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "xml/errors.h"

namespace roadside::xml {

struct HashChainResult {
  std::string uri;            // "/sig-hashchain.xml#STEP0"
  std::string digest_method;  // URI
  std::string digest;         // raw bytes
  static Result<HashChainResult> parse(std::string_view xml);
};

// Returns the bytes of a data part by its URI ("/message.xml", "/attachment1"), or
// std::nullopt when there is no such part.
using PartResolver = std::function<std::optional<std::string>(std::string_view uri)>;

// The digest of a part by its URI and a digest method URI, for parts too large to hand over
// as bytes: std::nullopt when there is no such part.
using PartDigester = std::function<std::optional<Result<std::string>>(std::string_view uri, std::string_view method)>;

struct HashChainCheck {
  // When set, every DataRef's digest is checked against its part, and every URI in
  // `all_inputs` must be referenced by some DataRef.
  PartResolver resolve;
  // When set, used instead of `resolve`.
  PartDigester digest;
  std::vector<std::string> all_inputs;
  // A DataRef whose part `resolve` does not have is left unchecked rather than refused: a
  // message log may keep a message without its attachments.
  bool allow_missing_parts = false;
};

// Verifies `chain_xml` against `result_xml`: recomputes the top step and compares it with
// the result's digest, and checks the data references as `check` says.
Status verify_hash_chain(std::string_view result_xml, std::string_view chain_xml, const HashChainCheck& check = {});

// A hash tree over several inputs, as X-Road's batch signer and batch time-stamper build it:
// one result for all, and for each input the chain of steps from the top down to it (the
// other branches as HashValues). An input is one or more (URI, bytes) parts: one part is a
// DataRef in its parent step; several get a step of their own. Pairs are formed level by
// level, an odd node moving up as it is.
struct BuiltHashTree {
  std::string result;               // the HashChainResult, URI "<chain_uri>#STEP0"
  std::vector<std::string> chains;  // the HashChain of each input, in input order
};
using HashTreeInput = std::vector<std::pair<std::string, std::string>>;
Result<BuiltHashTree> build_hash_tree(const std::vector<HashTreeInput>& inputs, std::string_view digest_method,
                                      std::string_view chain_uri);
// The same from (URI, digest by `digest_method`) pairs: parts digested as they streamed by.
Result<BuiltHashTree> build_hash_tree_from_digests(const std::vector<HashTreeInput>& digests, std::string_view digest_method,
                                                   std::string_view chain_uri);

// HashTree::build(...).result() for inputs of one part each, without the tree: `digests`
// are the parts' digests by `digest_method`, `digest_size` bytes each, end to end; a method
// whose digests are of another size is refused (invalid_hash_chain). Beside `digests` it
// holds at most two levels above them at a time, not a node per input: for a time-stamp
// batch of 10,000 records 480 KB instead of the tree's 5 MB.
Result<std::string> hash_tree_result(std::string_view digests, std::size_t digest_size, std::string_view digest_method,
                                     std::string_view chain_uri);

// The same tree kept as digests, each chain written only when asked for: a time-stamp batch
// of 10,000 records takes about 5 MB instead of the 40 MB of every chain's XML.
class HashTree {
 public:
  // From (URI, digest by `digest_method`) pairs, as build_hash_tree_from_digests.
  static Result<HashTree> build(const std::vector<HashTreeInput>& digests, std::string_view digest_method,
                                std::string_view chain_uri);
  const std::string& result() const { return result_; }
  std::size_t size() const { return leaves_.size(); }
  // The HashChain of input `index` (< size()).
  std::string chain(std::size_t index) const;
  // The digest input `index` (< size()) gives its parent step: its part's digest, or the
  // value of its own step when it has several parts.
  const std::string& leaf_value(std::size_t index) const { return nodes_[leaves_.at(index)].value; }

 private:
  struct Node {
    std::string value;  // the digest the parent step takes: the part's digest, or this step's value
    std::string uri;    // DataRef URI, for a single-part leaf
    std::vector<std::pair<std::string, std::string>> data_refs;  // (URI, digest), for a multi-part leaf step
    std::vector<std::size_t> children;                          // node indexes, for an inner step
    std::size_t parent = SIZE_MAX;
    bool is_step() const { return uri.empty(); }
  };
  std::string method_;
  std::string result_;
  std::vector<Node> nodes_;
  std::vector<std::size_t> leaves_;
};

// The value of one step from its items' (digest, method URI) pairs; exposed for building chains.
Result<std::string> hash_step(const std::vector<std::pair<std::string, std::string>>& items, std::string_view method);

}  // namespace roadside::xml
