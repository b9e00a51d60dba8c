// A bounded map for caches of results that are costly to compute and the same every time.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/thread_annotations.h"

namespace roadside {

// A map from a key to a value, safe to share between threads, that forgets an entry when it
// is full. Its users: parsed certificates, verified chains and OCSP responses (crypto/), and
// batch signatures verified (trust/verifier.cc). A key must name everything the value
// depends on (a digest of the inputs, not a name).
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

}  // namespace roadside
