#include "signer/hardware_token.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "base/log.h"
#include "base/random.h"
#include "crypto/encoding.h"
#include "crypto/external_key.h"

namespace roadside::signer {
namespace {

constexpr std::size_t kMaxKeys = 1024;

void replace_all(std::string& text, std::string_view what, const std::string& with) {
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
}

bool same_token(const pkcs11::TokenInfo& a, const pkcs11::TokenInfo& b) {
  return a.serial == b.serial && a.label == b.label;
}

Error not_active(const std::string& id) {
  return Error(make_error_code(errc::token_not_active), "token " + id + " is not logged in");
}

Error not_available(const std::string& id) {
  return Error(make_error_code(errc::token_not_available), "token " + id + " is not available");
}

// A key's private operations, done by the token `token_` resolves to when it signs.
class TokenKeyOperations final : public crypto::KeyOperations {
 public:
  TokenKeyOperations(std::function<std::shared_ptr<HardwareToken>()> token, std::string token_id, std::string cka_id)
      : token_(std::move(token)), token_id_(std::move(token_id)), cka_id_(std::move(cka_id)) {}
  Result<std::string> rsa_pkcs1(std::string_view digest_info) const override {
    return sign(pkcs11::Mechanism::rsa_pkcs, digest_info);
  }
  Result<std::string> rsa_raw(std::string_view block) const override {
    return sign(pkcs11::Mechanism::rsa_x509, block);
  }
  Result<std::string> ecdsa(std::string_view digest) const override { return sign(pkcs11::Mechanism::ecdsa, digest); }

