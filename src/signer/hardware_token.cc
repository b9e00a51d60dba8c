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

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
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

// A key's private operations, done by its token.
class TokenKeyOperations final : public crypto::KeyOperations {
 public:
  TokenKeyOperations(std::shared_ptr<HardwareToken> token, std::string cka_id)
      : token_(std::move(token)), cka_id_(std::move(cka_id)) {}
  Result<std::string> rsa_pkcs1(std::string_view digest_info) const override {
    return token_->sign(cka_id_, pkcs11::Mechanism::rsa_pkcs, digest_info);
  }
  Result<std::string> rsa_raw(std::string_view block) const override {
    return token_->sign(cka_id_, pkcs11::Mechanism::rsa_x509, block);
  }
  Result<std::string> ecdsa(std::string_view digest) const override {
    return token_->sign(cka_id_, pkcs11::Mechanism::ecdsa, digest);
  }

 private:
  std::shared_ptr<HardwareToken> token_;
  std::string cka_id_;
};

}  // namespace

std::string hardware_token_id(const std::string& format, const std::string& module_type,
                              const pkcs11::TokenInfo& info) {
  std::string id = format.empty() ? "{moduleType}{slotIndex}{serialNumber}{label}" : format;
  replace_all(id, "{moduleType}", module_type);
  replace_all(id, "{slotIndex}", std::to_string(info.slot_id));
  replace_all(id, "{serialNumber}", info.serial);
  replace_all(id, "{label}", info.label);
  return crypto::to_hex(id);
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

Status HardwareToken::login(const std::string& pin) {
  {
    MutexLock lock(mu_);
    if (!available_) return not_available(id_);
  }
  ROADSIDE_TRY(pkcs11::Session session, take_session());
  auto in = session.login(pin);
  if (!in.ok()) {
    if (in.error().code() == make_error_code(errc::token_not_available)) return failed(in.error());
    give_back(std::move(session));
    return Error(in.error().code(), "token " + id_ + ": " + in.error().detail());
  }
  give_back(std::move(session));
  MutexLock lock(mu_);
  logged_in_ = true;
  login_generation_ = module_->generation();
  pin_ = pin;
  log::info("token logged in", {{"token", id_}});
  return {};
}

void HardwareToken::logout() {
  std::vector<pkcs11::Session> sessions;
  {
    MutexLock lock(mu_);
    logged_in_ = false;
    pin_.clear();
    handles_.clear();
    sessions.swap(idle_);
  }
  // Closing every session of the token logs the application out of it (PKCS#11 §5.6).
  if (!sessions.empty()) (void)sessions.front().logout();
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
      handles_.clear();
      return false;
    }
    info_ = *found;
    if (!available_) {
      available_ = true;
      idle_.clear();
      handles_.clear();
      log::info("token available again", {{"token", id_}});
    }
    // A login is lost with the module's reinitialization; the PIN kept logs in again.
    if (!pin_.empty() && (!logged_in_ || login_generation_ != module_->generation())) {
      logged_in_ = false;
      pin = pin_;
    }
  }
  if (!pin.empty()) {
    if (auto st = login(pin); !st.ok())
      log::warn("token login again failed", {{"token", id_}, {"error", st.error().detail()}});
  }
  return true;
}

void HardwareToken::lost() {
  MutexLock lock(mu_);
  if (available_) log::warn("token not available", {{"token", id_}});
  available_ = false;
  idle_.clear();
  handles_.clear();
}

Result<pkcs11::Session> HardwareToken::take_session() {
  {
    MutexLock lock(mu_);
    session_freed_.wait(mu_,
                        [&]() REQUIRES(mu_) { return !available_ || !idle_.empty() || busy_ < options_.max_sessions; });
    if (!available_) return not_available(id_);
    ++busy_;
    while (!idle_.empty()) {
      pkcs11::Session s = std::move(idle_.back());
      idle_.pop_back();
      if (!s.stale()) return s;
    }
  }
  auto opened = module_->open_session(info().slot_id);
  if (!opened.ok()) {
    {
      MutexLock lock(mu_);
      --busy_;
    }
    session_freed_.notify_one();
    return failed(opened.error());
  }
  return opened;
}

void HardwareToken::give_back(pkcs11::Session session) {
  {
    MutexLock lock(mu_);
    --busy_;
    if (available_ && !session.stale()) idle_.push_back(std::move(session));
  }
  session_freed_.notify_one();
}

Error HardwareToken::failed(const Error& error) {
  if (error.code() == make_error_code(errc::token_not_available)) {
    lost();
    session_freed_.notify_all();
    return Error(error.code(), "token " + id_ + " is not available: " + error.detail());
  }
  return error;
}

