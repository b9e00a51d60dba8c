#include "signer/token.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <variant>

#include "base/clock.h"
#include "base/log.h"
#include "crypto/csr.h"
#include "crypto/encoding.h"

namespace roadside::signer {

namespace {

Error bad(errc e, std::string detail) {
  return Error(make_error_code(e), std::move(detail));
}

constexpr std::string_view kPinVerifier = "token.pin_verifier";

constexpr std::array<std::string_view, 5> kStatusNames = {"SAVED", "REGISTRATION_IN_PROGRESS", "REGISTERED",
                                                          "DELETION_IN_PROGRESS", "GLOBAL_ERROR"};

std::optional<KeyUsage> usage_of(const storage::Value& v) {
  auto text = storage::as_text(v);
  if (!text) return std::nullopt;
  return *text == "SIGNING" ? KeyUsage::signing : KeyUsage::authentication;
}

Result<std::optional<XRoadId>> member_of(const storage::Value& v) {
  auto text = storage::as_text(v);
  if (!text) return std::optional<XRoadId>();
  ROADSIDE_TRY(XRoadId id, XRoadId::parse(*text));
  return std::optional<XRoadId>(id);
}

storage::Value member_value(const std::optional<XRoadId>& member) {
  return member ? storage::Value(member->to_string()) : storage::Value(nullptr);
}

// keyconf.xml's states ("registered", "registration in progress", ...) as X-Road's enum.
CertStatus keyconf_status(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = c == ' ' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return parse_cert_status(upper).value_or(CertStatus::saved);
}

// The certificate usable now among `certs` of one usage (and member): the newest active,
// registered one.
const TokenCert* newest_usable(const std::vector<const TokenCert*>& certs) {
  const TokenCert* best = nullptr;
  const auto now = std::chrono::system_clock::now();
  for (const TokenCert* c : certs) {
    if (!c->active || c->status != CertStatus::registered) continue;
    if (c->cert.not_before() > now || c->cert.not_after() < now) continue;  // not valid now
    if (!best || c->cert.not_before() > best->cert.not_before()) best = c;
  }
  return best;
}

}  // namespace

std::string_view cert_status_name(CertStatus status) noexcept {
  return kStatusNames[static_cast<std::size_t>(status)];
}

std::optional<CertStatus> parse_cert_status(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == name) return static_cast<CertStatus>(i);
  }
  return std::nullopt;
}

std::string normalized_cert_hash(std::string hash) {
  for (char& c : hash) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
  return hash;
}

std::string_view key_usage_name(KeyUsage usage) noexcept {
  return usage == KeyUsage::signing ? "SIGNING" : "AUTHENTICATION";
}

