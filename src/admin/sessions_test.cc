#include "admin/sessions.h"

#include <gtest/gtest.h>

namespace roadside::admin {
namespace {

using namespace std::chrono_literals;

Caller observer() {
  return Caller{"api-key-7", Roles().add(Role::securityserver_observer), AuthKind::api_key, "192.0.2.1"};
}

TEST(CookieValue, FindsOneCookieAmongOthersAndRefusesWhatIsNoCookie) {
  EXPECT_EQ(cookie_value("a=1; JSESSIONID=abc; b=2", "JSESSIONID"), "abc");
  EXPECT_EQ(cookie_value("JSESSIONID=\"abc\"", "JSESSIONID"), "abc");
  EXPECT_EQ(cookie_value("  JSESSIONID=abc  ", "JSESSIONID"), "abc");
  EXPECT_EQ(cookie_value("XJSESSIONID=abc; JSESSIONIDX=d", "JSESSIONID"), std::nullopt);
  EXPECT_EQ(cookie_value("", "JSESSIONID"), std::nullopt);
  EXPECT_EQ(cookie_value("JSESSIONID=a; JSESSIONID=b", "JSESSIONID"), std::nullopt) << "which one is meant?";
  EXPECT_EQ(cookie_value("JSESSIONID=a\\b", "JSESSIONID"), std::nullopt);
  EXPECT_EQ(cookie_value(std::string("JSESSIONID=a\0b", 14), "JSESSIONID"), std::nullopt);
  EXPECT_EQ(cookie_value("JSESSIONID=", "JSESSIONID"), "");
}

TEST(Sessions, ASessionIsItsCallersAndChangesNeedItsXsrfToken) {
  ManualClock clock;
  Sessions sessions({}, clock);
  const auto opened = sessions.open(observer(), 7);
  EXPECT_EQ(opened.id.size(), 64u);
  EXPECT_EQ(opened.xsrf.size(), 64u);
  EXPECT_NE(opened.id, opened.xsrf);

  auto read = sessions.use(opened.id, "", false);
  ASSERT_TRUE(read.caller);
  EXPECT_EQ(read.caller->user, "api-key-7");
  EXPECT_EQ(read.caller->auth, AuthKind::session);
  EXPECT_EQ(read.key_id, 7) << "a key's session, not an administrator's";

  auto forged = sessions.use(opened.id, "", true);
  EXPECT_FALSE(forged.caller);
  EXPECT_EQ(forged.refusal, Sessions::Refusal::xsrf);
  EXPECT_EQ(sessions.use(opened.id, opened.id, true).refusal, Sessions::Refusal::xsrf);
  EXPECT_TRUE(sessions.use(opened.id, opened.xsrf, true).caller);

  EXPECT_EQ(sessions.use(opened.xsrf, opened.xsrf, false).refusal, Sessions::Refusal::unknown)
      << "the XSRF token is no session id";
  EXPECT_TRUE(sessions.use(opened.id, "", false).caller) << "a refused change does not end the session";
}

TEST(Sessions, ASessionEndsWhenIdleAtItsLifetimeOrAtLogout) {
  ManualClock clock;
  Sessions sessions({.idle = 30min, .lifetime = 2h, .max_sessions = 10}, clock);
  const auto idle = sessions.open(observer(), 7);
  clock.advance(29min);
  EXPECT_TRUE(sessions.use(idle.id, "", false).caller);
  clock.advance(29min);
  EXPECT_TRUE(sessions.use(idle.id, "", false).caller) << "each use starts the idle time anew";
  clock.advance(30min);
  EXPECT_EQ(sessions.use(idle.id, "", false).refusal, Sessions::Refusal::expired);
  EXPECT_EQ(sessions.use(idle.id, "", false).refusal, Sessions::Refusal::unknown) << "and is gone";

  const auto busy = sessions.open(observer(), 7);
  for (int i = 0; i < 7; ++i) {
    clock.advance(15min);
    EXPECT_TRUE(sessions.use(busy.id, "", false).caller) << i;
  }
  clock.advance(15min);
  EXPECT_EQ(sessions.use(busy.id, "", false).refusal, Sessions::Refusal::expired) << "two hours after it opened";

  const auto ended = sessions.open(observer(), 7);
  auto closed = sessions.close(ended.id);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->user, "api-key-7");
  EXPECT_FALSE(sessions.close(ended.id));
  EXPECT_FALSE(sessions.use(ended.id, "", false).caller);
  EXPECT_EQ(sessions.size(), 0u);
}

TEST(Sessions, PastTheLimitANewSessionEndsTheOneUsedLeastRecently) {
  ManualClock clock;
  Sessions sessions({.max_sessions = 3}, clock);
  const auto a = sessions.open(observer(), 7);
  clock.advance(1s);
  const auto b = sessions.open(observer(), 7);
  clock.advance(1s);
  const auto c = sessions.open(observer(), 7);
  clock.advance(1s);
  EXPECT_TRUE(sessions.use(a.id, "", false).caller);  // b is now the least recently used
  const auto d = sessions.open(observer(), 7);
  EXPECT_EQ(sessions.size(), 3u);
  EXPECT_TRUE(sessions.use(a.id, "", false).caller);
  EXPECT_FALSE(sessions.use(b.id, "", false).caller);
  EXPECT_TRUE(sessions.use(c.id, "", false).caller);
  EXPECT_TRUE(sessions.use(d.id, "", false).caller);
}

TEST(Sessions, OneUsersNewSessionEndsOnlyThatUsersOldest) {
  ManualClock clock;
  Sessions sessions({.max_sessions = 100, .max_per_user = 2}, clock);
  Caller admin{"admin", Roles::all(), AuthKind::http_basic, "127.0.0.1"};
  const auto mine = sessions.open(admin, std::nullopt);
  clock.advance(1s);
  const auto first = sessions.open(observer(), 7);
  clock.advance(1s);
  const auto second = sessions.open(observer(), 7);
  clock.advance(1s);
  const auto third = sessions.open(observer(), 7);
  EXPECT_TRUE(sessions.use(mine.id, "", false).caller) << "another user's logins end no session of mine";
  EXPECT_FALSE(sessions.use(first.id, "", false).caller);
  EXPECT_TRUE(sessions.use(second.id, "", false).caller);
  EXPECT_TRUE(sessions.use(third.id, "", false).caller);
  EXPECT_EQ(sessions.size(), 3u);
}

TEST(Sessions, ItsCookiesAreSecureAndOnlyTheXsrfTokenIsReadableByThePage) {
  const Sessions::Opened opened{"ID", "TOKEN"};
  EXPECT_EQ(Sessions::session_cookie(opened), "JSESSIONID=ID; Path=/; Secure; HttpOnly; SameSite=Strict");
  EXPECT_EQ(Sessions::xsrf_cookie(opened), "XSRF-TOKEN=TOKEN; Path=/; Secure; SameSite=Strict");
  EXPECT_NE(Sessions::cleared_session_cookie().find("Max-Age=0"), std::string::npos);
  EXPECT_NE(Sessions::cleared_xsrf_cookie().find("Max-Age=0"), std::string::npos);
}

}  // namespace
}  // namespace roadside::admin
