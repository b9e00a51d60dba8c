// The hash tree of a batch time-stamp (xroad-protocols.md §7): its leaves are the records'
// signature documents (/META-INF/signatures.xml), each by its SHA-512 digest, the digest
// X-Road's log keeps as the record's signaturehash. The time-stamp goes over the tree's
// ts-hashchainresult.xml; each record's ts-hashchain.xml is its path from the top. The log
// stores the leaves with the time-stamp and writes a record's chain when it is read.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "xml/hashchain.h"

namespace roadside::messagelog {

inline constexpr std::size_t kLeafBytes = 64;  // a SHA-512 digest

// The tree over `leaves`: kLeafBytes raw digests end to end, in order, as
// messagelog_timestamps.leaves keeps them.
Result<xml::HashTree> batch_tree(std::string_view leaves);
// The tree's ts-hashchainresult.xml alone, without building the tree (what a time-stamping
// round needs: beside 10,000 leaves, at most 480 KB of levels instead of the tree's 5 MB).
Result<std::string> batch_result(std::string_view leaves);

}  // namespace roadside::messagelog
