#include "base/clock.h"

#include <ctime>
#include <cstdio>

namespace roadside {
namespace {

class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steady_now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace

Clock& Clock::system() {
  static SystemClock clock;
  return clock;
}

std::string format_rfc3339(Clock::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  const auto millis = duration_cast<milliseconds>(t - secs).count();
  const std::time_t tt = static_cast<std::time_t>(secs.time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buf;
}

}  // namespace roadside
