#include "tracing/exporter.h"

#include <algorithm>
#include <deque>
#include <iterator>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"
#include "base/thread_annotations.h"
#include "net/http_client.h"

namespace roadside::tracing {

namespace asio = boost::asio;

namespace {

constexpr auto kWarnEvery = std::chrono::minutes(1);

net::ClientOptions client_options(const ExporterOptions& o) {
  net::ClientOptions c;
  c.connect_timeout = o.timeout;
  c.request_timeout = o.timeout;
  c.max_response_header_bytes = 16 * 1024;
  c.max_response_body_bytes = 64 * 1024;  // a receiver's answer is a small JSON object
  c.max_idle_per_host = 1;
  return c;
}

std::string traces_url(std::string endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint + "/v1/traces";
}

}  // namespace

struct SpanExporter::Impl {
  Impl(ExporterOptions o, metrics::Registry& metrics)
      : options(std::move(o)),
        url(traces_url(options.endpoint)),
        batch_size(std::max<std::size_t>(options.max_batch, 1)),
        exported(metrics.counter("roadside_tracing_spans_exported_total", "Spans the OTLP receiver took")),
        dropped(metrics.counter("roadside_tracing_spans_dropped_total",
                                "Spans dropped: the queue was full, the exporter stopped, or their batch failed")),
        failures(metrics.counter("roadside_tracing_export_failures_total",
                                 "Batches of spans the OTLP receiver refused or did not take in time")),
        client(io.get_executor(), client_options(options)) {}

  // The export loop, on the thread: a batch when one is full or `interval` has passed, and
  // what is queued once stop() has asked, then the io_context ends.
  asio::awaitable<void> run() {
    for (;;) {
      State s = state();
      if (!s.stopping && s.queued < batch_size) {
        timer.expires_after(options.interval);
        boost::system::error_code ec;  // cancelled: a full batch or stop()
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        s = state();
      }
      // Full batches go at once; a partial one when its interval has passed, or at stop.
      for (;;) {
        std::vector<Span> batch = take();
        if (batch.empty()) break;
        const bool sent = co_await send(std::move(batch));
        s = state();
        if (s.stopping && !sent) {
          // The receiver is down: the rest would only make stop() wait a timeout per batch.
          dropped.inc(take_all());
          break;
        }
        if (!s.stopping && s.queued < batch_size) break;
      }
      if (s.stopping) break;
    }
    io.stop();  // ends io.run() even while the client keeps pooled connections
  }

  struct State {
    std::size_t queued = 0;
    bool stopping = false;
  };
  State state() EXCLUDES(mu) {
    MutexLock lock(mu);
    return {queue.size(), stopping};
  }

  std::vector<Span> take() EXCLUDES(mu) {
    MutexLock lock(mu);
    const auto n = static_cast<std::ptrdiff_t>(std::min(queue.size(), batch_size));
    std::vector<Span> batch(std::make_move_iterator(queue.begin()), std::make_move_iterator(queue.begin() + n));
    queue.erase(queue.begin(), queue.begin() + n);
    return batch;
  }

  std::size_t take_all() EXCLUDES(mu) {
    MutexLock lock(mu);
    const std::size_t n = queue.size();
    queue.clear();
    return n;
  }

  // One POST; true when the receiver took the batch.
  asio::awaitable<bool> send(std::vector<Span> batch) {
    auto answer = co_await client.post(url, "application/json", otlp_json(batch, options.resource));
    std::string problem;
    if (!answer.ok()) {
      problem = answer.error().to_string();
    } else if (const unsigned status = answer->message.result_int(); status < 200 || status > 299) {
      problem = "HTTP " + std::to_string(status);
    }
    if (problem.empty()) {
      exported.inc(batch.size());
      co_return true;
    }
    failures.inc();
    dropped.inc(batch.size());
    const auto now = std::chrono::steady_clock::now();
    if (!warned || now - *warned >= kWarnEvery) {
      log::warn("spans not exported; dropped", {{"url", url}, {"spans", batch.size()}, {"error", problem}});
      warned = now;
    }
    co_return false;
  }

  const ExporterOptions options;
  const std::string url;
  const std::size_t batch_size;
  metrics::Counter& exported;
  metrics::Counter& dropped;
  metrics::Counter& failures;

  Mutex mu;
  std::deque<Span> queue GUARDED_BY(mu);
  bool stopping GUARDED_BY(mu) = false;

  // The thread's own (the loop's state is touched only there).
  asio::io_context io;
  asio::steady_timer timer{io};
  net::HttpClient client;
  std::optional<std::chrono::steady_clock::time_point> warned;  // the last warning

  Mutex stop_mu;  // one stop() joins; another waits for it
  std::thread thread;
};

SpanExporter::SpanExporter(ExporterOptions options, metrics::Registry& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), metrics)) {
  Impl& impl = *impl_;
  asio::co_spawn(impl.io, impl.run(), asio::detached);
  impl.thread = std::thread([&impl] { impl.io.run(); });
}

SpanExporter::~SpanExporter() {
  stop();
}

void SpanExporter::add(Span span) {
  Impl& impl = *impl_;
  bool full = false;
  {
    MutexLock lock(impl.mu);
    if (impl.stopping || impl.queue.size() >= impl.options.max_queue) {
      impl.dropped.inc();
      return;
    }
    impl.queue.push_back(std::move(span));
    full = impl.queue.size() == impl.batch_size;
  }
  if (full) asio::post(impl.io, [&impl] { impl.timer.cancel(); });
}

void SpanExporter::stop() {
  Impl& impl = *impl_;
  MutexLock once(impl.stop_mu);
  if (!impl.thread.joinable()) return;
  {
    MutexLock lock(impl.mu);
    impl.stopping = true;
  }
  asio::post(impl.io, [&impl] { impl.timer.cancel(); });
  impl.thread.join();
}

}  // namespace roadside::tracing
