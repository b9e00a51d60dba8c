// Fuzz target: describe_s3_error (messagelog/s3_transfer.h), which turns whatever an S3
// server (or a proxy before it) answered to a refused archive upload into the text of our
// error. Beyond not crashing, the target checks what callers rely on: the text starts with
// the status, stays short whatever the body's size, and holds printable ASCII only (it goes
// into logs and the operator's terminal).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_checks.h"
#include "messagelog/s3_transfer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using roadside::fuzz::check;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const std::string text = roadside::messagelog::describe_s3_error(403, body);
  check(text.starts_with("403"));
  check(text.size() <= 600);
  for (char c : text) check(c >= ' ' && c < 0x7f);
  return 0;
}
