#include "tracing/trace.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "crypto/encoding.h"

namespace roadside::tracing {

namespace {

using nlohmann::json;

// A lower-case hex digit's value, or -1 (W3C's HEXDIGLC: upper case is invalid).
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Decodes text.size() / 2 bytes of lower-case hex into `out`; false on any other character.
bool unhex(std::string_view text, std::span<std::uint8_t> out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool all_zero(std::span<const std::uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

json attributes_json(const Attributes& attributes) {
  json out = json::array();
  for (const auto& [key, value] : attributes) out.push_back({{"key", key}, {"value", {{"stringValue", value}}}});
  return out;
}

json span_json(const Span& span) {
  json out = {{"traceId", hex(span.context.trace_id)},
              {"spanId", hex(span.context.span_id)},
              {"name", span.name},
              {"kind", static_cast<int>(span.kind)},
              {"startTimeUnixNano", std::to_string(span.start_unix_ns)},
              {"endTimeUnixNano", std::to_string(span.end_unix_ns)},
              {"attributes", attributes_json(span.attributes)}};
  if (span.parent) out["parentSpanId"] = hex(*span.parent);
  if (span.error) out["status"] = {{"code", 2}, {"message", span.status_message}};  // STATUS_CODE_ERROR
  return out;
}

}  // namespace

std::string hex(std::span<const std::uint8_t> bytes) {
  return crypto::to_hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string TraceContext::traceparent() const {
  const std::uint8_t f[1] = {flags};
  return "00-" + hex(trace_id) + "-" + hex(span_id) + "-" + hex(f);
}

// The layout, by offset: version 0-1, '-' 2, trace-id 3-34, '-' 35, parent-id 36-51, '-' 52,
// trace-flags 53-54; 55 characters in all. Version 00 is exactly that. A later version is
// parsed as far as version 00 goes (§3.2.4): at least 55 characters, and what follows the
// flags, if anything, starts with '-'; of its flags only the sampled bit is taken, the only
// one whose meaning is known.
std::optional<TraceContext> parse_traceparent(std::string_view value) {
  constexpr std::size_t kSize = 55;
  if (value.size() < kSize || value.size() > kMaxTraceparent) return std::nullopt;
  std::uint8_t version = 0;
  if (!unhex(value.substr(0, 2), std::span(&version, 1)) || version == 0xff) return std::nullopt;
  if (version == 0 && value.size() != kSize) return std::nullopt;
  if (version != 0 && value.size() > kSize && value[kSize] != '-') return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  TraceContext c;
  if (!unhex(value.substr(3, 32), c.trace_id) || !unhex(value.substr(36, 16), c.span_id) ||
      !unhex(value.substr(53, 2), std::span(&c.flags, 1)))
    return std::nullopt;
  if (all_zero(c.trace_id) || all_zero(c.span_id)) return std::nullopt;
  if (version != 0) c.flags &= 1;
  return c;
}

TraceContext start_span(const std::optional<TraceContext>& parent, Random& random) {
  TraceContext c;
  if (parent) {
    c.trace_id = parent->trace_id;
    c.flags = parent->flags & 1;  // W3C §3.2.2.5: flags this version does not define are sent as zero
  } else {
    do random.fill(c.trace_id);
    while (all_zero(c.trace_id));
    c.flags = 1;
  }
  do random.fill(c.span_id);
  while (all_zero(c.span_id));
  return c;
}

std::string otlp_json(const std::vector<Span>& spans, const Attributes& resource) {
  json scope_spans = json::object();
  scope_spans["scope"] = {{"name", "roadside"}};
  scope_spans["spans"] = json::array();
  for (const Span& s : spans) scope_spans["spans"].push_back(span_json(s));
  json resource_spans = json::object();
  resource_spans["resource"]["attributes"] = attributes_json(resource);
  resource_spans["scopeSpans"] = json::array({std::move(scope_spans)});
  json request = json::object();
  request["resourceSpans"] = json::array({std::move(resource_spans)});
  // Attribute values may carry bytes from a request: invalid UTF-8 is replaced, not thrown.
  return request.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace roadside::tracing
