// Fuzz target: hash chain and hash chain result parsers. The input is split at the first
// NUL byte into a result document and a chain document; verification must fail or pass
// cleanly, never crash or loop.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "xml/hashchain.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view result = input.substr(0, nul);
  const std::string_view chain = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  (void)roadside::xml::verify_hash_chain(result, chain);
  (void)roadside::xml::HashChainResult::parse(input);
  return 0;
}
