#include "signer/token.h"

#include "base/clock.h"
#include "base/log.h"

#include <optional>
#include <variant>

namespace roadside::signer {

namespace {

Error bad(errc e, std::string detail) { return Error(make_error_code(e), std::move(detail)); }

std::string_view usage_text(KeyUsage u) { return u == KeyUsage::signing ? "SIGNING" : "AUTHENTICATION"; }

constexpr std::string_view kKeyColumns = "key_id, usage, member_id, friendly_name, certificate";

// A row of kKeyColumns.
Result<TokenKeyInfo> key_info(const storage::Row& r) {
  std::optional<XRoadId> member;
  if (auto m = storage::as_text(r[2])) {
    ROADSIDE_TRY(XRoadId id, XRoadId::parse(*m));
    member = id;
  }
  ROADSIDE_TRY(crypto::Certificate cert, crypto::Certificate::from_der(storage::as_text(r[4]).value_or("")));
  return TokenKeyInfo{storage::as_text(r[0]).value_or(""),
                      storage::as_text(r[1]).value_or("") == "SIGNING" ? KeyUsage::signing : KeyUsage::authentication, member,
                      storage::as_text(r[3]).value_or(""), std::move(cert)};
}

}  // namespace

Result<int> SoftToken::import_folder(const std::filesystem::path& dir, const std::string& pin) {
  ROADSIDE_TRY(Keyconf conf, read_keyconf(dir));
  std::optional<crypto::KeyWrapKey> kek;  // derived once, at the first key the PIN opens
  int added = 0;
  for (const auto& device : conf.devices) {
    if (device.type != "softToken") continue;
    for (const auto& key : device.keys) {
      const KeyconfCert* active = nullptr;
      for (const auto& c : key.certs) {
        if (c.active) active = &c;
      }
      if (!active) continue;  // a key without a certificate cannot be used yet
      auto present = store_.with_connection([&](storage::Connection& c) {
        const storage::Value id[] = {key.key_id};
        return c.query("SELECT 1 FROM token_keys WHERE key_id = ?", id);
      });
      if (!present.ok()) return std::move(present).error();
      if (!present->empty()) continue;
      ROADSIDE_TRY(std::string p12, read_soft_token_key_file(dir, key.key_id));
      storage::Value pkcs12 = storage::Blob{p12};
      storage::Value sealed = nullptr;
      if (!pin.empty()) {
        auto contents = crypto::load_pkcs12(p12, pin);
        if (contents.ok() && active->cert.matches_key(contents->key)) {
          if (!kek) {
            ROADSIDE_TRY(crypto::KeyWrapKey derived, crypto::KeyWrapKey::derive(pin, random_));
            kek = std::move(derived);
          }
          ROADSIDE_TRY(std::string bytes, kek->wrap(contents->key, random_));
          sealed = storage::Blob{std::move(bytes)};
          pkcs12 = nullptr;
        } else {
          log::warn("the token PIN does not open an imported key: it is kept as imported until a login opens it",
                    {{"key_id", key.key_id}});
        }
      }
      const storage::Value params[] = {key.key_id,
                                       device.id,
                                       std::string(usage_text(key.usage)),
                                       active->member ? storage::Value(active->member->to_string()) : storage::Value(nullptr),
                                       key.friendly_name,
                                       storage::Blob{active->cert.to_der()},
                                       pkcs12,
                                       sealed,
                                       format_rfc3339(Clock::system().now())};
      auto inserted = store_.with_connection([&](storage::Connection& c) -> Result<bool> {
        const storage::Value id[] = {key.key_id};
        ROADSIDE_TRY(auto rows, c.query("SELECT 1 FROM token_keys WHERE key_id = ?", id));
        if (!rows.empty()) return false;
        ROADSIDE_TRY_STATUS(c.query(
            "INSERT INTO token_keys (key_id, token_id, usage, member_id, friendly_name, certificate, key_pkcs12, key_wrapped, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params));
        return true;
      });
      if (!inserted.ok()) return std::move(inserted).error();
      if (*inserted) {
        ++added;
        log::audit("Import key", "system",
                   {{"key_id", key.key_id},
                    {"usage", usage_text(key.usage)},
                    {"certificate", active->cert.subject()},
                    {"sealed", std::holds_alternative<storage::Blob>(sealed)}});
      }
    }
  }
  return added;
}

Result<std::vector<TokenKeyInfo>> SoftToken::keys() const {
  auto rows = store_.with_connection([](storage::Connection& c) {
    return c.query("SELECT " + std::string(kKeyColumns) + " FROM token_keys ORDER BY key_id");
  });
  if (!rows.ok()) return rows.error();
  std::vector<TokenKeyInfo> out;
  for (const auto& r : *rows) {
    ROADSIDE_TRY(TokenKeyInfo k, key_info(r));
    out.push_back(std::move(k));
  }
  return out;
}

Status SoftToken::login(const std::string& pin) {
  auto rows = store_.with_connection([](storage::Connection& c) {
    return c.query("SELECT " + std::string(kKeyColumns) + ", key_pkcs12, key_wrapped FROM token_keys ORDER BY key_id");
  });
  if (!rows.ok()) return rows.error();
  auto fail = [&](Error e) -> Status {
    MutexLock lock(mu_);
    last_error_ = e.detail();
    return e;
  };
  if (rows->empty()) return fail(bad(errc::key_not_found, "the token holds no keys (import a software-token folder first)"));
  std::vector<std::shared_ptr<const OpenKey>> opened;
  std::vector<std::shared_ptr<const OpenKey>> imported;  // opened from PKCS#12: to be sealed
  std::vector<crypto::KeyWrapKey> keks;                  // one derivation per salt (one per token, usually)
  for (const auto& r : *rows) {
    auto info = key_info(r);
    if (!info.ok()) return fail(info.error());
    TokenKeyInfo k = std::move(info).value();
    Result<crypto::PrivateKey> key = bad(errc::key_not_found, "key " + k.key_id + " has no stored form");
    const std::optional<std::string> sealed = storage::as_text(r[6]);
    if (sealed) {
      const crypto::KeyWrapKey* kek = nullptr;
      for (const auto& candidate : keks) {
        if (candidate.derived_like(*sealed)) kek = &candidate;
      }
      if (!kek) {
        auto derived = crypto::KeyWrapKey::for_envelope(*sealed, pin);
        if (derived.ok()) {
          keks.push_back(std::move(derived).value());
          kek = &keks.back();
        } else {
          key = derived.error();
        }
      }
      if (kek) key = kek->unwrap(*sealed);
    } else if (auto contents = crypto::load_pkcs12(storage::as_text(r[5]).value_or(""), pin); contents.ok()) {
      key = contents->key;
    } else {
      key = contents.error();
    }
    if (!key.ok()) {
      const bool wrong_pin = key.error().code() == crypto::errc::wrong_password;
      return fail(bad(wrong_pin ? errc::pin_incorrect : errc::key_not_found,
                      wrong_pin ? "the PIN does not open key " + k.key_id + (sealed ? " (or its sealed form was altered)" : "")
                                : "key " + k.key_id + ": " + key.error().detail()));
    }
    if (!k.cert.matches_key(*key)) return fail(bad(errc::key_not_found, "key " + k.key_id + " is not the key of its certificate"));
    opened.push_back(std::make_shared<const OpenKey>(OpenKey{std::move(k), std::move(key).value()}));
    if (!sealed) imported.push_back(opened.back());
  }
  if (!imported.empty()) {
    if (auto st = seal_imported(imported, pin, keks.empty() ? nullptr : &keks.front()); !st.ok()) {
      log::warn("token keys kept as imported (PKCS#12): sealing them failed, the next login tries again",
                {{"keys", imported.size()}, {"error", st.error().detail()}});
    } else {
      log::info("token keys sealed at rest (scrypt, AES-256-GCM); their PKCS#12 files are no longer kept",
                {{"keys", imported.size()}});
    }
  }
  MutexLock lock(mu_);
  open_ = std::move(opened);
  active_ = true;
  logged_out_ = false;
  last_error_.clear();
  return {};
}

bool SoftToken::logout() {
  MutexLock lock(mu_);
  const bool was_active = active_;
  open_.clear();
  active_ = false;
  logged_out_ = true;
  last_error_.clear();
  return was_active;
}

Status SoftToken::seal_imported(const std::vector<std::shared_ptr<const OpenKey>>& keys, const std::string& pin,
                                const crypto::KeyWrapKey* kek) {
  std::optional<crypto::KeyWrapKey> fresh;
  if (!kek || kek->params() != crypto::kKeyWrapKdf) {
    ROADSIDE_TRY(crypto::KeyWrapKey derived, crypto::KeyWrapKey::derive(pin, random_));
    fresh = std::move(derived);
    kek = &*fresh;
  }
  std::vector<std::pair<std::string, std::string>> sealed;  // key id, envelope
  for (const auto& k : keys) {
    ROADSIDE_TRY(std::string bytes, kek->wrap(k->key, random_));
    // Checked before the PKCS#12 form goes: the envelope opens to this very key.
    ROADSIDE_TRY(crypto::PrivateKey back, kek->unwrap(bytes));
    if (!k->info.cert.matches_key(back)) return bad(errc::key_not_found, "key " + k->info.key_id + " does not survive sealing");
    sealed.emplace_back(k->info.key_id, std::move(bytes));
  }
  return store_.transaction([&](storage::Connection& c) -> Status {
    for (const auto& [id, bytes] : sealed) {
      const storage::Value params[] = {storage::Blob{bytes}, id};
      ROADSIDE_TRY_STATUS(
          c.query("UPDATE token_keys SET key_wrapped = ?, key_pkcs12 = NULL WHERE key_id = ? AND key_wrapped IS NULL", params));
    }
    return {};
  });
}

bool SoftToken::active() const {
  MutexLock lock(mu_);
  return active_;
}

std::optional<std::string> SoftToken::not_ready() const {
  MutexLock lock(mu_);
  if (active_) return std::nullopt;
  if (logged_out_ && last_error_.empty()) {
    return std::string("token_not_active: the software token was logged out (roadside token logout); log in with roadside token login");
  }
  return "token_not_active: the software token is not logged in (set XROAD_TOKEN_PIN, or roadside token login)" +
         (last_error_.empty() ? std::string() : "; last login: " + last_error_);
}

Result<std::shared_ptr<const OpenKey>> SoftToken::signing_key(const XRoadId& member) const {
  const XRoadId owner = member.owner_member();
  MutexLock lock(mu_);
  if (!active_) return bad(errc::token_not_active, "the token is not logged in; cannot sign for " + owner.to_string());
  for (const auto& k : open_) {
    if (k->info.usage == KeyUsage::signing && k->info.member && *k->info.member == owner) return k;
  }
  return bad(errc::key_not_found, "no signing key for " + owner.to_string() + " in the token");
}

Result<std::shared_ptr<const OpenKey>> SoftToken::auth_key() const {
  MutexLock lock(mu_);
  if (!active_) return bad(errc::token_not_active, "the token is not logged in; no authentication key");
  for (const auto& k : open_) {
    if (k->info.usage == KeyUsage::authentication) return k;
  }
  return bad(errc::key_not_found, "no authentication key in the token");
}

}  // namespace roadside::signer
