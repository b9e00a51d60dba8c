#include "metrics/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "base/utf8.h"

namespace roadside::metrics {
namespace {

std::string percent(unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return {'%', kHex[c >> 4], kHex[c & 0xf]};
}

// Prometheus refuses a whole scrape over one label value that is not UTF-8: such a value has its
// bytes past ASCII written as %XX (so that two such values stay two).
std::string escape_label(const std::string& v) {
  const bool utf8 = is_utf8(v);
  std::string out;
  for (char c : v) {
    if (!utf8 && static_cast<unsigned char>(c) >= 0x80) {
      out += percent(static_cast<unsigned char>(c));
      continue;
    }
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first + "=\"" + escape_label(labels[i].second) + "\"";
  }
  return out + "}";
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest form that reads back exactly
  return std::string(buf, r.ptr);
}

// The labels with one more (a histogram's le).
Labels with(Labels labels, std::string name, std::string value) {
  labels.emplace_back(std::move(name), std::move(value));
  return labels;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double v) noexcept {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::uint64_t Histogram::cumulative(std::size_t i) const noexcept {
  std::uint64_t n = 0;
  for (std::size_t b = 0; b <= i && b <= bounds_.size(); ++b) n += buckets_[b].load(std::memory_order_relaxed);
  return n;
}

Registry::Series& Registry::series_for(const std::string& name, const std::string& help, const std::string& type,
                                       const Labels& labels) {
  Family& f = families_[name];
  if (f.type.empty()) {
    f.type = type;
    f.help = help;
  } else if (f.type != type) {
    // Registering one name as two types is a programming error.
    throw std::logic_error("metric " + name + " registered as " + f.type + " and " + type);
  }
  for (auto& s : f.series) {
    if (s.labels == labels) return s;
  }
  f.series.push_back(Series{labels, nullptr, nullptr, nullptr, nullptr});
  return f.series.back();
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  MutexLock lock(mu_);
  Series& s = series_for(name, help, "counter", labels);
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  MutexLock lock(mu_);
  Series& s = series_for(name, help, "gauge", labels);
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help, const std::vector<double>& bounds,
                               const Labels& labels) {
  MutexLock lock(mu_);
  Series& s = series_for(name, help, "histogram", labels);
  if (!s.histogram) s.histogram = std::make_unique<Histogram>(bounds);
  return *s.histogram;
}

void Registry::gauge_fn(const std::string& name, const std::string& help, std::function<double()> read,
                        const Labels& labels) {
  MutexLock lock(mu_);
  series_for(name, help, "gauge", labels).fn = std::move(read);
}

std::string Registry::render() const {
  MutexLock lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + " " + f.type + "\n";
    for (const auto& s : f.series) {
      if (s.histogram) {
        const Histogram& h = *s.histogram;
        std::uint64_t total = 0;  // read once: _count is the +Inf bucket whatever is observed meanwhile
        for (std::size_t i = 0; i <= h.bounds().size(); ++i) {
          total = h.cumulative(i);
          const std::string le = i < h.bounds().size() ? format_value(h.bounds()[i]) : "+Inf";
          out += name + "_bucket" + render_labels(with(s.labels, "le", le)) + " " + std::to_string(total) + "\n";
        }
        out += name + "_sum" + render_labels(s.labels) + " " + format_value(h.sum()) + "\n";
        out += name + "_count" + render_labels(s.labels) + " " + std::to_string(total) + "\n";
        continue;
      }
      double v = 0;
      if (s.counter) v = static_cast<double>(s.counter->value());
      else if (s.gauge) v = static_cast<double>(s.gauge->value());
      else if (s.fn) v = s.fn();
      out += name + render_labels(s.labels) + " " + format_value(v) + "\n";
    }
  }
  return out;
}

double Registry::value(const std::string& name, const Labels& labels) const {
  MutexLock lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return -1;
  for (const auto& s : it->second.series) {
    if (s.labels != labels) continue;
    if (s.counter) return static_cast<double>(s.counter->value());
    if (s.gauge) return static_cast<double>(s.gauge->value());
    if (s.fn) return s.fn();
  }
  return -1;
}

}  // namespace roadside::metrics
