// X-Road's schedules: Quartz cron expressions, as archive-interval ("0 0 0/6 1/1 * ? *") and
// clean-interval ("0 0 0/12 1/1 * ? *") take them, evaluated in UTC.
//
//   seconds minutes hours day-of-month month day-of-week [year]
//
// Each field is `*`, a value, a range `a-b`, a step `a/b`, `*/b` or `a-b/c`, or a list of
// these (`0,15,30`); months may be JAN..DEC and days of the week SUN..SAT (1 = Sunday, as in
// Quartz). Exactly one of day-of-month and day-of-week is `?` (Quartz's rule). Quartz's `L`,
// `W`, `#` and `C` are refused with an error naming the field; so is anything else.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace roadside::messagelog {

class CronSchedule {
 public:
  using time_point = std::chrono::system_clock::time_point;

  // base::errc::invalid_argument naming the field and what is wrong. At most 256 bytes.
  static Result<CronSchedule> parse(std::string_view text);

  // The first time strictly after `after` (whole seconds, UTC) that the schedule names; none
  // when there is none before the end of 2099 (the last year Quartz knows).
  std::optional<time_point> next_after(time_point after) const;

  const std::string& text() const { return text_; }

 private:
  static constexpr int kFirstYear = 1970, kLastYear = 2099;

  std::string text_;
  std::bitset<60> seconds_, minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1..31
  std::bitset<13> months_;         // 1..12
  std::bitset<8> days_of_week_;    // 1 (Sunday) .. 7 (Saturday)
  std::bitset<kLastYear - kFirstYear + 1> years_;
  bool by_day_of_month_ = true;  // false: day-of-month is `?`, the day of the week decides
};

}  // namespace roadside::messagelog
