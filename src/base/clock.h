// Injectable time, so expiry, freshness and timeouts can be tested without sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace roadside {

class Clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  // Wall-clock time (certificate validity, configuration expiry, log records).
  virtual time_point now() const = 0;
  // Monotonic time (durations, deadlines).
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;

  // The process-wide real clock.
  static Clock& system();
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(time_point start = time_point(std::chrono::seconds(1'700'000'000)))
      : wall_(start.time_since_epoch().count()) {}
  time_point now() const override { return time_point(time_point::duration(wall_.load())); }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(steady_.load()));
  }
  void advance(std::chrono::nanoseconds d) {
    wall_ += std::chrono::duration_cast<time_point::duration>(d).count();
    steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d).count();
  }
  void set(time_point t) { wall_ = t.time_since_epoch().count(); }

 private:
  std::atomic<time_point::rep> wall_;
  std::atomic<std::chrono::steady_clock::rep> steady_{0};
};

// RFC 3339 UTC with millisecond precision: "2026-11-22T11:30:04.123Z".
std::string format_rfc3339(Clock::time_point t);
// Reads "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH[:MM]|-HH[:MM])"; std::nullopt if malformed.
std::optional<Clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace roadside
