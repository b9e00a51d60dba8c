// Helpers the fuzz targets share: how a violated invariant ends a run.
#pragma once

#include "base/result.h"

namespace roadside::fuzz {

// A violated invariant is a finding: libFuzzer saves the input that led to it.
inline void check(bool ok) {
  if (!ok) __builtin_trap();
}

// A refusal of untrusted input must explain itself: an error code, the X-Road fault code a
// front end will send for it (not internal_error: bad input is not the server's fault), and
// a message saying what was wrong.
inline void check_refusal(const Error& e) {
  check(e.code().value() != 0);
  check(!e.detail().empty());
  check(!e.fault_code().empty() && e.fault_code() != "internal_error");
}

// The same for a result, when it holds an error.
template <typename T>
void check_refusal(const Result<T>& r) {
  if (!r.ok()) check_refusal(r.error());
}

}  // namespace roadside::fuzz
