#include "server/database_probe.h"

namespace roadside::server {

DatabaseProbe::DatabaseProbe(Readiness::Check check, std::chrono::milliseconds interval,
                             std::chrono::milliseconds stuck_after)
    : check_(std::move(check)), interval_(interval), stuck_after_(stuck_after), thread_([this] { run(); }) {}

DatabaseProbe::~DatabaseProbe() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::optional<std::string> DatabaseProbe::status() const {
  MutexLock lock(mu_);
  if (running_since_) {
    const auto waited = std::chrono::steady_clock::now() - *running_since_;
    if (waited > stuck_after_) {
      return "the database has not answered for " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(waited).count()) + " s";
    }
  }
  if (!answered_) return std::string("the database has not answered yet");
  return last_;
}

void DatabaseProbe::run() {
  while (!stopping_) {
    {
      MutexLock lock(mu_);
      running_since_ = std::chrono::steady_clock::now();
    }
    std::optional<std::string> answer = check_();  // may block: without the lock
    MutexLock lock(mu_);
    running_since_.reset();
    last_ = std::move(answer);
    answered_ = true;
    wake_.wait_for(mu_, interval_, [this] { return stopping_.load(); });
  }
}

}  // namespace roadside::server