 private:
  Result<std::string> sign(pkcs11::Mechanism mechanism, std::string_view data) const {
    auto token = token_();
    if (!token) return not_available(token_id_);
    return token->sign(cka_id_, mechanism, data);
  }
  std::function<std::shared_ptr<HardwareToken>()> token_;
  std::string token_id_, cka_id_;
};

}  // namespace

std::string hardware_token_id(const std::string& format, const std::string& module_type,
                              const pkcs11::TokenInfo& info) {
  std::string id = format.empty() ? std::string(kDefaultTokenIdFormat) : format;
  replace_all(id, "{moduleType}", module_type);
  replace_all(id, "{slotIndex}", std::to_string(info.slot_id));
  replace_all(id, "{serialNumber}", info.serial);
  replace_all(id, "{label}", info.label);
  return crypto::to_hex(id);
}

Result<crypto::PrivateKey> hardware_key(std::function<std::shared_ptr<HardwareToken>()> token,
                                        const std::string& token_id, const std::string& key_id,
                                        const std::string& public_key_der) {
  auto cka_id = crypto::from_hex(key_id);
  if (!cka_id.ok() || cka_id->empty())
    return Error(make_error_code(errc::key_not_found), "the key id " + key_id + " is not hex");
  return crypto::external_private_key(public_key_der,
                                      std::make_shared<TokenKeyOperations>(std::move(token), token_id, *cka_id));
}

std::shared_ptr<HardwareToken> HardwareToken::make(std::shared_ptr<pkcs11::Module> module, HardwareTokenOptions options,
                                                   const pkcs11::TokenInfo& info) {
  return std::shared_ptr<HardwareToken>(new HardwareToken(std::move(module), std::move(options), info));
}

HardwareToken::HardwareToken(std::shared_ptr<pkcs11::Module> module, HardwareTokenOptions options,
                             const pkcs11::TokenInfo& info)
    : module_(std::move(module)),
      options_(std::move(options)),
      id_(hardware_token_id(options_.token_id_format, options_.module_type, info)),
      info_(info) {}

pkcs11::TokenInfo HardwareToken::info() const {
  MutexLock lock(mu_);
  return info_;
}

bool HardwareToken::available() const {
  MutexLock lock(mu_);
  return available_;
}

bool HardwareToken::active() const {
  MutexLock lock(mu_);
  return available_ && logged_in_;
}

Status HardwareToken::require_active() const {
  MutexLock lock(mu_);
  if (!available_) return not_available(id_);
  if (!logged_in_) return not_active(id_);
  return {};
}

HardwareToken::Lease::~Lease() {
  if (token_) token_->give_back(keep_ ? std::move(session_) : std::nullopt);
}

template <typename Op>
auto HardwareToken::with_session(Op op) -> decltype(op(std::declval<pkcs11::Session&>())) {
  for (int attempt = 0;; ++attempt) {
    ROADSIDE_TRY(Lease lease, take_session());
    auto out = op(*lease);
    if (out.ok()) return out;
    lease.drop();
    // Opened before the module was initialized again: not the device's failure; once more.
    if (lease->stale() && attempt == 0) continue;
    if (out.error().code() == make_error_code(errc::token_not_available) && !lease->stale()) {
      lost();
      return Error(out.error().code(), "token " + id_ + " is not available: " + out.error().detail());
    }
    return out.error();
  }
}

Status HardwareToken::device_login(const std::string& pin) {
  auto in = with_session([&](pkcs11::Session& s) { return s.login(pin); });
  if (!in.ok()) return Error(in.error().code(), "token " + id_ + ": " + in.error().detail());
  auto anchor = module_->open_session(info().slot_id);
  MutexLock lock(mu_);
  if (anchor.ok()) anchor_ = std::move(*anchor);
  logged_in_ = true;
  login_generation_ = module_->generation();
  pin_ = pin;
  return {};
}

Status HardwareToken::login(const std::string& pin) {
  {
    MutexLock lock(mu_);
    if (!available_) return not_available(id_);
    if (logged_in_) {
      // The device would answer CKR_USER_ALREADY_LOGGED_IN without checking this PIN.
      if (pin == pin_) return {};
      return Error(make_error_code(errc::pin_incorrect),
                   "token " + id_ + " is logged in with another PIN; log out before logging in again");
    }
  }
  ROADSIDE_TRY_STATUS(device_login(pin));
  log::info("token logged in", {{"token", id_}});
  return {};
}

void HardwareToken::logout() {
  {
    MutexLock lock(mu_);
    logged_in_ = false;
    pin_.clear();
    handles_.clear();
  }
  // The login is the application's, shared by every session: one C_Logout ends it.
  (void)with_session([](pkcs11::Session& s) { return s.logout(); });
  {
    MutexLock lock(mu_);
    anchor_.reset();
  }
  log::info("token logged out", {{"token", id_}});
}

bool HardwareToken::refresh(const std::vector<pkcs11::TokenInfo>& present) {
  std::string pin;
  {
    MutexLock lock(mu_);
    const pkcs11::TokenInfo* found = nullptr;
    for (const auto& t : present) {
      if (same_token(t, info_)) found = &t;
    }
    if (!found) {
      if (available_) log::warn("token not available", {{"token", id_}});
      available_ = false;
      idle_.clear();
      anchor_.reset();
      handles_.clear();
    } else {
      info_ = *found;
      if (!available_) {
        available_ = true;
        idle_.clear();
        anchor_.reset();
        handles_.clear();
        log::info("token available again", {{"token", id_}});
      }
      // A login is lost with the module's reinitialization; the PIN kept logs in again.
      if (!pin_.empty() && (!logged_in_ || login_generation_ != module_->generation())) {
        logged_in_ = false;
        pin = pin_;
      }
    }
  }
  session_freed_.notify_all();  // waiters see the token's state
  if (pin.empty()) return available();
  if (auto st = device_login(pin); !st.ok()) {
    if (st.error().code() == make_error_code(errc::pin_incorrect)) {
      // Trying it again every round would use up the device's tries and lock its PIN.
      MutexLock lock(mu_);
      pin_.clear();
      log::error("the token's PIN no longer opens it and is not tried again: log in to the token",
                 {{"token", id_}, {"error", st.error().detail()}});
    } else {
      log::warn("token login again failed", {{"token", id_}, {"error", st.error().detail()}});
    }
  } else {
    log::info("token logged in again", {{"token", id_}});
  }
  return available();
}

void HardwareToken::lost() {
  {
    MutexLock lock(mu_);
    if (available_) log::warn("token not available", {{"token", id_}});
    available_ = false;
    idle_.clear();
    anchor_.reset();
    handles_.clear();
  }
  session_freed_.notify_all();
}

Result<HardwareToken::Lease> HardwareToken::take_session() {
  unsigned long slot = 0;
  {
    MutexLock lock(mu_);
    const bool free = session_freed_.wait_for(mu_, kSessionWait, [&]() REQUIRES(mu_) {
      return !available_ || !idle_.empty() || busy_ < options_.max_sessions;
    });
    if (!available_) return not_available(id_);
    if (!free) {
      return Error(make_error_code(errc::token_failed),
                   "no session of token " + id_ + " was free within " + std::to_string(kSessionWait.count()) + " s");
    }
    ++busy_;
    while (!idle_.empty()) {
      pkcs11::Session s = std::move(idle_.back());
      idle_.pop_back();
      if (!s.stale()) return Lease(this, std::move(s));
    }
    slot = info_.slot_id;
  }
  auto opened = module_->open_session(slot);
  if (!opened.ok()) {
    give_back(std::nullopt);
    if (opened.error().code() == make_error_code(errc::token_not_available)) lost();
    return Error(opened.error().code(), "token " + id_ + ": " + opened.error().detail());
  }
  return Lease(this, std::move(*opened));
}

void HardwareToken::give_back(std::optional<pkcs11::Session> session) {
  {
    MutexLock lock(mu_);
    --busy_;
    if (session && available_ && !session->stale()) idle_.push_back(std::move(*session));
  }
  session_freed_.notify_one();
}

Result<std::vector<HardwareKey>> HardwareToken::keys() {
  ROADSIDE_TRY_STATUS(require_active());
  return with_session([&](pkcs11::Session& session) -> Result<std::vector<HardwareKey>> {
    ROADSIDE_TRY(const auto handles, session.find_keys(true, {}, kMaxKeys));
    std::vector<HardwareKey> out;
    for (auto h : handles) {
      auto facts = session.describe_key(h);
      if (!facts.ok()) {
        if (facts.error().code() == make_error_code(errc::token_not_available)) return facts.error();
        continue;  // a key the signer cannot use
      }
      if (facts->id.empty()) continue;  // X-Road ignores keys without an id
      out.push_back({key_id_of(facts->id), facts->label, facts->public_key_der, facts->ec});
    }
    return out;
  });
}

Result<HardwareKey> HardwareToken::generate_key(const std::string& label, crypto::KeyType type) {
  ROADSIDE_TRY_STATUS(require_active());
  if (options_.read_only) return Error(make_error_code(errc::token_failed), "token " + id_ + " is read-only");
  const std::string cka_id = Random::system().bytes(20);
  unsigned bits = 0;
  std::string curve;
  switch (type) {
    case crypto::KeyType::rsa2048:
      bits = 2048;
      break;
    case crypto::KeyType::rsa3072:
      bits = 3072;
      break;
    case crypto::KeyType::rsa4096:
      bits = 4096;
      break;
    case crypto::KeyType::ec_p256:
      curve = "P-256";
      break;
    case crypto::KeyType::ec_p384:
      curve = "P-384";
      break;
  }
  auto made = with_session([&](pkcs11::Session& session) -> Result<HardwareKey> {
    ROADSIDE_TRY(const auto handle, session.generate_key_pair(cka_id, label, bits, curve, options_.key_template));
    ROADSIDE_TRY(auto pubs, session.find_keys(false, cka_id, 1));
    if (pubs.empty()) return Error(make_error_code(errc::token_failed), "the new key's public key is not on the token");
    ROADSIDE_TRY(std::string der, session.public_key_der(pubs.front()));
    {
      MutexLock lock(mu_);
      handles_[cka_id] = handle;
      handles_generation_ = module_->generation();
    }
    return HardwareKey{key_id_of(cka_id), label, std::move(der), !curve.empty()};
  });
  if (made.ok()) log::info("key generated on token", {{"token", id_}, {"key", made->key_id}});
  return made;
}

Status HardwareToken::delete_key(const std::string& key_id) {
  ROADSIDE_TRY_STATUS(require_active());
  auto cka_id = crypto::from_hex(key_id);
  if (!cka_id.ok() || cka_id->empty()) return Error(make_error_code(errc::key_not_found), "no key " + key_id);
  ROADSIDE_TRY_STATUS(with_session([&](pkcs11::Session& session) { return session.destroy_key_pair(*cka_id); }));
  MutexLock lock(mu_);
  handles_.erase(*cka_id);
  return {};
}

Result<crypto::PrivateKey> HardwareToken::private_key(const std::string& key_id) {
  auto wanted = crypto::from_hex(key_id);
  ROADSIDE_TRY(const auto all, keys());
  for (const auto& key : all) {
    if (wanted.ok() && key.key_id == key_id_of(*wanted)) {
      return hardware_key([self = shared_from_this()] { return self; }, id_, key.key_id, key.public_key_der);
    }
  }
  return Error(make_error_code(errc::key_not_found), "no key " + key_id + " on token " + id_);
}

Result<std::string> HardwareToken::sign(const std::string& cka_id, pkcs11::Mechanism mechanism, std::string_view data) {
  ROADSIDE_TRY_STATUS(require_active());
  auto signed_data = with_session([&](pkcs11::Session& session) -> Result<std::string> {
    std::optional<pkcs11::ObjectHandle> handle;
    {
      MutexLock lock(mu_);
      if (handles_generation_ != module_->generation()) handles_.clear();
      if (auto it = handles_.find(cka_id); it != handles_.end()) handle = it->second;
    }
    if (!handle) {
      ROADSIDE_TRY(const auto found, session.find_keys(true, cka_id, 1));
      if (found.empty())
        return Error(make_error_code(errc::key_not_found), "key " + key_id_of(cka_id) + " not on token " + id_);
      handle = found.front();
      MutexLock lock(mu_);
      handles_[cka_id] = *handle;
      handles_generation_ = module_->generation();
    }
    return session.sign(mechanism, *handle, data);
  });
  if (signed_data.ok() || signed_data.error().code() == make_error_code(errc::token_not_available)) return signed_data;
  {
    MutexLock lock(mu_);
    handles_.erase(cka_id);  // found again next time
  }
  // Whatever else the device said, it may have lost the token (SoftHSM2 answers a removed
  // token's key as an invalid handle): a token no longer listed is not available.
  auto listed = module_->tokens();
  bool present = false;
  if (listed.ok()) {
    const auto now = info();
    for (const auto& t : *listed) present = present || same_token(t, now);
  }
  if (present) return signed_data;
  lost();
  return Error(make_error_code(errc::token_not_available),
               "token " + id_ + " is not available: " + signed_data.error().detail());
}

Result<std::unique_ptr<HardwareDevice>> HardwareDevice::open(Options options) {
  ROADSIDE_TRY(auto module, pkcs11::Module::load(options.library, options.os_locking_ok.value_or(true),
                                                 options.cant_create_os_threads));
  std::unique_ptr<HardwareDevice> device(new HardwareDevice(std::move(options), std::move(module)));
  if (auto st = device->refresh(); !st.ok())
    log::warn("token device not listed", {{"library", device->options_.library}, {"error", st.error().detail()}});
  return device;
}

std::vector<std::shared_ptr<HardwareToken>> HardwareDevice::tokens() const {
  MutexLock lock(mu_);
  return tokens_;
}

std::shared_ptr<HardwareToken> HardwareDevice::token(const std::string& id) const {
  MutexLock lock(mu_);
  for (const auto& t : tokens_) {
    if (t->id() == id) return t;
  }
  return nullptr;
}

std::vector<pkcs11::TokenInfo> HardwareDevice::wanted(const std::vector<pkcs11::TokenInfo>& listed) const {
  std::vector<pkcs11::TokenInfo> out;
  for (const auto& t : listed) {
    if (!t.initialized) continue;  // SoftHSM2's free slot, a blank card
    if (!options_.slot_ids.empty() &&
        std::find(options_.slot_ids.begin(), options_.slot_ids.end(), t.slot_id) == options_.slot_ids.end())
      continue;
    out.push_back(t);
  }
  return out;
}

Status HardwareDevice::refresh() {
  auto listed = module_->tokens();
  bool missing = !listed.ok();
  if (listed.ok()) {
    const auto present = wanted(*listed);
    for (const auto& token : tokens()) {
      const auto known = token->info();
      const bool there =
          std::any_of(present.begin(), present.end(), [&](const pkcs11::TokenInfo& t) { return same_token(t, known); });
      missing = missing || !there || !token->available();
    }
  }
  if (missing) {
    // Every session of the module goes with a reinitialization: a token that stays missing
    // gets three rounds of it, then every tenth.
    bool reinitialize = !listed.ok();
    {
      MutexLock lock(mu_);
      ++missing_rounds_;
      reinitialize = reinitialize || missing_rounds_ <= 3 || missing_rounds_ % 10 == 0;
    }
    if (reinitialize) {
      if (auto st = module_->reinitialize(); !st.ok()) {
        listed = st.error();
      } else {
        listed = module_->tokens();
      }
    }
  } else {
    MutexLock lock(mu_);
    missing_rounds_ = 0;
  }
  if (!listed.ok()) {
    for (const auto& token : tokens()) token->refresh({});
    return listed.error();
  }
  const auto present = wanted(*listed);
  for (const auto& token : tokens()) token->refresh(present);
  MutexLock lock(mu_);
  for (const auto& t : present) {
    const bool known = std::any_of(tokens_.begin(), tokens_.end(),
                                   [&](const std::shared_ptr<HardwareToken>& k) { return same_token(k->info(), t); });
    if (!known) {
      tokens_.push_back(HardwareToken::make(module_, options_.token, t));
      log::info("token found", {{"token", tokens_.back()->id()}, {"label", t.label}, {"serial", t.serial}});
    }
  }
  return {};
}

}  // namespace roadside::signer
