// The database's readiness without waiting on the database: a thread of its own runs the
// check every `interval` and keeps the last answer, which /readyz reads. A check that has not
// come back after `stuck_after` is reported as such, so a database host that stops answering
// turns /readyz to 503 within seconds while /livez, /readyz and the proxies go on answering.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/thread_annotations.h"
#include "server/readiness.h"

namespace roadside::server {

class DatabaseProbe {
 public:
  // `check` may block (it talks to the database); it runs on the probe's thread only.
  DatabaseProbe(Readiness::Check check, std::chrono::milliseconds interval = std::chrono::seconds(2),
                std::chrono::milliseconds stuck_after = std::chrono::seconds(5));
  // Stops the thread (after the check in progress, if any, returns).
  ~DatabaseProbe();
  DatabaseProbe(const DatabaseProbe&) = delete;
  DatabaseProbe& operator=(const DatabaseProbe&) = delete;

  // The last answer, or why there is none in time (none yet counts as not ready); never
  // blocks on the database.
  std::optional<std::string> status() const;

 private:
  void run();

  Readiness::Check check_;
  const std::chrono::milliseconds interval_, stuck_after_;
  mutable Mutex mu_;
  std::condition_variable_any wake_;
  std::atomic<bool> stopping_{false};  // set under mu_, so the wait cannot miss it
  std::optional<std::string> last_ GUARDED_BY(mu_);
  bool answered_ GUARDED_BY(mu_) = false;
  std::optional<std::chrono::steady_clock::time_point> running_since_ GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace roadside::server
