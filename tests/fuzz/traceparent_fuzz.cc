// Fuzz target: the traceparent header, which any information system or peer Security Server
// may send. Whatever the bytes, parsing must not crash or read past the value; a value that
// parses has valid (non-zero) ids, and its traceparent() is version 00 and parses back to the
// same context, as the next server will read it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_checks.h"
#include "tracing/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside::tracing;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto context = parse_traceparent(input);
  if (!context) return 0;
  roadside::fuzz::check(size <= kMaxTraceparent);
  roadside::fuzz::check(context->trace_id != TraceId{} && context->span_id != SpanId{});
  const std::string text = context->traceparent();
  roadside::fuzz::check(text.size() == 55 && text.compare(0, 3, "00-") == 0);
  roadside::fuzz::check(parse_traceparent(text) == context);
  // Version 00 is taken only as it is written.
  if (input.substr(0, 2) == "00") roadside::fuzz::check(text == input);
  return 0;
}
