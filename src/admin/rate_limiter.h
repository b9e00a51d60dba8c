// X-Road's rate limit of the admin API: per calling address, at most `per_second` requests in
// any second and `per_minute` in any minute (token buckets that refill evenly), remembering at
// most `max_addresses` addresses (X-Road's rate-limit-cache-size): when that many are
// remembered, the one unseen longest is forgotten. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>

#include "base/clock.h"
#include "base/thread_annotations.h"

namespace roadside::admin {

struct RateLimits {
  double per_second = 20;
  double per_minute = 600;
  std::size_t max_addresses = 10'000;
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimits limits, Clock& clock = Clock::system()) : limits_(limits), clock_(clock) {}

  // Takes one request of `address` from its buckets; false when either is empty (429).
  bool allow(const std::string& address);
  std::size_t remembered() const;

 private:
  struct Bucket {
    double tokens;
    double capacity;
    double per_ns;  // refill rate
    void refill(std::chrono::nanoseconds elapsed);
  };
  struct Entry {
    Bucket second, minute;
    std::chrono::steady_clock::time_point seen;
    std::list<std::string>::iterator lru;  // its place in lru_, most recent first
  };

  Entry fresh(std::chrono::steady_clock::time_point now) const;

  const RateLimits limits_;
  Clock& clock_;
  mutable Mutex mu_;
  std::unordered_map<std::string, Entry> entries_ GUARDED_BY(mu_);
  std::list<std::string> lru_ GUARDED_BY(mu_);
};

}  // namespace roadside::admin
