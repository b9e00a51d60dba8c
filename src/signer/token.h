// The software token, kept in the database (table token_keys): each key sealed under the
// token PIN (crypto/key_wrap.h: scrypt and AES-256-GCM), with its certificate and, for signing
// keys, the member it signs for. The database plus the PIN is the server's whole identity; a
// new host with the same database is the same server.
//
// Keys get in by importing a software-token folder as X-Road's signer keeps it (keyconf.xml
// and <keyId>.p12; `serve` with token.import_dir). login(PIN) opens every key (autologin at
// start from XROAD_TOKEN_PIN); until then, and after logout(), signing refuses with
// token_not_active.
//
// A .p12 file is only as strong as its KDF (X-Road's are 2,048 iterations), so it is not kept:
// imported with the PIN, a key is sealed at once; imported without it (or from a database of
// schema 4 or older), it stays in key_pkcs12 until the first login with the PIN, which seals
// every such key of the token in one transaction and clears their key_pkcs12.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/identifiers.h"
#include "base/random.h"
#include "base/result.h"
#include "base/thread_annotations.h"
#include "crypto/crypto.h"
#include "crypto/key_wrap.h"
#include "signer/keyconf.h"
#include "storage/store.h"

namespace roadside::signer {

struct TokenKeyInfo {
  std::string key_id;
  KeyUsage usage = KeyUsage::signing;
  std::optional<XRoadId> member;  // signing keys
  std::string friendly_name;
  crypto::Certificate cert;
};

struct OpenKey {
  TokenKeyInfo info;
  crypto::PrivateKey key;
};

// Where the message path takes its keys from (SoftToken; a fake in unit tests).
class KeySource {
 public:
  virtual ~KeySource() = default;
  // The signing key for `member`'s messages (a subsystem signs with its member's key).
  // errc::token_not_active before login, errc::key_not_found without such a key.
  virtual Result<std::shared_ptr<const OpenKey>> signing_key(const XRoadId& member) const = 0;
  // The authentication key (TLS between Security Servers); the same errors.
  virtual Result<std::shared_ptr<const OpenKey>> auth_key() const = 0;
};

class SoftToken final : public KeySource {
 public:
  explicit SoftToken(storage::Store& store, Random& random = Random::system()) : store_(store), random_(random) {}

  // Copies the keys of a software-token folder (keyconf.xml + <keyId>.p12) into the database.
  // A key that `pin` opens is stored sealed and its .p12 is not kept; without a PIN, or when
  // the PIN does not open it, the .p12 is stored as it came until the first login seals it.
  // Keys already there are left alone. Returns how many were added.
  Result<int> import_folder(const std::filesystem::path& dir, const std::string& pin = {});
  // The keys in the database (without opening them).
  Result<std::vector<TokenKeyInfo>> keys() const;

  // Opens every key with `pin`. errc::pin_incorrect when the PIN does not open them, or a
  // sealed key was altered (the PIN is never logged); errc::key_not_found when the token holds
  // no key. Keys still kept as PKCS#12 are then sealed, all in one transaction; if that fails
  // they stay as they were (logged) and the login still succeeds.
  Status login(const std::string& pin);
  // Closes every key (X-Road's "Log out" of a token): signing_key() and auth_key() refuse with
  // token_not_active until the next login. Keys already handed out stay usable by their
  // holders. Returns whether the token was logged in.
  bool logout();
  bool active() const;
  // Why signing is not possible now, or std::nullopt.
  std::optional<std::string> not_ready() const;

  // The signing key for `member`'s messages (a subsystem signs with its member's key).
  // errc::token_not_active before login, errc::key_not_found without such a key.
  Result<std::shared_ptr<const OpenKey>> signing_key(const XRoadId& member) const override;
  // The authentication key (TLS between Security Servers).
  Result<std::shared_ptr<const OpenKey>> auth_key() const override;

 private:
  // Seals `keys` (opened from PKCS#12 by a login) and clears their key_pkcs12, in one
  // transaction; `kek` is reused when it was derived with today's parameters.
  Status seal_imported(const std::vector<std::shared_ptr<const OpenKey>>& keys, const std::string& pin,
                       const crypto::KeyWrapKey* kek);

  storage::Store& store_;
  Random& random_;
  mutable Mutex mu_;
  std::vector<std::shared_ptr<const OpenKey>> open_ GUARDED_BY(mu_);
  bool active_ GUARDED_BY(mu_) = false;
  bool logged_out_ GUARDED_BY(mu_) = false;  // by logout(), since the last login
  std::string last_error_ GUARDED_BY(mu_);
};

}  // namespace roadside::signer
