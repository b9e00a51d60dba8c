// Distributed tracing: the W3C Trace Context `traceparent` header carried from the information
// system through both Security Servers to the service, and spans of each server exported with
// OTLP over HTTP (JSON encoding) when an endpoint is configured.
//
//   information system --traceparent: 00-T-A-01--> client proxy   span C (parent A)
//   client proxy       --traceparent: 00-T-C-01--> server proxy   span S (parent C)
//   server proxy       --traceparent: 00-T-S-01--> service
//
// Every traceparent is untrusted input: parse_traceparent() takes only what W3C Trace Context
// (Level 1, §3.2) allows and nothing else; a missing or invalid one starts a new trace.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/random.h"

namespace roadside::tracing {

using TraceId = std::array<std::uint8_t, 16>;
using SpanId = std::array<std::uint8_t, 8>;
using Attributes = std::vector<std::pair<std::string, std::string>>;

// Lower-case hex of `bytes`.
std::string hex(std::span<const std::uint8_t> bytes);

struct TraceContext {
  TraceId trace_id{};
  SpanId span_id{};
  std::uint8_t flags = 0;  // trace-flags; bit 0: sampled

  bool sampled() const noexcept { return (flags & 1) != 0; }
  // "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>".
  std::string traceparent() const;
  friend bool operator==(const TraceContext&, const TraceContext&) = default;
};

// The header's value as W3C Trace Context §3.2 defines it: version 00 exactly
// "00-<trace-id>-<parent-id>-<flags>" in lower-case hex; a later version (not ff) may carry
// more after a "-", which is ignored; an all-zero trace id or parent id, upper-case hex, ff, or
// anything else is invalid (std::nullopt). At most kMaxTraceparent characters are looked at.
inline constexpr std::size_t kMaxTraceparent = 512;
std::optional<TraceContext> parse_traceparent(std::string_view value);

// This server's span: in `parent`'s trace with a new span id and the parent's sampled flag
// (other flags are not passed on), or the root of a new, sampled trace when there is no parent.
TraceContext start_span(const std::optional<TraceContext>& parent, Random& random = Random::system());

struct Span {
  enum class Kind { server = 2, client = 3 };  // OTLP's SpanKind values

  TraceContext context;          // the span's own trace and span ids
  std::optional<SpanId> parent;  // the span it is a child of; none: a root
  std::string name;
  Kind kind = Kind::server;
  std::int64_t start_unix_ns = 0, end_unix_ns = 0;
  Attributes attributes;  // string values
  bool error = false;     // status ERROR (else UNSET)
  std::string status_message;
};

// An OTLP ExportTraceServiceRequest in OTLP/HTTP's JSON encoding (ids as hex strings, times as
// decimal strings of Unix nanoseconds), the spans under one resource with `resource`'s
// attributes (service.name, ...) and one scope, "roadside".
std::string otlp_json(const std::vector<Span>& spans, const Attributes& resource);

}  // namespace roadside::tracing
