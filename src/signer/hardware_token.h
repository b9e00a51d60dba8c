// A token in a PKCS#11 device, as X-Road's signer keeps one (its HardwareTokenWorker): known
// by X-Road's token id, logged in with its PIN, its keys generated on it and found by CKA_ID,
// signing through a small pool of sessions. The keys never leave the device: private_key()
// gives a crypto::PrivateKey whose signatures the token makes (crypto/external_key.h), so the
// message signer, CSRs and TLS use it unchanged.
//
// A device that goes away is noticed by a failed call or by refresh() (the server calls it
// periodically): the token becomes not available and not logged in, and signing refuses with
// errc::token_not_available. The PIN of the last login is kept in memory (as X-Road keeps it
// in its password store), so when the device is back, refresh() logs in again and the keys
// handed out before sign again, without a restart. logout() forgets the PIN.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/thread_annotations.h"
#include "crypto/keys.h"
#include "signer/devices.h"
#include "signer/pkcs11.h"

namespace roadside::signer {

// What the signer takes from a device's section of devices.ini (devices.h reads it).
struct HardwareTokenOptions {
  std::string module_type;  // the section's name: X-Road's {moduleType}
  std::string token_id_format = std::string(kDefaultTokenIdFormat);
  pkcs11::KeyTemplate key_template;
  bool read_only = false;
  std::size_t max_sessions = 4;  // sessions signing at once; more callers wait
};

// X-Road's id of a token: `format` with {moduleType}, {slotIndex} (the PKCS#11 slot id),
// {serialNumber} and {label} put in, then as lower-case hex of its UTF-8 bytes.
std::string hardware_token_id(const std::string& format, const std::string& module_type, const pkcs11::TokenInfo& info);

// A key pair on the token: its id is X-Road's, the upper-case hex of its CKA_ID.
struct HardwareKey {
  std::string key_id;
  std::string label;
  std::string public_key_der;  // SubjectPublicKeyInfo
  bool ec = false;
};

class HardwareToken : public std::enable_shared_from_this<HardwareToken> {
 public:
  // The token `info` describes, in `module`. Not logged in.
  static std::shared_ptr<HardwareToken> make(std::shared_ptr<pkcs11::Module> module, HardwareTokenOptions options,
                                             const pkcs11::TokenInfo& info);

  const std::string& id() const { return id_; }
  const HardwareTokenOptions& options() const { return options_; }
  // What C_GetTokenInfo said when the token was last seen.
  pkcs11::TokenInfo info() const;
  bool available() const;
  // Logged in (and available).
  bool active() const;

  // Logs in with `pin`, checked by the device, and keeps it. A token already logged in takes
  // only the PIN it was logged in with (log out first to change it). errc::pin_incorrect (the
  // CKR_ code in the message; the PIN is never in one), errc::token_not_available.
  Status login(const std::string& pin);
  // Logs the device's session out and forgets the PIN: signing refuses with
  // errc::token_not_active.
  void logout();

  // Takes the device's list of tokens now (pkcs11::Module::tokens, after a reinitialization
  // when that failed): a token no longer in it is not available and logged out; one back in it
  // (found by serial and label, in whatever slot) is available, and logged in again with the
  // PIN kept. A PIN the device refuses then is forgotten, never tried again (a device locks
  // its PIN after a few wrong tries). Returns whether the token is available.
  bool refresh(const std::vector<pkcs11::TokenInfo>& present);
  // The device failed a call: the token is not available until the next refresh() finds it.
  void lost();

  // The key pairs on the token (those with a CKA_ID; at most 1,024). The token must be active.
  Result<std::vector<HardwareKey>> keys();
  // A new key pair on the token, of `type`, with a new 20-byte CKA_ID and `label`.
  // errc::token_not_active, errc::token_failed (read-only token: token_failed).
  Result<HardwareKey> generate_key(const std::string& label, crypto::KeyType type);
  Status delete_key(const std::string& key_id);
  // The key `key_id` as a PrivateKey whose private operations the token does. The key stays
  // usable across logouts and the device's absence: it signs again once the token is active.
  // errc::key_not_found, errc::token_not_active, errc::token_not_available.
  Result<crypto::PrivateKey> private_key(const std::string& key_id);

  // Signs with the private key whose CKA_ID is `cka_id` (for the PrivateKey's operations).
  // errc::token_not_active, errc::token_not_available (the device failed: lost() is called).
  Result<std::string> sign(const std::string& cka_id, pkcs11::Mechanism mechanism, std::string_view data);

  // How long a call waits for one of the token's sessions before it fails (token_failed).
  static constexpr std::chrono::seconds kSessionWait{30};

 private:
  // A session taken from the pool, given back when the lease ends: kept for the next caller,
  // unless drop()ped (the device failed a call with it) or of an earlier initialization.
  class Lease {
   public:
    Lease(HardwareToken* token, pkcs11::Session session) : token_(token), session_(std::move(session)) {}
    Lease(Lease&& other) noexcept
        : token_(std::exchange(other.token_, nullptr)), session_(std::move(other.session_)), keep_(other.keep_) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pkcs11::Session& operator*() { return *session_; }
    pkcs11::Session* operator->() { return &*session_; }
    void drop() { keep_ = false; }

