// The administrators who may manage API keys with HTTP Basic authentication (X-Road's
// key-management endpoints): the table `administrators` (the first one made from
// XROAD_ADMIN_USER and XROAD_ADMIN_PASSWORD, kept as a PBKDF2 hash, server/database.h), and
// optionally one more from configuration as a name and a password hash (XROAD_ADMIN_PWD_HASH),
// in Roadside's PBKDF2 form or a crypt(3) form as /etc/shadow holds it ($6$, $5$, $y$).
// Checking a password is slow on purpose (600,000 PBKDF2 rounds); a successful check is
// remembered for a minute (by a hash of the name and password) so a script's calls in a row
// cost one check.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/clock.h"
#include "base/result.h"
#include "base/thread_annotations.h"
#include "storage/store.h"

namespace roadside::admin {

struct ConfiguredAdministrator {
  std::string name;
  std::string password_hash;
};

class Administrators {
 public:
  Administrators(storage::Store& store, std::optional<ConfiguredAdministrator> configured = std::nullopt,
                 Clock& clock = Clock::system())
      : store_(store), configured_(std::move(configured)), clock_(clock) {}

  // Whether `name` and `password` are an administrator's; errors only when the database fails.
  // lookup() then verify(), on the calling thread.
  Result<bool> check(std::string_view name, std::string_view password);

  // The two halves of check(), so the slow one can run away from the database's thread.
  struct Pending {
    bool remembered = false;  // checked in the last minute: nothing to verify
    std::string hash;         // the stored hash; empty when there is no such administrator
  };
  // Quick: the memory of recent successes and the database. Errors only when the database fails.
  Result<Pending> lookup(std::string_view name, std::string_view password);
  // Slow: whether the password matches. An unknown name costs as much as a known one (a hash
  // of the same strength is checked), so the time does not tell whether a name exists. A
  // success is remembered. Any thread.
  bool verify(const Pending& pending, std::string_view name, std::string_view password);

 private:
  storage::Store& store_;
  const std::optional<ConfiguredAdministrator> configured_;
  Clock& clock_;
  Mutex mu_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> recent_ GUARDED_BY(mu_);
};

// Whether `password` matches `hash`: Roadside's PBKDF2 form (crypto/password.h) or crypt(3)'s
// $6$/$5$/$y$ forms. False for anything else.
bool password_matches(std::string_view password, std::string_view hash);

}  // namespace roadside::admin
