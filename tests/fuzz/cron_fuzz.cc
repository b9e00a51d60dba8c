// Fuzz target: Quartz cron expressions as the message log's archive-interval and
// clean-interval take them from configuration. Whatever the text, parsing must not crash or
// hang; a refusal explains itself; and a schedule that parses names times that hold up: the
// next time is strictly later, in whole seconds, and is itself the next time after the
// second before it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_checks.h"
#include "messagelog/cron.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto schedule = roadside::messagelog::CronSchedule::parse(input);
  if (!schedule.ok()) {
    roadside::fuzz::check(!schedule.error().detail().empty());
    return 0;
  }
  using TimePoint = system_clock::time_point;
  for (const TimePoint from :
       {TimePoint(sys_days(year(2026) / December / 5) + hours(6) + minutes(50) + milliseconds(13'250)),
        TimePoint(sys_days(year(2099) / December / 31) + hours(23) + minutes(59) + seconds(59)),
        TimePoint(sys_days(year(1969) / July / 20) + hours(20))}) {
    const auto next = schedule->next_after(from);
    if (!next) continue;
    roadside::fuzz::check(*next > from);
    roadside::fuzz::check(floor<seconds>(*next) == *next);
    roadside::fuzz::check(schedule->next_after(*next - seconds(1)) == next);
  }
  return 0;
}
