// A PKCS#11 device's driver library ("module": an HSM's, a smart card's, SoftHSM2's) and the
// calls the signer makes of it: the tokens in its slots, sessions, login, finding objects and
// reading their attributes, generating key pairs on the token, signing. Only this file and
// its .cc see the PKCS#11 types; every return value that is not CKR_OK is an Error naming the
// call and the CKR_ code ("C_Sign: CKR_DEVICE_REMOVED"), whose errc says what the signer makes
// of it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/thread_annotations.h"
#include "signer/keyconf.h"

namespace roadside::signer::pkcs11 {

// What a CKR_ value means to the signer (the errc of a failed call).
enum class Failure {
  gone,        // the token or the device is not there (removed, its session closed): not available
  pin,         // the PIN is wrong, locked or expired
  not_logged,  // the call needs a login
  other,       // anything else the device refused
};
Failure classify(unsigned long rv) noexcept;
// A CKR_ value's name ("CKR_PIN_INCORRECT"), or "CKR_0x..." for one without.
std::string rv_name(unsigned long rv);

// A token in one of the module's slots, as C_GetTokenInfo describes it (strings trimmed).
struct TokenInfo {
  unsigned long slot_id = 0;
  std::size_t slot_index = 0;  // its position in the module's list of slots with a token
  std::string label, manufacturer, model, serial;
  bool initialized = false;
  bool login_required = false;
  bool user_pin_initialized = false;
  bool write_protected = false;
  bool user_pin_locked = false;
  bool user_pin_count_low = false;
  bool user_pin_final_try = false;
};

// An object's handle on the token (CK_OBJECT_HANDLE).
using ObjectHandle = unsigned long;

// The mechanisms the signer signs with (PKCS#11's CKM_ values).
enum class Mechanism { rsa_pkcs, rsa_x509, ecdsa };

// Attributes of a key pair generated on the token, beyond those the signer always sets
// (CKA_ID, CKA_LABEL, the key's size or curve; CKA_TOKEN, CKA_SIGN/CKA_VERIFY; the private key
// CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE): X-Road's pub_key_attribute_* and
// priv_key_attribute_* of devices.ini, by CKA_ name without the prefix ("ENCRYPT"), each on
// or off.
struct KeyTemplate {
  std::vector<std::pair<std::string, bool>> public_key;
  std::vector<std::pair<std::string, bool>> private_key;
};

class Session;

// A loaded and initialized driver. Not copyable; shared by its tokens, finalized and unloaded
// when the last holder lets it go. Thread-safe: a module initialized with OS locking may be
// called from any thread (sessions are each used by one thread at a time; see Session).
class Module : public std::enable_shared_from_this<Module> {
 public:
  // dlopen()s `library` and calls C_Initialize, with CKF_OS_LOCKING_OK when `os_locking_ok`
  // (without it, calls to the library are made one at a time) and
  // CKF_LIBRARY_CANT_CREATE_OS_THREADS when `cant_create_threads`.
  // Error (errc::token_not_available) naming the library and why: not found, no
  // C_GetFunctionList, C_Initialize refused. A library already initialized in this process
  // (CKR_CRYPTOKI_ALREADY_INITIALIZED) is refused: load each library once.
  static Result<std::shared_ptr<Module>> load(const std::string& library, bool os_locking_ok = true,
                                              bool cant_create_threads = false);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  const std::string& library() const { return library_; }
  // The slots that hold a token now, in the library's order (C_GetSlotList with tokenPresent).
  Result<std::vector<TokenInfo>> tokens() const;
  // A new read-write session with the token in `slot_id`.
  Result<Session> open_session(unsigned long slot_id) const;
  // X-Road's token initialization for a test or a new device: C_InitToken with `so_pin` and
  // `label`, then the user PIN set to `user_pin`.
  Status init_token(unsigned long slot_id, const std::string& so_pin, const std::string& label,
                    const std::string& user_pin) const;

  // C_Finalize and C_Initialize again, as X-Road's signer does when a device failed: a token
  // that went away and came back is listed only after this (SoftHSM2 lists its tokens at
  // C_Initialize). Every session opened before is gone; their calls fail as CKR_SESSION_CLOSED
  // without reaching the library. Waits for calls in progress.
  Status reinitialize();

