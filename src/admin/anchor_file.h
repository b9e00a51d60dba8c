// A configuration anchor file as X-Road's admin API handles it (schema Anchor): read from
// uploaded bytes (untrusted: size-bounded, parsed by globalconf::Anchor, a missing generatedAt
// refused) or from the configured file, its hash as X-Road shows it, and a replacement written
// so that a reader sees the old file or the new one, never part of either.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "globalconf/directory.h"

namespace roadside::admin {

// Larger uploads are refused before parsing (X-Road's anchors are a few KiB).
inline constexpr std::size_t kMaxAnchorBytes = 1024 * 1024;

struct AnchorFile {
  globalconf::Anchor anchor;
  std::string hash;        // SHA-224 of the bytes, upper-case hex pairs joined by ':' (X-Road's)
  std::string created_at;  // the anchor's generatedAt, RFC 3339 with milliseconds
};

// The anchor in `bytes`; globalconf::errc::malformed for anything X-Road would call a
// malformed anchor (too large, not XML, no instance, source or generatedAt, a bad certificate).
Result<AnchorFile> read_anchor(std::string_view bytes);

// X-Road's anchor hash of `bytes`: "AB:CD:...", 28 pairs.
std::string anchor_hash(std::string_view bytes);

}  // namespace roadside::admin
