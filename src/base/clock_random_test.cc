#include <gtest/gtest.h>

#include <set>

#include "base/clock.h"
#include "base/random.h"

namespace roadside {
namespace {

TEST(Clock, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(Clock::time_point(std::chrono::seconds(1'800'000'000)));
  const auto t0 = clock.now();
  const auto s0 = clock.steady_now();
  EXPECT_EQ(clock.now(), t0);
  clock.advance(std::chrono::seconds(90));
  EXPECT_EQ(clock.now() - t0, std::chrono::seconds(90));
  EXPECT_EQ(clock.steady_now() - s0, std::chrono::seconds(90));
  EXPECT_EQ(format_rfc3339(clock.now()), "2027-01-15T08:01:30.000Z");
}

TEST(Clock, Rfc3339KeepsMilliseconds) {
  Clock::time_point t(std::chrono::milliseconds(1'700'000'000'123));
  EXPECT_EQ(format_rfc3339(t), "2023-11-14T22:13:20.123Z");
}

TEST(Clock, ParsesRfc3339) {
  auto t = parse_rfc3339("2035-11-11T03:07:40Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(format_rfc3339(*t), "2035-11-11T03:07:40.000Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2023-11-14T22:13:20.123Z")), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(*parse_rfc3339("2026-01-01T02:00:00+02:00"), *parse_rfc3339("2026-01-01T00:00:00Z"));
  EXPECT_EQ(*parse_rfc3339("2026-01-01T00:00:00-0130"), *parse_rfc3339("2026-01-01T01:30:00Z"));
  EXPECT_EQ(*parse_rfc3339("2026-01-01T02:00:00+02"), *parse_rfc3339("2026-01-01T00:00:00Z"));
  for (const char* bad : {"", "2026-01-01", "2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
                          "2026-01-01T00:00:00Zjunk", "2026-01-01T25:00:00Z", "2026-01-01T00:00:00.Z",
                          // Past what 64-bit nanoseconds hold (UBSan saw the overflow in a XAdES SigningTime).
                          "4052-11-22T14:32:54.285Z", "9999-12-31T23:59:59Z", "1000-01-01T00:00:00Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2262-01-01T00:00:00Z")), "2262-01-01T00:00:00.000Z");
}

TEST(Random, SeededIsDeterministicAndSystemIsNot) {
  SeededRandom a(42), b(42), c(43);
  EXPECT_EQ(a.bytes(33), b.bytes(33));
  EXPECT_NE(SeededRandom(42).bytes(16), c.bytes(16));
  EXPECT_NE(Random::system().bytes(16), Random::system().bytes(16));
}

TEST(Random, UuidsAreVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string u = Random::system().uuid();
    ASSERT_EQ(u.size(), 36u);
    EXPECT_EQ(u[14], '4');
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos);
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace roadside