Result<int> SoftToken::import_folder(const std::filesystem::path& dir, const std::string& pin) {
  ROADSIDE_TRY(Keyconf conf, read_keyconf(dir));
  std::optional<crypto::KeyWrapKey> kek;  // derived once, at the first key the PIN opens
  int added = 0;
  for (const auto& device : conf.devices) {
    if (device.type != "softToken") continue;
    for (const auto& key : device.keys) {
      if (key.certs.empty()) continue;  // a key without a certificate was never usable in X-Road either
      auto present = store_.with_connection([&](storage::Connection& c) {
        const storage::Value id[] = {key.key_id};
        return c.query("SELECT 1 FROM token_keys WHERE key_id = ?", id);
      });
      if (!present.ok()) return std::move(present).error();
      if (!present->empty()) continue;
      ROADSIDE_TRY(std::string p12, read_soft_token_key_file(dir, key.key_id));
      storage::Value pkcs12 = storage::Blob{p12};
      storage::Value sealed = nullptr;
      storage::Value public_key = storage::Blob{key.certs.front().cert.public_key_der()};
      if (!pin.empty()) {
        auto contents = crypto::load_pkcs12(p12, pin);
        if (contents.ok() && key.certs.front().cert.matches_key(contents->key)) {
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
      const storage::Value params[] = {
          key.key_id, device.id, std::string(key_usage_name(key.usage)), key.friendly_name, public_key,
          pkcs12,     sealed,    format_rfc3339(Clock::system().now())};
      auto inserted = store_.transaction([&](storage::Connection& c) -> Status {
        ROADSIDE_TRY_STATUS(
            c.query("INSERT INTO token_keys (key_id, token_id, usage, friendly_name, public_key, key_pkcs12, "
                    "key_wrapped, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    params));
        for (const auto& cert : key.certs) {
          const storage::Value row[] = {key.key_id, member_value(cert.member), storage::Blob{cert.cert.to_der()},
                                        std::int64_t{cert.active ? 1 : 0},
                                        std::string(cert_status_name(keyconf_status(cert.status)))};
          ROADSIDE_TRY_STATUS(c.query(
              "INSERT INTO token_certificates (key_id, member_id, certificate, active, status) VALUES (?, ?, ?, ?, ?)",
              row));
        }
        return {};
      });
      if (!inserted.ok()) return inserted.error();
      ++added;
      log::audit("Import key", "system",
                 {{"key_id", key.key_id},
                  {"usage", key_usage_name(key.usage)},
                  {"certificates", key.certs.size()},
                  {"sealed", std::holds_alternative<storage::Blob>(sealed)}});
    }
  }
  if (added > 0) ROADSIDE_TRY_STATUS(changed({}));
  return added;
}

Status SoftToken::initialize(const std::string& pin) {
  if (pin.empty()) return bad(errc::pin_incorrect, "the token PIN cannot be empty");
  ROADSIDE_TRY(bool done, initialized());
  if (done) return bad(errc::pin_incorrect, "the software token already has a PIN");
  ROADSIDE_TRY(crypto::KeyWrapKey kek, crypto::KeyWrapKey::derive(pin, random_));
  ROADSIDE_TRY(crypto::PrivateKey verifier, crypto::PrivateKey::generate(crypto::KeyType::ec_p256));
  ROADSIDE_TRY(std::string envelope, kek.wrap(verifier, random_));
  ROADSIDE_TRY(std::string stored, store_.put_setting_if_absent(kPinVerifier, crypto::base64_encode(envelope)));
  if (stored != crypto::base64_encode(envelope))
    return bad(errc::pin_incorrect, "the software token already has a PIN");
  log::audit("Initialize software token", "system");
  return login(pin);
}

Result<bool> SoftToken::initialized() const {
  ROADSIDE_TRY(auto verifier, store_.get_setting(kPinVerifier));
  if (verifier) return true;
  auto rows = store_.with_connection(
      [](storage::Connection& c) { return c.query("SELECT 1 FROM token_keys WHERE token_id = '0' LIMIT 1"); });
  if (!rows.ok()) return rows.error();
  return !rows->empty();
}

Result<std::vector<TokenKey>> SoftToken::contents() const {
  auto read = store_.with_connection([](storage::Connection& c) -> Result<std::array<std::vector<storage::Row>, 3>> {
    std::array<std::vector<storage::Row>, 3> out;
    ROADSIDE_TRY(out[0],
                 c.query("SELECT key_id, usage, friendly_name, label, public_key, token_id FROM token_keys ORDER BY "
                         "created_at, key_id"));
    ROADSIDE_TRY(
        out[1],
        c.query("SELECT key_id, member_id, certificate, active, status FROM token_certificates ORDER BY cert_id"));
    ROADSIDE_TRY(out[2], c.query("SELECT csr_id, key_id, usage, member_id, subject, profile, csr FROM token_csrs ORDER "
                                 "BY created_at, csr_id"));
    return out;
  });
  if (!read.ok()) return read.error();
  const auto& [key_rows, cert_rows, csr_rows] = *read;
  std::vector<TokenKey> keys;
  std::map<std::string, std::size_t> index;
  for (const auto& r : key_rows) {
    TokenKey k;
    k.key_id = storage::as_text(r[0]).value_or("");
    k.usage = usage_of(r[1]);
    k.friendly_name = storage::as_text(r[2]).value_or("");
    k.label = storage::as_text(r[3]).value_or("");
    k.public_key = storage::as_text(r[4]).value_or("");
    k.token_id = storage::as_text(r[5]).value_or(std::string(kTokenId));
    index[k.key_id] = keys.size();
    keys.push_back(std::move(k));
  }
  for (const auto& r : cert_rows) {
    auto at = index.find(storage::as_text(r[0]).value_or(""));
    if (at == index.end()) continue;
    ROADSIDE_TRY(auto member, member_of(r[1]));
    ROADSIDE_TRY(crypto::Certificate cert, crypto::Certificate::from_der(storage::as_text(r[2]).value_or("")));
    TokenKey& k = keys[at->second];
    k.ec = cert.is_ec_key();
    k.certs.push_back(TokenCert{k.key_id, std::move(member), std::move(cert), storage::as_int(r[3]).value_or(0) != 0,
                                parse_cert_status(storage::as_text(r[4]).value_or("")).value_or(CertStatus::saved)});
  }
  for (const auto& r : csr_rows) {
    auto at = index.find(storage::as_text(r[1]).value_or(""));
    if (at == index.end()) continue;
    ROADSIDE_TRY(auto member, member_of(r[3]));
    keys[at->second].csrs.push_back(TokenCsr{storage::as_text(r[0]).value_or(""), keys[at->second].key_id,
                                             usage_of(r[2]).value_or(KeyUsage::signing), std::move(member),
                                             storage::as_text(r[4]).value_or(""), storage::as_text(r[5]).value_or(""),
                                             storage::as_text(r[6]).value_or("")});
  }
  return keys;
}

namespace {

// The certificates `key` is used with now: for a signing key the newest usable one of each
// member, for an authentication key the newest usable one.
std::vector<TokenKeyInfo> in_use(const TokenKey& key) {
  std::vector<TokenKeyInfo> out;
  if (!key.usage) return out;
  std::map<std::string, std::vector<const TokenCert*>> groups;
  for (const auto& c : key.certs) {
    if (*key.usage == KeyUsage::signing && !c.member) continue;
    groups[c.member ? c.member->to_string() : std::string()].push_back(&c);
  }
  for (const auto& [member, certs] : groups) {
    if (const TokenCert* use = newest_usable(certs))
      out.push_back({key.key_id, *key.usage, use->member, key.friendly_name, use->cert});
  }
  return out;
}

}  // namespace

std::vector<std::shared_ptr<const OpenKey>> SoftToken::usable(const std::vector<TokenKey>& contents,
                                                              const std::map<std::string, crypto::PrivateKey>& opened) {
  std::vector<std::shared_ptr<const OpenKey>> out;
  for (const auto& k : contents) {
    auto key = opened.find(k.key_id);
    if (key == opened.end()) continue;
    for (auto& info : in_use(k)) out.push_back(std::make_shared<const OpenKey>(OpenKey{std::move(info), key->second}));
  }
  return out;
}

Result<std::vector<TokenKeyInfo>> SoftToken::keys() const {
  ROADSIDE_TRY(auto all, contents());
  std::vector<TokenKeyInfo> out;
  for (const auto& k : all) {
    for (auto& info : in_use(k)) out.push_back(std::move(info));
  }
  return out;
}

Status SoftToken::login(const std::string& pin) {
  auto rows = store_.with_connection([](storage::Connection& c) {
    return c.query(
        "SELECT key_id, public_key, key_pkcs12, key_wrapped FROM token_keys WHERE token_id = '0' ORDER BY "
        "key_id");
  });
  if (!rows.ok()) return rows.error();
  auto fail = [&](Error e) -> Status {
    MutexLock lock(mu_);
    last_error_ = e.detail();
    return e;
  };
  std::vector<crypto::KeyWrapKey> keks;  // one derivation per salt (one per token, usually)
  // The key-encryption key of an envelope, derived once per salt.
  auto kek_for = [&](std::string_view envelope) -> Result<const crypto::KeyWrapKey*> {
    for (const auto& candidate : keks) {
      if (candidate.derived_like(envelope)) return &candidate;
    }
    ROADSIDE_TRY(crypto::KeyWrapKey derived, crypto::KeyWrapKey::for_envelope(envelope, pin));
    keks.push_back(std::move(derived));
    return &keks.back();
  };
  auto verifier = store_.get_setting(kPinVerifier);
  if (!verifier.ok()) return fail(verifier.error());
  if (rows->empty() && !*verifier) {
    return fail(
        bad(errc::key_not_found,
            "the token holds no keys and has no PIN (initialize the server, or import a software-token folder)"));
  }
  if (*verifier) {
    auto envelope = crypto::base64_decode(**verifier);
    Result<crypto::PrivateKey> opened = bad(errc::key_not_found, "the token's PIN verifier is not readable");
    if (envelope.ok()) {
      auto kek = kek_for(*envelope);
      opened = kek.ok() ? (*kek)->unwrap(*envelope) : Result<crypto::PrivateKey>(kek.error());
    }
    if (!opened.ok()) {
      const bool wrong_pin = opened.error().code() == crypto::errc::wrong_password;
      return fail(bad(wrong_pin ? errc::pin_incorrect : errc::key_not_found,
                      wrong_pin ? std::string("the PIN is not the token's") : opened.error().detail()));
    }
  }
  std::map<std::string, crypto::PrivateKey> opened;
  std::vector<std::pair<std::string, crypto::PrivateKey>> imported;  // opened from PKCS#12: to be sealed
  std::vector<std::pair<std::string, std::string>> public_keys;      // to record where missing
  for (const auto& r : *rows) {
    const std::string key_id = storage::as_text(r[0]).value_or("");
    Result<crypto::PrivateKey> key = bad(errc::key_not_found, "key " + key_id + " has no stored form");
    const std::optional<std::string> sealed = storage::as_text(r[3]);
    if (sealed) {
      auto kek = kek_for(*sealed);
      key = kek.ok() ? (*kek)->unwrap(*sealed) : Result<crypto::PrivateKey>(kek.error());
    } else if (auto contents = crypto::load_pkcs12(storage::as_text(r[2]).value_or(""), pin); contents.ok()) {
      key = contents->key;
    } else {
      key = contents.error();
    }
    if (!key.ok()) {
      const bool wrong_pin = key.error().code() == crypto::errc::wrong_password;
      return fail(bad(wrong_pin ? errc::pin_incorrect : errc::key_not_found,
                      wrong_pin
                          ? "the PIN does not open key " + key_id + (sealed ? " (or its sealed form was altered)" : "")
                          : "key " + key_id + ": " + key.error().detail()));
    }
    const std::optional<std::string> public_key = storage::as_text(r[1]);
    if (public_key && *public_key != key->public_key_der()) {
      return fail(bad(errc::key_not_found, "key " + key_id + " is not the key of its certificates"));
    }
    if (!public_key) public_keys.emplace_back(key_id, key->public_key_der());
    if (!sealed) imported.emplace_back(key_id, *key);
    opened.emplace(key_id, std::move(key).value());
  }
  std::optional<crypto::KeyWrapKey> kek;
  if (!keks.empty()) kek = keks.front();
  if (!imported.empty()) {
    if (auto st = seal_imported(imported, pin, kek ? &*kek : nullptr); !st.ok()) {
      log::warn("token keys kept as imported (PKCS#12): sealing them failed, the next login tries again",
                {{"keys", imported.size()}, {"error", st.error().detail()}});
    } else {
      log::info("token keys sealed at rest (scrypt, AES-256-GCM); their PKCS#12 files are no longer kept",
                {{"keys", imported.size()}});
    }
  }
  if (!kek) {
    auto derived = crypto::KeyWrapKey::derive(pin, random_);
    if (!derived.ok()) return fail(derived.error());
    kek = std::move(derived).value();
  }
  for (const auto& [key_id, der] : public_keys) {
    const storage::Value params[] = {storage::Blob{der}, key_id};
    (void)store_.with_connection([&](storage::Connection& c) {
      return c.query("UPDATE token_keys SET public_key = ? WHERE key_id = ?", params);
    });
  }
  auto all = contents();
  if (!all.ok()) return fail(all.error());
  auto hardware = hardware_keys(*all);
  MutexLock lock(mu_);
  opened_ = std::move(opened);
  kek_ = std::move(kek);
  active_ = true;
  rebuild(*all, std::move(hardware));
  logged_out_ = false;
  last_error_.clear();
  return {};
}

bool SoftToken::logout() {
  MutexLock lock(mu_);
  const bool was_active = active_;
  for (auto it = open_.begin(); it != open_.end();) {  // the hardware tokens' keys stay usable
    it = hardware_keys_.contains((*it)->info.key_id) ? std::next(it) : open_.erase(it);
  }
  opened_.clear();
  kek_.reset();
  active_ = false;
  logged_out_ = true;
  last_error_.clear();
  return was_active;
}

Status SoftToken::reload() {
  ROADSIDE_TRY(auto all, contents());
  auto hardware = hardware_keys(all);
  std::map<std::string, std::string> sealed;  // software keys not opened yet: their envelopes
  {
    MutexLock lock(mu_);
    for (const auto& k : all) {
      if (active_ && k.token_id == kTokenId && !opened_.contains(k.key_id)) sealed[k.key_id];
    }
  }
  for (auto& [key_id, envelope] : sealed) {
    const storage::Value id[] = {key_id};
    auto rows = store_.with_connection(
        [&](storage::Connection& c) { return c.query("SELECT key_wrapped FROM token_keys WHERE key_id = ?", id); });
    if (rows.ok() && !rows->empty()) envelope = storage::as_text(rows->front()[0]).value_or("");
  }
  MutexLock lock(mu_);
  if (active_) {
    for (const auto& [key_id, envelope] : sealed) {
      if (envelope.empty() || !kek_ || !kek_->derived_like(envelope)) continue;  // opened at the next login
      if (auto key = kek_->unwrap(envelope); key.ok()) opened_.emplace(key_id, std::move(key).value());
    }
    std::erase_if(opened_, [&](const auto& entry) {
      return std::none_of(all.begin(), all.end(), [&](const TokenKey& k) { return k.key_id == entry.first; });
    });
  }
  rebuild(all, std::move(hardware));
  return {};
}

void SoftToken::attach(HardwareKeys* hardware) {
  {
    MutexLock lock(mu_);
    hardware_ = hardware;
  }
  if (auto st = reload(); !st.ok())
    log::warn("token: cannot read the keys after attaching hardware tokens", {{"error", st.error().detail()}});
}

std::map<std::string, crypto::PrivateKey> SoftToken::hardware_keys(const std::vector<TokenKey>& contents) const {
  HardwareKeys* hardware = nullptr;
  {
    MutexLock lock(mu_);
    hardware = hardware_;
  }
  std::map<std::string, crypto::PrivateKey> out;
  if (!hardware) return out;
  for (const auto& k : contents) {
    if (k.token_id == kTokenId || k.public_key.empty()) continue;
    auto key = hardware->key(k.token_id, k.key_id, k.public_key);
    if (key.ok()) out.emplace(k.key_id, std::move(key).value());
  }
  return out;
}

void SoftToken::rebuild(const std::vector<TokenKey>& contents, std::map<std::string, crypto::PrivateKey> hardware) {
  hardware_keys_ = std::move(hardware);
  token_of_.clear();
  soft_keys_ = 0;
  for (const auto& k : contents) {
    if (k.token_id != kTokenId) {
      token_of_[k.key_id] = k.token_id;
    } else {
      ++soft_keys_;
    }
  }
  std::map<std::string, crypto::PrivateKey> keys = hardware_keys_;
  if (active_) keys.insert(opened_.begin(), opened_.end());
  open_ = usable(contents, keys);
}

Result<std::shared_ptr<const OpenKey>> SoftToken::pick(const std::vector<std::shared_ptr<const OpenKey>>& candidates,
                                                       const std::string& what) const {
  // The newest whose token can sign; when none can, why the newest cannot.
  std::shared_ptr<const OpenKey> best, newest;
  std::optional<Error> refusal;
  for (const auto& k : candidates) {
    if (!newest || k->info.cert.not_before() > newest->info.cert.not_before()) newest = k;
  }
  for (const auto& k : candidates) {
    std::optional<Error> why;
    if (auto token = token_of_.find(k->info.key_id); token != token_of_.end()) {
      const auto state = hardware_ ? hardware_->state(token->second) : std::nullopt;
      if (!state || !state->available) {
        why = bad(errc::token_not_available, "the hardware token " + token->second + " holding the " + what + " (key " +
                                                 k->info.key_id + ") is not available");
      } else if (!state->active) {
        why = bad(errc::token_not_active, "the hardware token " + token->second + " holding the " + what + " (key " +
                                              k->info.key_id + ") is not logged in");
      }
    }
    if (why) {
      if (k == newest) refusal = std::move(why);
      continue;
    }
    if (!best || k->info.cert.not_before() > best->info.cert.not_before()) best = k;
  }
  if (best) return best;
  return *refusal;
}

Status SoftToken::changed(Status result) {
  if (!result.ok()) return result;
  if (auto st = reload(); !st.ok())
    log::warn("token: cannot read the keys again after a change", {{"error", st.error().detail()}});
  return result;
}

Result<crypto::PrivateKey> SoftToken::opened_key(const std::string& key_id) const {
  MutexLock lock(mu_);
  if (auto token = token_of_.find(key_id); token != token_of_.end()) {
    const auto state = hardware_ ? hardware_->state(token->second) : std::nullopt;
    if (!state || !state->available)
      return bad(errc::token_not_available, "the hardware token " + token->second + " is not available");
    if (!state->active) return bad(errc::token_not_active, "the hardware token " + token->second + " is not logged in");
    auto key = hardware_keys_.find(key_id);
    if (key == hardware_keys_.end()) return bad(errc::key_not_found, "no key " + key_id + " on its token");
    return key->second;
  }
  if (!active_) return bad(errc::token_not_active, "the token is not logged in");
  auto it = opened_.find(key_id);
  if (it == opened_.end()) return bad(errc::key_not_found, "no key " + key_id + " in the token");
  return it->second;
}

Status SoftToken::insert_key(const std::string& key_id, const std::string& token_id, const std::string& label,
                             const std::string& public_key_der, storage::Value wrapped) {
  const storage::Value params[] = {key_id,
                                   token_id,
                                   label.empty() ? key_id : label,
                                   label,
                                   storage::Blob{public_key_der},
                                   std::move(wrapped),
                                   format_rfc3339(Clock::system().now())};
  auto inserted = store_.with_connection([&](storage::Connection& c) {
    return c.query(
        "INSERT INTO token_keys (key_id, token_id, friendly_name, label, public_key, key_wrapped, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        params);
  });
  if (!inserted.ok()) return inserted.error();
  return {};
}

Result<TokenKey> SoftToken::generate_key(const std::string& label, crypto::KeyType type, const std::string& token_id) {
  if (token_id != kTokenId) {
    HardwareKeys* hardware = nullptr;
    {
      MutexLock lock(mu_);
      hardware = hardware_;
    }
    if (!hardware || !hardware->state(token_id))
      return bad(errc::token_not_available, "no hardware token " + token_id + " is configured");
    ROADSIDE_TRY(HardwareKeys::Generated made, hardware->generate(token_id, label, type));
    if (auto inserted = insert_key(made.key_id, token_id, label, made.public_key_der, nullptr); !inserted.ok()) {
      (void)hardware->destroy(token_id, made.key_id);  // nothing left on the device that no row names
      return inserted.error();
    }
    ROADSIDE_TRY_STATUS(changed({}));
    TokenKey key{made.key_id,
                 token_id,
                 std::nullopt,
                 label.empty() ? made.key_id : label,
                 label,
                 type == crypto::KeyType::ec_p256 || type == crypto::KeyType::ec_p384,
                 made.public_key_der,
                 {},
                 {}};
    return key;
  }
  std::optional<crypto::KeyWrapKey> kek;
  {
    MutexLock lock(mu_);
    if (!active_ || !kek_) return bad(errc::token_not_active, "the token is not logged in; log in to generate a key");
    kek = kek_;
  }
  ROADSIDE_TRY(crypto::PrivateKey key, crypto::PrivateKey::generate(type));
  ROADSIDE_TRY(std::string envelope, kek->wrap(key, random_));
  const std::string key_id = new_key_id();
  ROADSIDE_TRY_STATUS(insert_key(key_id, std::string(kTokenId), label, key.public_key_der(), storage::Blob{envelope}));
  {
    MutexLock lock(mu_);
    opened_.emplace(key_id, key);
  }
  TokenKey made{key_id, std::string(kTokenId), std::nullopt,         label.empty() ? key_id : label,
                label,  key.is_ec_key(),       key.public_key_der(), {},
                {}};
  return made;
}

Status SoftToken::rename_key(const std::string& key_id, const std::string& friendly_name) {
  const storage::Value params[] = {friendly_name, key_id};
  auto rows = store_.with_connection([&](storage::Connection& c) {
    return c.query("UPDATE token_keys SET friendly_name = ? WHERE key_id = ? RETURNING key_id", params);
  });
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return bad(errc::key_not_found, "no key " + key_id + " in the token");
  return changed({});
}

Status SoftToken::delete_key(const std::string& key_id) {
  std::string token;
  HardwareKeys* hardware = nullptr;
  {
    MutexLock lock(mu_);
    if (auto it = token_of_.find(key_id); it != token_of_.end()) token = it->second;
    hardware = hardware_;
  }
  if (!token.empty()) {
    if (hardware && hardware->state(token)) {
      ROADSIDE_TRY_STATUS(hardware->destroy(token, key_id));
    } else {
      // A token no device lists any more (taken out of service): its row goes, and the device
      // keeps what it holds.
      log::warn("key deleted from the database only: no configured device lists its token",
                {{"key_id", key_id}, {"token", token}});
    }
  }
  auto done = store_.transaction([&](storage::Connection& c) -> Status {
    const storage::Value id[] = {key_id};
    ROADSIDE_TRY(auto rows, c.query("DELETE FROM token_keys WHERE key_id = ? RETURNING key_id", id));
    if (rows.empty()) return bad(errc::key_not_found, "no key " + key_id + " in the token");
    ROADSIDE_TRY_STATUS(c.query("DELETE FROM token_certificates WHERE key_id = ?", id));
    ROADSIDE_TRY_STATUS(c.query("DELETE FROM token_csrs WHERE key_id = ?", id));
    return {};
  });
  return changed(done);
}

Result<TokenCsr> SoftToken::make_csr(const std::string& key_id, KeyUsage usage, const std::optional<XRoadId>& member,
                                     const std::vector<std::pair<std::string, std::string>>& subject,
                                     const std::string& profile, const std::string& dns_name) {
  ROADSIDE_TRY(crypto::PrivateKey key, opened_key(key_id));
  ROADSIDE_TRY(auto all, contents());
  auto it = std::find_if(all.begin(), all.end(), [&](const TokenKey& k) { return k.key_id == key_id; });
  if (it == all.end()) return bad(errc::key_not_found, "no key " + key_id + " in the token");
  if (it->usage && *it->usage != usage) {
    return bad(errc::key_usage_mismatch, "key " + key_id + " is a " + std::string(key_usage_name(*it->usage)) +
                                             " key; a " + std::string(key_usage_name(usage)) +
                                             " CSR needs a key of its own");
  }
  if (usage == KeyUsage::signing && (!member || member->type() != ObjectType::member)) {
    return bad(errc::member_required, "a signing CSR needs the member (not a subsystem) it is for");
  }
  crypto::CsrOptions options;
  options.key_usage = usage == KeyUsage::signing ? crypto::CsrKeyUsage::sign : crypto::CsrKeyUsage::auth;
  options.dns_name = dns_name;
  ROADSIDE_TRY(std::string der, crypto::make_csr(key, subject, options));
  ROADSIDE_TRY(crypto::CertificateRequest request, crypto::CertificateRequest::from_der(der));
  TokenCsr made{new_key_id(),      key_id,  usage,         usage == KeyUsage::signing ? member : std::nullopt,
                request.subject(), profile, std::move(der)};
  auto done = store_.transaction([&](storage::Connection& c) -> Status {
    const storage::Value row[] = {made.csr_id,
                                  made.key_id,
                                  std::string(key_usage_name(usage)),
                                  member_value(made.member),
                                  made.subject,
                                  made.profile,
                                  storage::Blob{made.der}};
    ROADSIDE_TRY_STATUS(c.query(
        "INSERT INTO token_csrs (csr_id, key_id, usage, member_id, subject, profile, csr) VALUES (?, ?, ?, ?, ?, ?, ?)",
        row));
    const storage::Value set_usage[] = {std::string(key_usage_name(usage)), key_id};
    ROADSIDE_TRY_STATUS(c.query("UPDATE token_keys SET usage = ? WHERE key_id = ? AND usage IS NULL", set_usage));
    return {};
  });
  ROADSIDE_TRY_STATUS(changed(done));
  return made;
}

Status SoftToken::delete_csr(const std::string& key_id, const std::string& csr_id) {
  const storage::Value id[] = {csr_id, key_id};
  auto rows = store_.with_connection([&](storage::Connection& c) {
    return c.query("DELETE FROM token_csrs WHERE csr_id = ? AND key_id = ? RETURNING csr_id", id);
  });
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return bad(errc::csr_not_found, "key " + key_id + " has no CSR " + csr_id);
  return {};
}

Result<TokenCert> SoftToken::import_certificate(const crypto::Certificate& cert, const std::optional<XRoadId>& member) {
  ROADSIDE_TRY(auto all, contents());
  const std::string hash = cert.sha256_hex();
  for (const auto& k : all) {
    for (const auto& c : k.certs) {
      if (c.hash() == hash)
        return bad(errc::cert_exists, "the certificate is already in the token (key " + k.key_id + ")");
    }
  }
  // The key with the certificate's public key.
  const std::string public_key = cert.public_key_der();
  auto rows = store_.with_connection(
      [](storage::Connection& c) { return c.query("SELECT key_id, public_key FROM token_keys ORDER BY key_id"); });
  if (!rows.ok()) return rows.error();
  const TokenKey* key = nullptr;
  for (const auto& r : *rows) {
    if (storage::as_text(r[1]).value_or("") != public_key) continue;
    const std::string id = storage::as_text(r[0]).value_or("");
    for (const auto& k : all) {
      if (k.key_id == id) key = &k;
    }
  }
  if (!key)
    return bad(errc::key_not_found, "no key of the token has this certificate's public key (" + cert.subject() + ")");
  const KeyUsage usage = key->usage.value_or(cert.is_auth_cert() ? KeyUsage::authentication : KeyUsage::signing);
  if ((usage == KeyUsage::authentication) != cert.is_auth_cert()) {
    return bad(errc::key_usage_mismatch, "key " + key->key_id + " is a " + std::string(key_usage_name(usage)) +
                                             " key; the certificate is not one for it");
  }
  std::optional<XRoadId> owner = member;
  if (usage == KeyUsage::signing && !owner) {
    for (const auto& csr : key->csrs) {
      if (csr.usage == KeyUsage::signing && csr.member && csr.subject == cert.subject()) owner = csr.member;
    }
    for (const auto& csr : key->csrs) {
      if (!owner && csr.usage == KeyUsage::signing && csr.member) owner = csr.member;
    }
  }
  if (usage == KeyUsage::signing && !owner) {
    return bad(errc::member_required, "a signing certificate needs its member: the key has no CSR naming one");
  }
  if (usage == KeyUsage::authentication) owner.reset();
  TokenCert made{key->key_id, owner, cert, usage == KeyUsage::signing,
                 usage == KeyUsage::signing ? CertStatus::registered : CertStatus::saved};
  auto done = store_.transaction([&](storage::Connection& c) -> Status {
    const storage::Value row[] = {made.key_id, member_value(made.member), storage::Blob{cert.to_der()},
                                  std::int64_t{made.active ? 1 : 0}, std::string(cert_status_name(made.status))};
    ROADSIDE_TRY_STATUS(c.query(
        "INSERT INTO token_certificates (key_id, member_id, certificate, active, status) VALUES (?, ?, ?, ?, ?)", row));
    const storage::Value set_usage[] = {std::string(key_usage_name(usage)), made.key_id};
    ROADSIDE_TRY_STATUS(c.query("UPDATE token_keys SET usage = ? WHERE key_id = ? AND usage IS NULL", set_usage));
    // The CSRs this certificate answers.
    const storage::Value csrs[] = {made.key_id, member_value(made.member)};
    if (made.member) {
      ROADSIDE_TRY_STATUS(c.query("DELETE FROM token_csrs WHERE key_id = ? AND member_id = ?", csrs));
    } else {
      ROADSIDE_TRY_STATUS(c.query("DELETE FROM token_csrs WHERE key_id = ? AND member_id IS NULL",
                                  std::span<const storage::Value>(csrs, 1)));
    }
    return {};
  });
  ROADSIDE_TRY_STATUS(changed(done));
  return made;
}

namespace {

// The row id of the certificate with X-Road's hash `hash` (any case), or key_not_found.
Result<std::int64_t> cert_row(storage::Connection& c, const std::string& hash) {
  const std::string upper = normalized_cert_hash(hash);
  ROADSIDE_TRY(auto rows, c.query("SELECT cert_id, certificate FROM token_certificates"));
  for (const auto& r : rows) {
    auto cert = crypto::Certificate::from_der(storage::as_text(r[1]).value_or(""));
    if (cert.ok() && cert->sha256_hex() == upper) return storage::as_int(r[0]).value_or(0);
  }
  return Error(make_error_code(errc::cert_not_found), "no certificate " + hash + " in the token");
}

}  // namespace

Status SoftToken::set_active(const std::string& cert_hash, bool active) {
  auto done = store_.transaction([&](storage::Connection& c) -> Status {
    ROADSIDE_TRY(std::int64_t id, cert_row(c, cert_hash));
    const storage::Value params[] = {std::int64_t{active ? 1 : 0}, id};
    ROADSIDE_TRY_STATUS(c.query("UPDATE token_certificates SET active = ? WHERE cert_id = ?", params));
    return {};
  });
  return changed(done);
}

Status SoftToken::set_status(const std::string& cert_hash, CertStatus status) {
  auto done = store_.transaction([&](storage::Connection& c) -> Status {
    ROADSIDE_TRY(std::int64_t id, cert_row(c, cert_hash));
    const storage::Value params[] = {std::string(cert_status_name(status)), id};
    ROADSIDE_TRY_STATUS(c.query("UPDATE token_certificates SET status = ? WHERE cert_id = ?", params));
    return {};
  });
  return changed(done);
}

Status SoftToken::delete_certificate(const std::string& cert_hash) {
  auto done = store_.transaction([&](storage::Connection& c) -> Status {
    ROADSIDE_TRY(std::int64_t id, cert_row(c, cert_hash));
    const storage::Value params[] = {id};
    ROADSIDE_TRY_STATUS(c.query("DELETE FROM token_certificates WHERE cert_id = ?", params));
    return {};
  });
  return changed(done);
}

Status SoftToken::seal_imported(const std::vector<std::pair<std::string, crypto::PrivateKey>>& keys,
                                const std::string& pin, const crypto::KeyWrapKey* kek) {
  std::optional<crypto::KeyWrapKey> fresh;
  if (!kek || kek->params() != crypto::kKeyWrapKdf) {
    ROADSIDE_TRY(crypto::KeyWrapKey derived, crypto::KeyWrapKey::derive(pin, random_));
    fresh = std::move(derived);
    kek = &*fresh;
  }
  std::vector<std::pair<std::string, std::string>> sealed;  // key id, envelope
  for (const auto& [key_id, key] : keys) {
    ROADSIDE_TRY(std::string bytes, kek->wrap(key, random_));
    // Checked before the PKCS#12 form goes: the envelope opens to this very key.
    ROADSIDE_TRY(crypto::PrivateKey back, kek->unwrap(bytes));
    if (back.public_key_der() != key.public_key_der())
      return bad(errc::key_not_found, "key " + key_id + " does not survive sealing");
    sealed.emplace_back(key_id, std::move(bytes));
  }
  return store_.transaction([&](storage::Connection& c) -> Status {
    for (const auto& [id, bytes] : sealed) {
      const storage::Value params[] = {storage::Blob{bytes}, id};
      ROADSIDE_TRY_STATUS(c.query(
          "UPDATE token_keys SET key_wrapped = ?, key_pkcs12 = NULL WHERE key_id = ? AND key_wrapped IS NULL", params));
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
  // Each hardware token holding keys in use (with an active, registered certificate) must
  // sign; the software token, when it holds keys or no hardware token does.
  std::set<std::string> in_use;
  for (const auto& k : open_) {
    if (auto token = token_of_.find(k->info.key_id); token != token_of_.end()) in_use.insert(token->second);
  }
  for (const auto& token : in_use) {
    const auto state = hardware_ ? hardware_->state(token) : std::nullopt;
    if (!state || !state->available)
      return "token_not_available: the hardware token " + token + " holding keys is not available";
    if (!state->active) {
      return "token_not_active: the hardware token " + token + " is not logged in (set XROAD_TOKEN_" + token +
             "_PIN, or roadside token login --token " + token + ")";
    }
  }
  if (active_ || (soft_keys_ == 0 && !token_of_.empty())) return std::nullopt;
  if (logged_out_ && last_error_.empty()) {
    return std::string(
        "token_not_active: the software token was logged out (roadside token logout); log in with roadside token "
        "login");
  }
  return "token_not_active: the software token is not logged in (set XROAD_TOKEN_PIN, or roadside token login)" +
         (last_error_.empty() ? std::string() : "; last login: " + last_error_);
}

Result<std::shared_ptr<const OpenKey>> SoftToken::signing_key(const XRoadId& member) const {
  const XRoadId owner = member.owner_member();
  MutexLock lock(mu_);
  std::vector<std::shared_ptr<const OpenKey>> candidates;
  for (const auto& k : open_) {
    if (k->info.usage == KeyUsage::signing && k->info.member && *k->info.member == owner) candidates.push_back(k);
  }
  if (!candidates.empty()) return pick(candidates, "signing key of " + owner.to_string());
  if (!active_) return bad(errc::token_not_active, "the token is not logged in; cannot sign for " + owner.to_string());
  return bad(errc::key_not_found,
             "no signing key with an active, registered certificate for " + owner.to_string() + " in the token");
}

Result<std::shared_ptr<const OpenKey>> SoftToken::auth_key() const {
  MutexLock lock(mu_);
  std::vector<std::shared_ptr<const OpenKey>> candidates;
  for (const auto& k : open_) {
    if (k->info.usage == KeyUsage::authentication) candidates.push_back(k);
  }
  if (!candidates.empty()) return pick(candidates, "authentication key");
  if (!active_) return bad(errc::token_not_active, "the token is not logged in; no authentication key");
  return bad(errc::key_not_found, "no authentication key with an active, registered certificate in the token");
}

}  // namespace roadside::signer
