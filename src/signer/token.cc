#include "signer/token.h"

#include "base/clock.h"
#include "base/log.h"

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

Result<int> SoftToken::import_folder(const std::filesystem::path& dir) {
  ROADSIDE_TRY(Keyconf conf, read_keyconf(dir));
  int added = 0;
  for (const auto& device : conf.devices) {
    if (device.type != "softToken") continue;
    for (const auto& key : device.keys) {
      const KeyconfCert* active = nullptr;
      for (const auto& c : key.certs) {
        if (c.active) active = &c;
      }
      if (!active) continue;  // a key without a certificate cannot be used yet
      ROADSIDE_TRY(std::string p12, read_soft_token_key_file(dir, key.key_id));
      const storage::Value params[] = {key.key_id,
                                       device.id,
                                       std::string(usage_text(key.usage)),
                                       active->member ? storage::Value(active->member->to_string()) : storage::Value(nullptr),
                                       key.friendly_name,
                                       storage::Blob{active->cert.to_der()},
                                       storage::Blob{p12},
                                       format_rfc3339(Clock::system().now())};
      auto inserted = store_.with_connection([&](storage::Connection& c) -> Result<bool> {
        const storage::Value id[] = {key.key_id};
        ROADSIDE_TRY(auto rows, c.query("SELECT 1 FROM token_keys WHERE key_id = ?", id));
        if (!rows.empty()) return false;
        ROADSIDE_TRY_STATUS(c.query(
            "INSERT INTO token_keys (key_id, token_id, usage, member_id, friendly_name, certificate, key_pkcs12, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            params));
        return true;
      });
      if (!inserted.ok()) return std::move(inserted).error();
      if (*inserted) {
        ++added;
        log::audit("Import key", "system",
                   {{"key_id", key.key_id}, {"usage", usage_text(key.usage)}, {"certificate", active->cert.subject()}});
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
    return c.query("SELECT " + std::string(kKeyColumns) + ", key_pkcs12 FROM token_keys ORDER BY key_id");
  });
  if (!rows.ok()) return rows.error();
  auto fail = [&](Error e) -> Status {
    std::lock_guard lock(mu_);
    last_error_ = e.detail();
    return e;
  };
  if (rows->empty()) return fail(bad(errc::key_not_found, "the token holds no keys (import a software-token folder first)"));
  std::vector<std::shared_ptr<const OpenKey>> opened;
  for (const auto& r : *rows) {
    auto info = key_info(r);
    if (!info.ok()) return fail(info.error());
    TokenKeyInfo k = std::move(info).value();
    auto contents = crypto::load_pkcs12(storage::as_text(r[5]).value_or(""), pin);
    if (!contents.ok()) {
      const bool wrong_pin = contents.error().code() == crypto::errc::wrong_password;
      return fail(bad(wrong_pin ? errc::pin_incorrect : errc::key_not_found,
                      wrong_pin ? "the PIN does not open key " + k.key_id : "key " + k.key_id + ": " + contents.error().detail()));
    }
    if (!k.cert.matches_key(contents->key)) return fail(bad(errc::key_not_found, "key " + k.key_id + " is not the key of its certificate"));
    opened.push_back(std::make_shared<const OpenKey>(OpenKey{std::move(k), contents->key}));
  }
  std::lock_guard lock(mu_);
  open_ = std::move(opened);
  active_ = true;
  last_error_.clear();
  return {};
}

bool SoftToken::active() const {
  std::lock_guard lock(mu_);
  return active_;
}

std::optional<std::string> SoftToken::not_ready() const {
  std::lock_guard lock(mu_);
  if (active_) return std::nullopt;
  return "token_not_active: the software token is not logged in (set XROAD_TOKEN_PIN, or roadside token login)" +
         (last_error_.empty() ? std::string() : "; last login: " + last_error_);
}

Result<std::shared_ptr<const OpenKey>> SoftToken::signing_key(const XRoadId& member) const {
  const XRoadId owner = member.owner_member();
  std::lock_guard lock(mu_);
  if (!active_) return bad(errc::token_not_active, "the token is not logged in; cannot sign for " + owner.to_string());
  for (const auto& k : open_) {
    if (k->info.usage == KeyUsage::signing && k->info.member && *k->info.member == owner) return k;
  }
  return bad(errc::key_not_found, "no signing key for " + owner.to_string() + " in the token");
}

Result<std::shared_ptr<const OpenKey>> SoftToken::auth_key() const {
  std::lock_guard lock(mu_);
  if (!active_) return bad(errc::token_not_active, "the token is not logged in; no authentication key");
  for (const auto& k : open_) {
    if (k->info.usage == KeyUsage::authentication) return k;
  }
  return bad(errc::key_not_found, "no authentication key in the token");
}

}  // namespace roadside::signer
