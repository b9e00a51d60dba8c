#include "messagelog/cron.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "base/errors.h"

namespace roadside::messagelog {
namespace {

struct Field {
  std::string_view name;
  int min, max;
  // Names for the values from `min` on (months, days of the week); empty: numbers only.
  std::array<std::string_view, 12> names{};
};

constexpr Field kSeconds{"seconds", 0, 59};
constexpr Field kMinutes{"minutes", 0, 59};
constexpr Field kHours{"hours", 0, 23};
constexpr Field kDayOfMonth{"day-of-month", 1, 31};
constexpr Field kMonth{
    "month", 1, 12, {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}};
constexpr Field kDayOfWeek{"day-of-week", 1, 7, {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}};
constexpr Field kYear{"year", 1970, 2099};

Error invalid(const Field& f, std::string_view text, const std::string& what) {
  return Error(make_error_code(base::errc::invalid_argument),
               "cron expression \"" + std::string(text) + "\": " + std::string(f.name) + ": " + what);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// One value of a field: a number in range, or one of its names.
Result<int> value_of(const Field& f, std::string_view text, std::string_view v) {
  if (v.empty()) return invalid(f, text, "a value is missing");
  if (v.size() <= 4 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int n = 0;
    for (char c : v) n = n * 10 + (c - '0');
    if (n < f.min || n > f.max) {
      return invalid(f, text,
                     std::to_string(n) + " is out of range " + std::to_string(f.min) + "-" + std::to_string(f.max));
    }
    return n;
  }
  const std::string name = upper(v);
  for (std::size_t i = 0; i < f.names.size(); ++i) {
    if (!f.names[i].empty() && name == f.names[i]) return f.min + static_cast<int>(i);
  }
  if (name == "L" || name == "LW" || name.find_first_of("LW#C") != std::string::npos) {
    return invalid(f, text, "\"" + std::string(v) + "\": Quartz's L, W, # and C are not supported");
  }
  return invalid(f, text, "\"" + std::string(v) + "\" is not a value of this field");
}

// A field's values: `*`, or a list of values, ranges and steps.
template <std::size_t N>
Result<std::bitset<N>> parse_field(const Field& f, std::string_view text, std::string_view field) {
  std::bitset<N> set;
  if (field == "*") {
    for (int v = f.min; v <= f.max; ++v) set.set(static_cast<std::size_t>(v - f.min));
    return set;
  }
  while (true) {
    const auto comma = field.find(',');
    const std::string_view item = field.substr(0, comma);
    if (item.empty()) return invalid(f, text, "an empty list item");
    std::string_view range = item;
    int step = 1;
    bool stepped = false;
    if (const auto slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      const std::string_view s = item.substr(slash + 1);
      if (s.empty() || s.size() > 4 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return invalid(f, text, "\"" + std::string(item) + "\": the step is not a number");
      }
      step = 0;
      for (char c : s) step = step * 10 + (c - '0');
      if (step < 1 || step > f.max - f.min + 1) {
        return invalid(f, text,
                       "\"" + std::string(item) + "\": the step must be 1-" + std::to_string(f.max - f.min + 1));
      }
      stepped = true;
    }
    int from = f.min, to = f.max;
    if (range != "*") {
      const auto dash = range.find('-');
      ROADSIDE_TRY(from, value_of(f, text, range.substr(0, dash)));
      if (dash != std::string_view::npos) {
        ROADSIDE_TRY(to, value_of(f, text, range.substr(dash + 1)));
      } else if (!stepped) {
        to = from;  // a single value; `a/b` runs from a to the field's end
      }
    }
    // A range may wrap around the field's end, as Quartz's do ("FRI-MON", "22-2").
    const int width = f.max - f.min + 1;
    const int count = (to - from + width) % width + 1;
    for (int i = 0; i < count; i += step) set.set(static_cast<std::size_t>((from - f.min + i) % width));
    if (comma == std::string_view::npos) break;
    field.remove_prefix(comma + 1);
  }
  return set;
}

}  // namespace

Result<CronSchedule> CronSchedule::parse(std::string_view text) {
  if (text.size() > 256)
    return Error(make_error_code(base::errc::invalid_argument), "cron expression longer than 256 bytes");
  std::vector<std::string_view> fields;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    fields.push_back(text.substr(start, i - start));
  }
  if (fields.size() != 6 && fields.size() != 7) {
    return Error(make_error_code(base::errc::invalid_argument),
                 "cron expression \"" + std::string(text) + "\" has " + std::to_string(fields.size()) +
                     " fields; Quartz's are seconds minutes hours day-of-month month day-of-week [year]");
  }
  CronSchedule s;
  s.text_ = std::string(text);
  ROADSIDE_TRY(s.seconds_, parse_field<60>(kSeconds, text, fields[0]));
  ROADSIDE_TRY(s.minutes_, parse_field<60>(kMinutes, text, fields[1]));
  ROADSIDE_TRY(s.hours_, parse_field<24>(kHours, text, fields[2]));
  ROADSIDE_TRY(s.months_, parse_field<13>(kMonth, text, fields[4]));
  // Months are kept at their number (bit 0 unused), like days of the month.
  s.months_ <<= 1;
  const bool dom_any = fields[3] == "?", dow_any = fields[5] == "?";
  if (dom_any == dow_any) {
    return invalid(kDayOfMonth, text, "exactly one of day-of-month and day-of-week must be \"?\" (Quartz's rule)");
  }
  s.by_day_of_month_ = !dom_any;
  if (!dom_any) {
    ROADSIDE_TRY(auto dom, parse_field<31>(kDayOfMonth, text, fields[3]));
    for (std::size_t d = 0; d < 31; ++d) s.days_of_month_[d + 1] = dom[d];
  } else {
    ROADSIDE_TRY(auto dow, parse_field<7>(kDayOfWeek, text, fields[5]));
    for (std::size_t d = 0; d < 7; ++d) s.days_of_week_[d + 1] = dow[d];
  }
  if (fields.size() == 7) {
    ROADSIDE_TRY(s.years_, parse_field<kLastYear - kFirstYear + 1>(kYear, text, fields[6]));
  } else {
    s.years_.set();
  }
  if (s.years_.none() || s.months_.none() || s.hours_.none() || s.minutes_.none() || s.seconds_.none()) {
    return Error(make_error_code(base::errc::invalid_argument),
                 "cron expression \"" + std::string(text) + "\" names no time");
  }
  return s;
}

std::optional<CronSchedule::time_point> CronSchedule::next_after(time_point after) const {
  using namespace std::chrono;
  sys_seconds t = floor<seconds>(after) + seconds(1);
  // Each step moves to the start of the next candidate year, month, day, hour, minute or
  // second; a schedule that names a day no month has (30 February) ends at 2099.
  for (int guard = 0; guard < 2'000'000; ++guard) {
    const sys_days day = floor<days>(t);
    const year_month_day ymd(day);
    const int y = static_cast<int>(ymd.year());
    if (y > kLastYear) return std::nullopt;
    if (y < kFirstYear) {
      t = sys_days(year(kFirstYear) / January / 1);
      continue;
    }
    if (!years_[static_cast<std::size_t>(y - kFirstYear)]) {
      t = sys_days(year(y + 1) / January / 1);
      continue;
    }
    if (!months_[static_cast<unsigned>(ymd.month())]) {
      year_month next = ymd.year() / ymd.month();
      next += months(1);
      t = sys_days(next / 1);
      continue;
    }
    const bool day_ok = by_day_of_month_ ? days_of_month_[static_cast<unsigned>(ymd.day())]
                                         : days_of_week_[weekday(day).c_encoding() + 1];
    if (!day_ok) {
      t = day + days(1);
      continue;
    }
    const hh_mm_ss hms(t - day);
    const auto h = static_cast<std::size_t>(hms.hours().count());
    const auto m = static_cast<std::size_t>(hms.minutes().count());
    const auto s = static_cast<std::size_t>(hms.seconds().count());
    if (!hours_[h]) {
      t = day + hours(h + 1);
      continue;
    }
    if (!minutes_[m]) {
      t = day + hours(h) + minutes(m + 1);
      continue;
    }
    if (!seconds_[s]) {
      t += seconds(1);
      continue;
    }
    return time_point(t);
  }
  return std::nullopt;
}

}  // namespace roadside::messagelog
