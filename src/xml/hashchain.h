// Hash chains (namespace http://cyber.ee/hashchain): how X-Road signs or time-stamps many
// digests with one signature. Each HashStep's value is
//   H( DER SEQUENCE OF SingleDigest ),  SingleDigest ::= SEQUENCE { OCTET STRING digest,
//                                                                 UTF8String digestMethodURI,
//                                                                 SEQUENCE {} }
// over its HashValue, StepRef (the referenced step's value) and DataRef (the digest of a
// data part) items in document order. The HashChainResult names the top step and holds its
// expected value. Reference: xroad-protocols.md §3.6.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/errc.h"
#include "base/result.h"

namespace roadside::xml {

enum class errc {
  invalid_hash_chain = 1,  // malformed, or the computed top differs from the result
  invalid_hash_chain_ref,  // a reference that does not resolve, or a data digest that does not match
  hash_chain_unused_inputs,  // a data part that no DataRef covers
};
const FaultCategory& xml_category() noexcept;
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), xml_category()}; }

struct HashChainResult {
  std::string uri;            // "/sig-hashchain.xml#STEP0"
  std::string digest_method;  // URI
  std::string digest;         // raw bytes
  static Result<HashChainResult> parse(std::string_view xml);
};

// Returns the bytes of a data part by its URI ("/message.xml", "/attachment1"), or
// std::nullopt when there is no such part.
using PartResolver = std::function<std::optional<std::string>(std::string_view uri)>;

struct HashChainCheck {
  // When set, every DataRef's digest is checked against its part, and every URI in
  // `all_inputs` must be referenced by some DataRef.
  PartResolver resolve;
  std::vector<std::string> all_inputs;
};

// Verifies `chain_xml` against `result_xml`: recomputes the top step and compares it with
// the result's digest, and checks the data references as `check` says.
Status verify_hash_chain(std::string_view result_xml, std::string_view chain_xml, const HashChainCheck& check = {});

// The value of one step from its items' (digest, method URI) pairs; exposed for building chains.
Result<std::string> hash_step(const std::vector<std::pair<std::string, std::string>>& items, std::string_view method);

}  // namespace roadside::xml

ROADSIDE_ERRC_ENUM(roadside::xml::errc)
