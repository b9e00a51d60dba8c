// The software token, kept in the database (table token_keys): each key is a PKCS#12 blob
// encrypted under the token PIN, with its certificate and, for signing keys, the member it
// signs for. The database plus the PIN is the server's whole identity; a new host with the
// same database is the same server.
//
// Keys get in by importing a software-token folder as X-Road's signer keeps it (keyconf.xml
// and <keyId>.p12; `roadside token import`, or `serve` with token.import_dir). login(PIN)
// opens every key (autologin at start from XROAD_TOKEN_PIN); until then signing refuses
// with token_not_active.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/identifiers.h"
#include "base/result.h"
#include "crypto/crypto.h"
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

class SoftToken {
 public:
  explicit SoftToken(storage::Store& store) : store_(store) {}

  // Copies the keys of a software-token folder (keyconf.xml + <keyId>.p12, still encrypted
  // under their PIN) into the database. Keys already there are left alone. Returns how many
  // were added.
  Result<int> import_folder(const std::filesystem::path& dir);
  // The keys in the database (without opening them).
  Result<std::vector<TokenKeyInfo>> keys() const;

  // Opens every key with `pin`. errc::pin_incorrect when the PIN does not open them (the PIN
  // is never logged); errc::key_not_found when the token holds no key.
  Status login(const std::string& pin);
  bool active() const;
  // Why signing is not possible now, or std::nullopt.
  std::optional<std::string> not_ready() const;

  // The signing key for `member`'s messages (a subsystem signs with its member's key).
  // errc::token_not_active before login, errc::key_not_found without such a key.
  Result<std::shared_ptr<const OpenKey>> signing_key(const XRoadId& member) const;
  // The authentication key (TLS between Security Servers).
  Result<std::shared_ptr<const OpenKey>> auth_key() const;

 private:
  storage::Store& store_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<const OpenKey>> open_;  // GUARDED_BY(mu_)
  bool active_ = false;                               // GUARDED_BY(mu_)
  std::string last_error_;                            // GUARDED_BY(mu_)
};

}  // namespace roadside::signer
