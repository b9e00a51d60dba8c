#include "admin/administrators.h"

#include <array>
#include <cstring>
#include <memory>

#include <crypt.h>

#include "crypto/digest.h"
#include "crypto/password.h"

namespace roadside::admin {

namespace {

constexpr auto kRemember = std::chrono::minutes(1);
constexpr std::size_t kMaxRemembered = 64;

bool crypt_matches(std::string_view password, std::string_view hash) {
  const std::string p(password), h(hash);
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out = crypt_r(p.c_str(), h.c_str(), data.get());
  if (!out || out[0] == '*') return false;
  return crypto::equal_secrets(out, hash);
}

}  // namespace

bool password_matches(std::string_view password, std::string_view hash) {
  if (hash.starts_with("pbkdf2-")) return crypto::verify_password(password, hash);
  if (hash.starts_with("$6$") || hash.starts_with("$5$") || hash.starts_with("$y$"))
    return crypt_matches(password, hash);
  return false;
}

Result<bool> Administrators::check(std::string_view name, std::string_view password) {
  ROADSIDE_TRY(const Pending pending, lookup(name, password));
  return verify(pending, name, password);
}

Result<Administrators::Pending> Administrators::lookup(std::string_view name, std::string_view password) {
  const std::string remembered = crypto::sha256(std::string(name) + '\0' + std::string(password));
  {
    MutexLock lock(mu_);
    auto it = recent_.find(remembered);
    if (it != recent_.end() && clock_.steady_now() - it->second < kRemember) return Pending{true, {}};
  }
  if (configured_ && configured_->name == name) return Pending{false, configured_->password_hash};
  const std::array<storage::Value, 1> params = {std::string(name)};
  auto rows = store_.with_connection([&](storage::Connection& c) {
    return c.query("SELECT password_hash FROM administrators WHERE name = ?", params);
  });
  if (!rows.ok()) return rows.error();
  Pending pending;
  if (!rows->empty()) {
    if (auto hash = storage::as_text(rows->front().at(0))) pending.hash = *hash;
  }
  return pending;
}

bool Administrators::verify(const Pending& pending, std::string_view name, std::string_view password) {
  if (pending.remembered) return true;
  if (pending.hash.empty()) {
    // No such administrator: as long as a wrong password of a real one takes.
    static const std::string kDecoy = crypto::hash_password("no administrator has this password");
    (void)crypto::verify_password(password, kDecoy);
    return false;
  }
  if (!password_matches(password, pending.hash)) return false;
  MutexLock lock(mu_);
  if (recent_.size() >= kMaxRemembered) recent_.clear();
  recent_[crypto::sha256(std::string(name) + '\0' + std::string(password))] = clock_.steady_now();
  return true;
}

}  // namespace roadside::admin
