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

std::optional<Clock::time_point> parse_rfc3339(std::string_view t) {
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > t.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (t[i] < '0' || t[i] > '9') return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s;
  if (!num(0, 4, y) || t.size() < 20 || t[4] != '-' || !num(5, 2, mo) || t[7] != '-' || !num(8, 2, d) ||
      (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || !num(11, 2, h) || t[13] != ':' || !num(14, 2, mi) ||
      t[16] != ':' || !num(17, 2, s)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::size_t pos = 19;
  std::chrono::nanoseconds frac{0};
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    long long scale = 100'000'000, ns = 0;
    const std::size_t start = pos;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      ns += (t[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
    frac = std::chrono::nanoseconds(ns);
  }
  if (pos >= t.size()) return std::nullopt;
  int offset_min = 0;
  if (t[pos] == 'Z' || t[pos] == 'z') {
    ++pos;
  } else if (t[pos] == '+' || t[pos] == '-') {
    const int sign = t[pos] == '+' ? 1 : -1;
    int oh = 0, om = 0;
    if (!num(pos + 1, 2, oh)) return std::nullopt;
    pos += 3;
    if (pos < t.size() && t[pos] == ':') ++pos;
    if (pos < t.size()) {
      if (!num(pos, 2, om)) return std::nullopt;
      pos += 2;
    }
    offset_min = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != t.size()) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  const std::chrono::sys_seconds tp = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
                                      std::chrono::seconds(s) - std::chrono::minutes(offset_min);
  // Clock::time_point counts nanoseconds in 64 bits (years 1678 to 2262): a time outside them
  // (a signing time of year 4052 in a peer's signature) cannot be one, and converting it
  // would overflow.
  using std::chrono::floor;
  using std::chrono::seconds;
  if (tp <= floor<seconds>(Clock::time_point::min()) + seconds(1) ||
      tp >= floor<seconds>(Clock::time_point::max()) - seconds(1)) {
    return std::nullopt;
  }
  return std::chrono::time_point_cast<Clock::time_point::duration>(tp) + frac;
}

}  // namespace roadside
