// Helpers the fuzz targets share: how a violated invariant ends a run.
#pragma once

namespace roadside::fuzz {

// A violated invariant is a finding: libFuzzer saves the input that led to it.
inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace roadside::fuzz
