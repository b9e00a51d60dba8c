#include "admin/sessions.h"

#include <algorithm>

#include "base/log.h"
#include "base/random.h"
#include "base/text.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "crypto/password.h"

namespace roadside::admin {

namespace {

constexpr std::size_t kSecretBytes = 32;

std::string secret() {
  return crypto::to_hex(Random::system().bytes(kSecretBytes));
}

std::string key_of(std::string_view id) {
  return crypto::to_hex(crypto::sha256(id));
}

// RFC 6265's cookie-octet: visible ASCII but for the double quote, comma, semicolon and
// backslash.
bool cookie_octet(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

}  // namespace

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  std::optional<std::string_view> found;
  while (!header.empty()) {
    const auto semi = header.find(';');
    const std::string_view pair = trim_blanks(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    if (found) return std::nullopt;  // twice: which one the browser meant cannot be told
    std::string_view value = pair.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (!std::all_of(value.begin(), value.end(), cookie_octet)) return std::nullopt;
    found = value;
  }
  return found;
}

bool Sessions::expired(const Session& s, std::chrono::steady_clock::time_point now) const {
  return now - s.used >= limits_.idle || now - s.opened >= limits_.lifetime;
}

void Sessions::drop_expired(std::chrono::steady_clock::time_point now) {
  std::erase_if(by_hash_, [&](const auto& entry) { return expired(entry.second, now); });
}

template <typename Of>
void Sessions::evict_least_recent(Of of) {
  auto oldest = by_hash_.end();
  for (auto it = by_hash_.begin(); it != by_hash_.end(); ++it) {
    if (of(it->second) && (oldest == by_hash_.end() || it->second.used < oldest->second.used)) oldest = it;
  }
  if (oldest == by_hash_.end()) return;
  log::info("admin console: a session ended to make room for a new one",
            {{"user", oldest->second.caller.user}, {"sessions", by_hash_.size()}});
  by_hash_.erase(oldest);
}

Sessions::Opened Sessions::open(Caller caller, std::optional<std::int64_t> key_id) {
  caller.auth = AuthKind::session;
  Opened opened{secret(), secret()};
  const auto now = clock_.steady_now();
  MutexLock lock(mu_);
  drop_expired(now);
  // Each eviction ends one of the user's sessions: room for one more at the last.
  const auto users = [&](const Session& s) { return s.caller.user == caller.user; };
  auto held = static_cast<std::size_t>(
      std::count_if(by_hash_.begin(), by_hash_.end(), [&](const auto& entry) { return users(entry.second); }));
  for (; limits_.max_per_user > 0 && held >= limits_.max_per_user; --held) evict_least_recent(users);
  if (!by_hash_.empty() && by_hash_.size() >= limits_.max_sessions) {
    evict_least_recent([](const Session&) { return true; });
  }
  by_hash_[key_of(opened.id)] = Session{opened.xsrf, std::move(caller), key_id, now, now};
  return opened;
}

Sessions::Used Sessions::use(std::string_view id, std::string_view xsrf, bool needs_xsrf) {
  const auto now = clock_.steady_now();
  MutexLock lock(mu_);
  const auto it = by_hash_.find(key_of(id));
  if (it == by_hash_.end()) return {.refusal = Refusal::unknown};
  if (expired(it->second, now)) {
    by_hash_.erase(it);
    return {.refusal = Refusal::expired};
  }
  if (needs_xsrf && !crypto::equal_secrets(xsrf, it->second.xsrf)) return {.refusal = Refusal::xsrf};
  it->second.used = now;
  return {.caller = it->second.caller, .key_id = it->second.key_id};
}

std::optional<Caller> Sessions::close(std::string_view id) {
  MutexLock lock(mu_);
  const auto it = by_hash_.find(key_of(id));
  if (it == by_hash_.end()) return std::nullopt;
  Caller caller = std::move(it->second.caller);
  by_hash_.erase(it);
  return caller;
}

std::size_t Sessions::size() const {
  MutexLock lock(mu_);
  return by_hash_.size();
}

std::string Sessions::session_cookie(const Opened& opened) {
  return std::string(kSessionCookie) + "=" + opened.id + "; Path=/; Secure; HttpOnly; SameSite=Strict";
}

std::string Sessions::xsrf_cookie(const Opened& opened) {
  // Readable by the page, which echoes it; a cookie of the same site only.
  return std::string(kXsrfCookie) + "=" + opened.xsrf + "; Path=/; Secure; SameSite=Strict";
}

std::string Sessions::cleared_session_cookie() {
  return std::string(kSessionCookie) + "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0";
}

std::string Sessions::cleared_xsrf_cookie() {
  return std::string(kXsrfCookie) + "=; Path=/; Secure; SameSite=Strict; Max-Age=0";
}

}  // namespace roadside::admin
