// Sends spans to an OTLP/HTTP receiver (POST <endpoint>/v1/traces, application/json) from a
// thread of its own, in batches: never on the proxies' threads and never slowing a message.
// The queue is bounded: a span that finds it full (the receiver is slow or down) is dropped and
// counted. A batch the receiver refuses or does not take within the timeout is dropped and
// counted too (spans are not worth holding memory for).
//
// Metrics: roadside_tracing_spans_exported_total, roadside_tracing_spans_dropped_total,
// roadside_tracing_export_failures_total.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "metrics/metrics.h"
#include "tracing/trace.h"

namespace roadside::tracing {

struct ExporterOptions {
  std::string endpoint;  // the receiver's base URL, e.g. http://collector:4318
  Attributes resource;   // service.name, service.instance.id, ...
  std::size_t max_queue = 2048;
  std::size_t max_batch = 512;
  std::chrono::milliseconds interval{1000};  // a partial batch waits at most this long
  std::chrono::milliseconds timeout{5000};   // one POST
};

class SpanExporter {
 public:
  SpanExporter(ExporterOptions options, metrics::Registry& metrics);
  ~SpanExporter();  // stop()
  SpanExporter(const SpanExporter&) = delete;
  SpanExporter& operator=(const SpanExporter&) = delete;

  // Queues `span`. Thread-safe, never blocks.
  void add(Span span);
  // Sends what is queued (one last batch at a time, each within the timeout) and stops the
  // thread; spans added later are dropped and counted. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace roadside::tracing
