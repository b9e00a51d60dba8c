#include "messagelog/cron.h"

#include <gtest/gtest.h>

#include "base/clock.h"
#include "base/errors.h"

namespace roadside::messagelog {
namespace {

using std::chrono::system_clock;

system_clock::time_point at(const char* rfc3339) {
  return *parse_rfc3339(rfc3339);
}
std::string next(const CronSchedule& s, const char* after) {
  auto t = s.next_after(at(after));
  return t ? format_rfc3339(*t) : "none";
}

CronSchedule schedule(std::string_view text) {
  auto s = CronSchedule::parse(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.error().to_string();
  return *s;
}

TEST(Cron, XRoadsArchiveIntervalFiresEverySixHours) {
  const CronSchedule s = schedule("0 0 0/6 1/1 * ? *");
  EXPECT_EQ(next(s, "2026-12-05T06:50:13Z"), "2026-12-05T12:00:00.000Z");
  EXPECT_EQ(next(s, "2026-12-05T12:00:00Z"), "2026-12-05T18:00:00.000Z");  // strictly after
  EXPECT_EQ(next(s, "2026-12-05T11:59:59.999Z"), "2026-12-05T12:00:00.000Z");
  EXPECT_EQ(next(s, "2026-12-31T18:00:00Z"), "2027-01-01T00:00:00.000Z");
}

TEST(Cron, XRoadsCleanIntervalFiresEveryTwelveHours) {
  const CronSchedule s = schedule("0 0 0/12 1/1 * ? *");
  EXPECT_EQ(next(s, "2026-12-05T06:50:13Z"), "2026-12-05T12:00:00.000Z");
  EXPECT_EQ(next(s, "2026-12-05T12:00:00Z"), "2026-12-06T00:00:00.000Z");
}

TEST(Cron, ListsRangesStepsAndNames) {
  EXPECT_EQ(next(schedule("0 15,45 * * * ?"), "2026-12-05T06:50:13Z"), "2026-12-05T07:15:00.000Z");
  EXPECT_EQ(next(schedule("*/20 * * * * ?"), "2026-12-05T06:50:13Z"), "2026-12-05T06:50:20.000Z");
  EXPECT_EQ(next(schedule("0 0 9-17/4 ? * MON-FRI"), "2026-12-05T06:50:13Z"),
            "2026-12-07T09:00:00.000Z");  // a Saturday
  EXPECT_EQ(next(schedule("0 0 0 ? * SUN"), "2026-12-05T06:50:13Z"), "2026-12-06T00:00:00.000Z");
  EXPECT_EQ(next(schedule("0 0 0 ? * 1"), "2026-12-05T06:50:13Z"), "2026-12-06T00:00:00.000Z");  // 1 is Sunday
  EXPECT_EQ(next(schedule("0 0 12 1 jan,Jul ?"), "2026-12-05T06:50:13Z"), "2027-01-01T12:00:00.000Z");
  EXPECT_EQ(next(schedule("0 0 22-2 * * ?"), "2026-12-05T02:30:00Z"), "2026-12-05T22:00:00.000Z");  // wraps midnight
  EXPECT_EQ(next(schedule("0 0 22-2 * * ?"), "2026-12-05T23:30:00Z"), "2026-12-06T00:00:00.000Z");
}

TEST(Cron, EdgesOfTheCalendar) {
  EXPECT_EQ(next(schedule("0 0 0 29 2 ?"), "2026-12-05T00:00:00Z"), "2028-02-29T00:00:00.000Z");  // leap day
  EXPECT_EQ(next(schedule("0 0 0 31 * ?"), "2026-11-01T00:00:00Z"), "2026-12-31T00:00:00.000Z");  // November has 30
  EXPECT_EQ(next(schedule("59 59 23 31 12 ? 2030"), "2026-12-05T00:00:00Z"), "2030-12-31T23:59:59.000Z");
  EXPECT_EQ(next(schedule("0 0 0 1 1 ? 2030"), "2030-01-01T00:00:00Z"), "none");  // its only time has passed
  EXPECT_EQ(next(schedule("0 0 0 30 2 ?"), "2026-12-05T00:00:00Z"), "none");      // no 30 February before 2100
  EXPECT_EQ(next(schedule("0 0 0 1 1 ? *"), "2099-06-01T00:00:00Z"), "none");
}

TEST(Cron, RefusesWhatItDoesNotKnowNamingTheField) {
  struct Case {
    const char* text;
    const char* names;
  };
  for (const Case& c :
       {Case{"0 0 0/6 1/1 *", "fields"}, Case{"0 0 0/6 1/1 * ? * *", "fields"},
        Case{"60 0 0 * * ?", "seconds: 60 is out of range"}, Case{"0 0 24 * * ?", "hours"},
        Case{"0 0 0 L * ?", "day-of-month: \"L\": Quartz's"}, Case{"0 0 0 ? * 6#3", "day-of-week"},
        Case{"0 0 0 15W * ?", "day-of-month"}, Case{"0 0 0 * * *", "exactly one of"},
        Case{"0 0 0 ? * ?", "exactly one of"}, Case{"0 0 0 1 13 ?", "month"}, Case{"0 0/0 * * * ?", "minutes"},
        Case{"0 0 0 1 * ? 1969", "year"}, Case{"0 0, * * * ?", "minutes: an empty list item"},
        Case{"0 0 0 1 FOO ?", "month"}, Case{"0 0 0 1-x * ?", "day-of-month"}, Case{"", "fields"}}) {
    auto s = CronSchedule::parse(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.error().code(), base::errc::invalid_argument);
    EXPECT_NE(s.error().detail().find(c.names), std::string::npos) << c.text << ": " << s.error().detail();
  }
  EXPECT_FALSE(CronSchedule::parse(std::string(300, '*')).ok());
}

}  // namespace
}  // namespace roadside::messagelog
