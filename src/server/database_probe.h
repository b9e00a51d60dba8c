// The database's readiness without waiting on the database: a thread of its own runs the
// check every `interval` and keeps the last answer, which /readyz reads. A check that has not
// come back after `stuck_after` is reported as such, so a database host that stops answering
// turns /readyz to 503 within seconds while /livez, /readyz and the proxies go on answering.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

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
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                                               // GUARDED_BY(mu_)
  std::optional<std::string> last_;                                     // GUARDED_BY(mu_)
  bool answered_ = false;                                               // GUARDED_BY(mu_)
  std::optional<std::chrono::steady_clock::time_point> running_since_;  // GUARDED_BY(mu_)
  std::thread thread_;
};

}  // namespace roadside::server
