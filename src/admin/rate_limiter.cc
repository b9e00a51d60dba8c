#include "admin/rate_limiter.h"

#include <algorithm>

namespace roadside::admin {

void RateLimiter::Bucket::refill(std::chrono::nanoseconds elapsed) {
  tokens = std::min(capacity, tokens + per_ns * static_cast<double>(elapsed.count()));
}

RateLimiter::Entry RateLimiter::fresh(std::chrono::steady_clock::time_point now) const {
  constexpr double kSecond = 1e9, kMinute = 60e9;
  return Entry{{limits_.per_second, limits_.per_second, limits_.per_second / kSecond},
               {limits_.per_minute, limits_.per_minute, limits_.per_minute / kMinute},
               now,
               {}};
}

bool RateLimiter::allow(const std::string& address) {
  const auto now = clock_.steady_now();
  MutexLock lock(mu_);
  auto it = entries_.find(address);
  if (it == entries_.end()) {
    if (entries_.size() >= std::max<std::size_t>(limits_.max_addresses, 1)) {
      entries_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(address);
    it = entries_.emplace(address, fresh(now)).first;
    it->second.lru = lru_.begin();
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  Entry& e = it->second;
  const auto elapsed =
      std::max(std::chrono::nanoseconds(0), std::chrono::duration_cast<std::chrono::nanoseconds>(now - e.seen));
  e.seen = now;
  e.second.refill(elapsed);
  e.minute.refill(elapsed);
  if (e.second.tokens < 1 || e.minute.tokens < 1) return false;
  e.second.tokens -= 1;
  e.minute.tokens -= 1;
  return true;
}

std::size_t RateLimiter::remembered() const {
  MutexLock lock(mu_);
  return entries_.size();
}

}  // namespace roadside::admin
