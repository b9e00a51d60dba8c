// The signer's key configuration (keyconf.xml, namespace http://x-road.eu/xsd/xroad.xsd) and
// the software token: a folder of <keyId>.p12 files whose password is the token PIN
// (xroad-protocols.md §8.1). The certificates live in keyconf.xml; the PKCS#12 files hold
// the keys (with a placeholder certificate).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/errc.h"
#include "base/identifiers.h"
#include "base/result.h"
#include "crypto/crypto.h"

namespace roadside::signer {

enum class errc {
  malformed_keyconf = 1,  // keyconf.xml is not what the signer writes
  key_not_found,          // no key (or key file) with that id, or none for that member
  cert_not_found,         // no active certificate for the member
  pin_incorrect,          // the PIN does not open the key file
  token_not_active,       // the token is not logged in (no PIN given yet)
  ocsp_unavailable,       // no valid OCSP response for an own certificate yet
  cert_exists,            // the certificate is in the token already
  csr_not_found,          // no CSR with that id (for that key)
  key_usage_mismatch,     // a key of one usage asked to take a CSR or certificate of the other
  member_required,        // a signing CSR or certificate without the member it is for
  token_not_available,    // a hardware token (or its device) is not there now
  token_failed,           // a hardware token refused an operation (its CKR_ code says why)
};
const FaultCategory& signer_category() noexcept;
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), signer_category()}; }

enum class KeyUsage { signing, authentication };

// Ids as X-Road's signer makes them: a new key's, 40 random upper-case hex digits; a
// certificate's, the upper-case hex of its SHA-1.
std::string new_key_id();
// X-Road's key id of a key's bytes (a PKCS#11 CKA_ID): their upper-case hex.
std::string key_id_of(std::string_view id_bytes);
std::string cert_id(const crypto::Certificate& cert);

struct KeyconfCert {
  std::string id;  // SHA-1 hex of the certificate, as the signer names it
  bool active = false;
  std::optional<XRoadId> member;  // signing certificates are bound to a member
  crypto::Certificate cert;
  std::string status;  // "registered", "saved", ...
};

struct KeyconfKey {
  KeyUsage usage = KeyUsage::signing;
  std::string key_id;
  std::string friendly_name;
  std::string sign_mechanism;  // CKM_RSA_PKCS, CKM_ECDSA, ...
  std::vector<KeyconfCert> certs;
};

struct KeyconfDevice {
  std::string type;  // "softToken" or a PKCS#11 module
  std::string id;
  std::vector<KeyconfKey> keys;
};

struct Keyconf {
  std::vector<KeyconfDevice> devices;

  static Result<Keyconf> parse(std::string_view xml);
  // keyconf.xml as X-Road's signer writes it.
  std::string to_xml() const;

  struct Found {
    const KeyconfDevice* device;
    const KeyconfKey* key;
    const KeyconfCert* cert;
  };
  // The signing key with an active certificate bound to `member`.
  Result<Found> signing_key(const XRoadId& member) const;
};

struct SigningIdentity {
  std::string key_id;
  crypto::PrivateKey key;
  crypto::Certificate cert;
  XRoadId member;
};

// A software-token folder as X-Road's signer keeps it: its keyconf.xml, and the PKCS#12 file
// of one key (still encrypted under the PIN). errc::malformed_keyconf for a key id that is not
// a file name; errc::key_not_found when the file cannot be read.
Result<Keyconf> read_keyconf(const std::filesystem::path& token_dir);
Result<std::string> read_soft_token_key_file(const std::filesystem::path& token_dir, const std::string& key_id);

// Adds `key` to a software token folder: <key_id>.p12 under `pin` (with a placeholder
// certificate, as X-Road's signer does); the caller records the key in keyconf.xml.
Status write_soft_token_key(const std::filesystem::path& token_dir, const std::string& key_id, const crypto::PrivateKey& key,
                            const std::string& pin);

// Opens `member`'s signing key from a software token folder (keyconf.xml + <keyId>.p12)
// with `pin`, and checks that the key is the certificate's.
Result<SigningIdentity> open_soft_token_signing_key(const std::filesystem::path& token_dir, const std::string& pin,
                                                    const XRoadId& member);

}  // namespace roadside::signer

ROADSIDE_ERRC_ENUM(roadside::signer::errc)
