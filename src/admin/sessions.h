// The admin console's browser sessions, as X-Road's admin UI has them (X-Road's
// openapi-authentication.yaml): POST /api/v1/login opens one and sets two cookies,
//   - JSESSIONID: the session's id; HttpOnly, Secure, SameSite=Strict, so page scripts never
//     read it and no other site's page sends it;
//   - XSRF-TOKEN: a second secret the page reads and echoes in the X-XSRF-TOKEN header of every
//     request that may change something (any method but GET and HEAD).
// A session ends at logout, after `idle` without a request, or `lifetime` after it opened,
// whichever comes first. One user holds at most `max_per_user` sessions and the server at
// most `max_sessions`: a new one ends that user's session used least recently (or, when the
// server is full, anybody's), with a log line. Sessions live in the server's memory: a
// restart logs everybody out.
//
// Ids and tokens are 32 random bytes (hex); a session is found by the SHA-256 of its id and
// the token compared in constant time, so timing tells nothing about either. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "admin/api.h"
#include "base/clock.h"
#include "base/thread_annotations.h"

namespace roadside::admin {

struct SessionLimits {
  std::chrono::seconds idle{30 * 60};
  std::chrono::seconds lifetime{12 * 60 * 60};
  std::size_t max_sessions = 1000;
  std::size_t max_per_user = 10;
};

// The cookie names, X-Road's.
inline constexpr std::string_view kSessionCookie = "JSESSIONID";
inline constexpr std::string_view kXsrfCookie = "XSRF-TOKEN";
inline constexpr std::string_view kXsrfHeader = "X-XSRF-TOKEN";

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or nullopt when it is absent,
// named twice, or not made of cookie-octets (RFC 6265 section 4.1.1; untrusted bytes).
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name);

class Sessions {
 public:
  explicit Sessions(SessionLimits limits = {}, Clock& clock = Clock::system()) : limits_(limits), clock_(clock) {}

  struct Opened {
    std::string id;    // JSESSIONID
    std::string xsrf;  // XSRF-TOKEN
  };
  // A new session for `caller`, whose auth becomes AuthKind::session. `key_id`: the API key it
  // was opened with, which the front checks again on every use (a revoked key ends its
  // sessions, a key's new roles apply at once); none for an administrator's, opened with the
  // password (such a session may manage API keys).
  Opened open(Caller caller, std::optional<std::int64_t> key_id);

  // Why use() refused.
  enum class Refusal { unknown, expired, xsrf };
  // The caller of the live session `id`, which counts as its use now. `xsrf` is the request's
  // X-XSRF-TOKEN header, checked when `needs_xsrf` (a request that may change something).
  struct Used {
    std::optional<Caller> caller;
    std::optional<std::int64_t> key_id;  // none: an administrator's session
    Refusal refusal = Refusal::unknown;  // when no caller
  };
  Used use(std::string_view id, std::string_view xsrf, bool needs_xsrf);

  // Ends session `id`: the caller it ended (for the audit record), or nullopt when none.
  std::optional<Caller> close(std::string_view id);

  std::size_t size() const;

  // Set-Cookie values: the two cookies of `opened`, and the two that clear them.
  static std::string session_cookie(const Opened& opened);
  static std::string xsrf_cookie(const Opened& opened);
  static std::string cleared_session_cookie();
  static std::string cleared_xsrf_cookie();

 private:
  struct Session {
    std::string xsrf;
    Caller caller;
    std::optional<std::int64_t> key_id;
    std::chrono::steady_clock::time_point opened;
    std::chrono::steady_clock::time_point used;
  };
  bool expired(const Session& s, std::chrono::steady_clock::time_point now) const;
  void drop_expired(std::chrono::steady_clock::time_point now) REQUIRES(mu_);
  // Ends the least recently used of the sessions `of` selects, with a log line.
  template <typename Of>
  void evict_least_recent(Of of) REQUIRES(mu_);

  const SessionLimits limits_;
  Clock& clock_;
  mutable Mutex mu_;
  std::map<std::string, Session> by_hash_ GUARDED_BY(mu_);  // key: hex SHA-256 of the id
};

}  // namespace roadside::admin