  // For Session: runs `call` with the function list while no reinitialize() runs, unless the
  // module was initialized again since `generation` (then CKR_SESSION_CLOSED).
  unsigned long call(std::uint64_t generation, const std::function<unsigned long(const void*)>& call) const;
  std::uint64_t generation() const;

 private:
  Module(std::string library, void* handle, const void* functions, unsigned long init_flags)
      : library_(std::move(library)), handle_(handle), functions_(functions), init_flags_(init_flags) {}
  Result<std::vector<TokenInfo>> tokens_locked() const REQUIRES_SHARED(lock_);
  std::string library_;
  void* handle_;
  const void* functions_;
  unsigned long init_flags_;
  mutable SharedMutex lock_;
  std::uint64_t generation_ GUARDED_BY(lock_) = 0;
};

// A session with one token: each call fails with an Error named after it (see above). A
// session is not thread-safe; the token keeps a pool of them (hardware_token.h). Closed on
// destruction (unless the device already lost it).
class Session {
 public:
  Session(std::shared_ptr<const Module> module, unsigned long handle, std::uint64_t generation)
      : module_(std::move(module)), handle_(handle), generation_(generation) {}
  // Whether the module was initialized again since this session was opened (it is gone).
  bool stale() const { return module_ && module_->generation() != generation_; }
  ~Session();
  Session(Session&& other) noexcept;
  Session& operator=(Session&& other) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // C_Login as the user, the PIN always checked by the device: when the application was logged
  // in already (CKR_USER_ALREADY_LOGGED_IN, answered without a check), it logs out and in
  // again. An empty PIN is refused without asking the device.
  Status login(const std::string& pin);
  Status logout();
  // Whether this process is logged in to the token (C_GetSessionInfo's state).
  Result<bool> logged_in() const;

  // Private keys (`private_keys`) or public keys whose CKA_ID is `id` (any, when empty); at
  // most `limit` of them.
  Result<std::vector<ObjectHandle>> find_keys(bool private_keys, std::string_view id = {},
                                              std::size_t limit = 1024) const;
  // An attribute's value (CKA_ value), or an Error when the object has none or it is
  // sensitive; at most 64 KiB.
  Result<std::string> attribute(ObjectHandle object, unsigned long type) const;
  // The SubjectPublicKeyInfo DER of a public or private key object (an RSA key's modulus and
  // exponent, an EC key's parameters and point; a private key without them is an Error).
  Result<std::string> public_key_der(ObjectHandle key) const;
  // What the signer knows of a private key: its CKA_ID, CKA_LABEL ("" without one), whether
  // it is EC (else RSA), and its public key (read from the private key object, or from the
  // public key of the same CKA_ID when that holds it alone).
  struct KeyFacts {
    std::string id, label, public_key_der;
    bool ec = false;
  };
  Result<KeyFacts> describe_key(ObjectHandle private_key) const;

  // A key pair generated on the token: RSA of `rsa_bits` (2048 or more), or EC on the named
  // curve `ec_curve` ("P-256", "P-384") when that is not empty. Returns the private key.
  Result<ObjectHandle> generate_key_pair(std::string_view id, std::string_view label, unsigned rsa_bits,
                                         std::string_view ec_curve, const KeyTemplate& extra);
  // Destroys the key pair whose CKA_ID is `id` (its public and private keys).
  Status destroy_key_pair(std::string_view id);

  // C_SignInit + C_Sign with `key`: RSA PKCS#1 v1.5 over a DigestInfo, raw RSA over a padded
  // block, or ECDSA over a digest (r || s).
  Result<std::string> sign(Mechanism mechanism, ObjectHandle key, std::string_view data);

 private:
  // The call `name` through the module (see Module::call), its CKR_ value an Error.
  Status invoke(const char* name, const std::function<unsigned long(const void*)>& call) const;
  std::shared_ptr<const Module> module_;
  unsigned long handle_;
  std::uint64_t generation_;
  bool open_ = true;
};

}  // namespace roadside::signer::pkcs11