Result<std::vector<HardwareKey>> HardwareToken::keys() {
  ROADSIDE_TRY_STATUS(require_active());
  ROADSIDE_TRY(pkcs11::Session session, take_session());
  auto listed = [&]() -> Result<std::vector<HardwareKey>> {
    ROADSIDE_TRY(const auto handles, session.find_keys(true, {}, kMaxKeys));
    std::vector<HardwareKey> out;
    for (auto h : handles) {
      auto facts = session.describe_key(h);
      if (!facts.ok()) {
        if (facts.error().code() == make_error_code(errc::token_not_available)) return facts.error();
        continue;  // a key the signer cannot use
      }
      if (facts->id.empty()) continue;  // X-Road ignores keys without an id
      out.push_back({upper(crypto::to_hex(facts->id)), facts->label, facts->public_key_der, facts->ec});
    }
    return out;
  }();
  if (!listed.ok()) return failed(listed.error());
  give_back(std::move(session));
  return listed;
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
  ROADSIDE_TRY(pkcs11::Session session, take_session());
  auto made = [&]() -> Result<HardwareKey> {
    ROADSIDE_TRY(const auto handle, session.generate_key_pair(cka_id, label, bits, curve, options_.key_template));
    ROADSIDE_TRY(auto pubs, session.find_keys(false, cka_id, 1));
    if (pubs.empty()) return Error(make_error_code(errc::token_failed), "the new key's public key is not on the token");
    ROADSIDE_TRY(std::string der, session.public_key_der(pubs.front()));
    {
      MutexLock lock(mu_);
      handles_[cka_id] = handle;
      handles_generation_ = module_->generation();
    }
    return HardwareKey{upper(crypto::to_hex(cka_id)), label, std::move(der), !curve.empty()};
  }();
  if (!made.ok()) return failed(made.error());
  give_back(std::move(session));
  log::info("key generated on token", {{"token", id_}, {"key", made->key_id}});
  return made;
}

Status HardwareToken::delete_key(const std::string& key_id) {
  ROADSIDE_TRY_STATUS(require_active());
  auto cka_id = crypto::from_hex(key_id);
  if (!cka_id.ok() || cka_id->empty()) return Error(make_error_code(errc::key_not_found), "no key " + key_id);
  ROADSIDE_TRY(pkcs11::Session session, take_session());
  auto done = session.destroy_key_pair(*cka_id);
  if (!done.ok()) return failed(done.error());
  give_back(std::move(session));
  MutexLock lock(mu_);
  handles_.erase(*cka_id);
  return {};
}

Result<crypto::PrivateKey> HardwareToken::private_key(const std::string& key_id) {
  ROADSIDE_TRY(const auto all, keys());
  for (const auto& key : all) {
    if (key.key_id == upper(key_id)) return key_for(key.key_id, key.public_key_der);
  }
  return Error(make_error_code(errc::key_not_found), "no key " + key_id + " on token " + id_);
}

Result<crypto::PrivateKey> HardwareToken::key_for(const std::string& key_id, const std::string& public_key_der) {
  auto cka_id = crypto::from_hex(key_id);
  if (!cka_id.ok() || cka_id->empty())
    return Error(make_error_code(errc::key_not_found), "the key id " + key_id + " is not hex");
  return crypto::external_private_key(public_key_der,
                                      std::make_shared<TokenKeyOperations>(shared_from_this(), *cka_id));
}

Result<std::string> HardwareToken::sign(const std::string& cka_id, pkcs11::Mechanism mechanism, std::string_view data) {
  ROADSIDE_TRY_STATUS(require_active());
  ROADSIDE_TRY(pkcs11::Session session, take_session());
  auto signed_data = [&]() -> Result<std::string> {
    std::optional<pkcs11::ObjectHandle> handle;
    {
      MutexLock lock(mu_);
      if (handles_generation_ != module_->generation()) handles_.clear();
      if (auto it = handles_.find(cka_id); it != handles_.end()) handle = it->second;
    }
    if (!handle) {
      ROADSIDE_TRY(const auto found, session.find_keys(true, cka_id, 1));
      if (found.empty())
        return Error(make_error_code(errc::key_not_found),
                     "key " + upper(crypto::to_hex(cka_id)) + " not on token " + id_);
      handle = found.front();
      MutexLock lock(mu_);
      handles_[cka_id] = *handle;
      handles_generation_ = module_->generation();
    }
    return session.sign(mechanism, *handle, data);
  }();
  if (signed_data.ok() || signed_data.error().code() != make_error_code(errc::token_not_available)) {
    give_back(std::move(session));
  }
  if (signed_data.ok()) return signed_data;
  if (signed_data.error().code() == make_error_code(errc::token_not_available)) return failed(signed_data.error());
  // Whatever else the device said, it may have lost the token (SoftHSM2 answers a removed
  // token's key as an invalid handle): a token no longer listed is not available.
  auto listed = module_->tokens();
  bool present = false;
  if (listed.ok()) {
    const auto now = info();
    for (const auto& t : *listed) present = present || same_token(t, now);
  }
  if (!present) {
    lost();
    session_freed_.notify_all();
    return Error(make_error_code(errc::token_not_available),
                 "token " + id_ + " is not available: " + signed_data.error().detail());
  }
  {
    MutexLock lock(mu_);
    handles_.erase(cka_id);  // found again next time
  }
  return signed_data;
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
    if (auto st = module_->reinitialize(); !st.ok())
      listed = st.error();
    else
      listed = module_->tokens();
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
