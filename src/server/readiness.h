// Readiness: whether this node can process messages now. Components register checks;
// /readyz answers 200 when none reports a reason, else 503 with every reason.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/thread_annotations.h"

namespace roadside::server {

class Readiness {
 public:
  // `check` returns std::nullopt when its component is ready, else why it is not.
  using Check = std::function<std::optional<std::string>()>;
  void add(std::string component, Check check);

  struct Reason {
    std::string component;
    std::string reason;
  };
  std::vector<Reason> reasons() const;
  // Why `component` is not ready (the first of its checks that reports a reason); std::nullopt
  // when it is ready or has no check. X-Road's health check (xroad_health.h) reads these.
  std::optional<std::string> reason(std::string_view component) const;

 private:
  mutable Mutex mu_;
  std::vector<std::pair<std::string, Check>> checks_ GUARDED_BY(mu_);
};

}  // namespace roadside::server
