// Internal to crypto/: the bounded map behind the facade's caches. Not for other modules.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/thread_annotations.h"

namespace roadside::crypto::detail {

// A map from a key to a value, safe to share between threads, that forgets an entry when it
// is full. The caches that use it (parsed certificates and verified chains in certificate.cc,
// verified OCSP responses in ocsp.cc) hold what is costly to compute and the same every time.
template <typename V>
class BoundedCache {
 public:
  explicit BoundedCache(std::size_t max_entries) : max_(max_entries) {}
  std::optional<V> find(const std::string& key) {
    MutexLock lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void add(std::string key, V value) {
    MutexLock lock(mu_);
    if (map_.size() >= max_) map_.erase(map_.begin());  // any one: the hot ones come back at once
    map_.insert_or_assign(std::move(key), std::move(value));
  }

 private:
  const std::size_t max_;
  Mutex mu_;
  std::unordered_map<std::string, V> map_ GUARDED_BY(mu_);
};

}  // namespace roadside::crypto::detail
