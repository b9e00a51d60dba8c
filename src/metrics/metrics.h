// Metrics in the Prometheus text exposition format (served on /metrics).
//
// Components get their counters and gauges once, at start, and keep references; updating
// one is a relaxed atomic operation. A name with labels is one time series:
//
//   auto& rejected = registry.counter("roadside_http_requests_rejected_total",
//                                     "Requests refused before reaching a handler",
//                                     {{"listener", "health"}, {"reason", "header_too_large"}});
//   rejected.inc();
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/thread_annotations.h"

namespace roadside::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class Gauge {
 public:
  void set(std::int64_t v) noexcept { v_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t d) noexcept { v_.fetch_add(d, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

// Observations counted in buckets by upper bound (Prometheus' histogram: cumulative
// _bucket{le=...} series, _sum and _count). Observing is lock-free.
class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending; +Inf is added.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v) noexcept;
  const std::vector<double>& bounds() const noexcept { return bounds_; }
  // Observations <= bounds()[i] (i == bounds().size(): all of them).
  std::uint64_t cumulative(std::size_t i) const noexcept;
  std::uint64_t count() const noexcept { return cumulative(bounds_.size()); }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bucket, not cumulative; the last is +Inf
  std::atomic<double> sum_{0};
};

class Registry {
 public:
  // Returns the one series for (name, labels), creating it on first use. The reference
  // stays valid for the registry's lifetime. A name must keep one type and help text.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  // `bounds` applies when the series is made (every series of a name should share them).
  Histogram& histogram(const std::string& name, const std::string& help, const std::vector<double>& bounds,
                       const Labels& labels = {});
  // A gauge read when rendered (process memory, uptime).
  void gauge_fn(const std::string& name, const std::string& help, std::function<double()> read,
                const Labels& labels = {});

  // Text format 0.0.4: HELP and TYPE lines, then one line per series, names sorted.
  std::string render() const;

  // The value of one counter or gauge, or -1 when absent (tests, health checks).
  double value(const std::string& name, const Labels& labels = {}) const;

 private:
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> fn;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    std::string help;
    std::string type;  // "counter", "gauge" or "histogram"
    std::vector<Series> series;
  };
  Series& series_for(const std::string& name, const std::string& help, const std::string& type, const Labels& labels)
      REQUIRES(mu_);

  mutable Mutex mu_;
  std::map<std::string, Family> families_ GUARDED_BY(mu_);
};

}  // namespace roadside::metrics