   private:
    HardwareToken* token_;
    std::optional<pkcs11::Session> session_;
    bool keep_ = true;
  };

  HardwareToken(std::shared_ptr<pkcs11::Module> module, HardwareTokenOptions options, const pkcs11::TokenInfo& info);
  // A session from the pool, opened when none is idle and fewer than max_sessions are out;
  // waits up to kSessionWait for one.
  Result<Lease> take_session() EXCLUDES(mu_);
  void give_back(std::optional<pkcs11::Session> session) EXCLUDES(mu_);
  // Runs `op` with a session; its failure drops the session. A session of an earlier
  // initialization of the module (reinitialized meanwhile) is tried once more with a fresh
  // one; a device that is gone makes the token not available (lost()).
  template <typename Op>
  auto with_session(Op op) -> decltype(op(std::declval<pkcs11::Session&>()));
  // Logs in on the device, with no check of the token's state.
  Status device_login(const std::string& pin) EXCLUDES(mu_);
  Status require_active() const EXCLUDES(mu_);

  std::shared_ptr<pkcs11::Module> module_;
  const HardwareTokenOptions options_;
  const std::string id_;
  mutable Mutex mu_;
  std::condition_variable_any session_freed_;
  pkcs11::TokenInfo info_ GUARDED_BY(mu_);
  bool available_ GUARDED_BY(mu_) = true;
  bool logged_in_ GUARDED_BY(mu_) = false;
  std::uint64_t login_generation_ GUARDED_BY(mu_) = 0;  // the module's initialization the login was in
  std::string pin_ GUARDED_BY(mu_);                     // the last login's, to log in again when the device is back
  std::vector<pkcs11::Session> idle_ GUARDED_BY(mu_);
  // Open from a login to the logout: closing a token's last session logs the application out
  // (PKCS#11), which a session dropped after a failure must not do.
  std::optional<pkcs11::Session> anchor_ GUARDED_BY(mu_);
  std::size_t busy_ GUARDED_BY(mu_) = 0;
  std::map<std::string, pkcs11::ObjectHandle> handles_ GUARDED_BY(mu_);  // CKA_ID -> private key, this generation
  std::uint64_t handles_generation_ GUARDED_BY(mu_) = 0;
};

// A PrivateKey of the key whose CKA_ID is `cka_id` and public key `public_key_der`, signing
// through the token `token()` gives when it signs (nullptr: not available, refused with
// errc::token_not_available naming `token_id`). Made without asking the device.
Result<crypto::PrivateKey> hardware_key(std::function<std::shared_ptr<HardwareToken>()> token,
                                        const std::string& token_id, const std::string& key_id,
                                        const std::string& public_key_der);

// A device's tokens (one section of devices.ini): its module loaded once, and a HardwareToken
// for each initialized token it lists (in `slot_ids` only, when given).
class HardwareDevice {
 public:
  struct Options {
    std::string library;
    // X-Road's os_locking_ok. Unset or true: the library locks (CKF_OS_LOCKING_OK, which every
    // thread-safe library supports); false: the library may not be called from two threads at
    // once, and calls to it are made one at a time.
    std::optional<bool> os_locking_ok;
    bool cant_create_os_threads = false;
    std::vector<unsigned long> slot_ids;  // empty: every slot
    HardwareTokenOptions token;
  };
  // Loads the library and lists its tokens. errc::token_not_available when it cannot be loaded.
  static Result<std::unique_ptr<HardwareDevice>> open(Options options);

  const Options& options() const { return options_; }
  std::vector<std::shared_ptr<HardwareToken>> tokens() const EXCLUDES(mu_);
  std::shared_ptr<HardwareToken> token(const std::string& id) const EXCLUDES(mu_);

  // Lists the tokens again, as X-Road's module manager does every minute: when the listing
  // fails, the module is initialized again first; when a known token is missing from it, too (a
  // device that came back may be listed only then), for its first three rounds missing and then
  // every tenth, as every session of the module is lost with it. Known tokens follow the list
  // (HardwareToken::refresh); new ones are added. Returns the error of a listing that still
  // fails (every token is then not available).
  Status refresh() EXCLUDES(mu_);

 private:
  explicit HardwareDevice(Options options, std::shared_ptr<pkcs11::Module> module)
      : options_(std::move(options)), module_(std::move(module)) {}
  // The initialized tokens of `listed` in the slots configured.
  std::vector<pkcs11::TokenInfo> wanted(const std::vector<pkcs11::TokenInfo>& listed) const;

  const Options options_;
  std::shared_ptr<pkcs11::Module> module_;
  mutable Mutex mu_;
  std::vector<std::shared_ptr<HardwareToken>> tokens_ GUARDED_BY(mu_);
  unsigned missing_rounds_ GUARDED_BY(mu_) = 0;  // refreshes in a row that missed a known token
};

}  // namespace roadside::signer
