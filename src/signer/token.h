// The software token, kept in the database as X-Road's signer keeps a token: keys (table
// token_keys), each sealed under the token PIN (crypto/key_wrap.h: scrypt and AES-256-GCM);
// their certificates (token_certificates) with X-Road's states and the member a signing
// certificate signs for; and CSRs waiting for their certificates (token_csrs). The database plus
// the PIN is the server's whole identity; a new host with the same database is the same server.
//
// Keys get in two ways: generated here (generate_key, then make_csr, then import_certificate),
// or imported from a software-token folder as X-Road's signer keeps it (keyconf.xml and
// <keyId>.p12; `serve` with token.import_dir). login(PIN) opens every key (autologin at start
// from XROAD_TOKEN_PIN); until then, and after logout(), signing refuses with token_not_active.
// A token without keys gets its PIN from initialize(), which keeps a sealed verifier.
//
// The message path signs with the newest active, registered certificate of a member (and
// authenticates with the newest active, registered authentication certificate), so activating
// a renewed certificate and disabling the old one takes effect on the next message.
//
// Hardware tokens' keys are kept here too (attach(), with the server's HardwareTokens): a row
// with the hardware token's id and the key's public key, its certificates and CSRs as a
// software key's; the key itself stays on its device and signs through it. Such a key is
// usable whether or not the software token is logged in, while its own token is active.
//
// A .p12 file is only as strong as its KDF (X-Road's are 2,048 iterations), so it is not kept:
// imported with the PIN, a key is sealed at once; imported without it (or from a database of
// schema 4 or older), it stays in key_pkcs12 until the first login with the PIN, which seals
// every such key of the token in one transaction and clears their key_pkcs12.
#pragma once

#include <filesystem>
#include <map>
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

// X-Road's certificate states (the admin API's CertificateStatus).
enum class CertStatus { saved, registration_in_progress, registered, deletion_in_progress, global_error };
std::string_view cert_status_name(CertStatus status) noexcept;  // "SAVED", ...
std::optional<CertStatus> parse_cert_status(std::string_view name) noexcept;
std::string_view key_usage_name(KeyUsage usage) noexcept;  // "SIGNING", "AUTHENTICATION"
// A certificate hash as given (any case) in the form TokenCert::hash() has: upper-case hex.
std::string normalized_cert_hash(std::string hash);

// A certificate of a key in the token.
struct TokenCert {
  std::string key_id;
  std::optional<XRoadId> member;  // signing certificates
  crypto::Certificate cert;
  bool active = false;
  CertStatus status = CertStatus::saved;
  std::string hash() const { return cert.sha256_hex(); }  // X-Road's certificate hash
};

// A certificate signing request made for a key, kept until its certificate is imported.
struct TokenCsr {
  std::string csr_id;
  std::string key_id;
  KeyUsage usage = KeyUsage::signing;
  std::optional<XRoadId> member;
  std::string subject;  // RFC 2253
  std::string profile;  // the certificate profile that made the subject
  std::string der;
};

// A key of the token with everything attached to it.
struct TokenKey {
  std::string key_id;
  std::string token_id = "0";     // the software token's, or a hardware token's (hardware_token.h)
  std::optional<KeyUsage> usage;  // set by the key's first CSR (or its imported certificate)
  std::string friendly_name;
  std::string label;
  bool ec = false;  // an EC key (else RSA); only known while the key is opened or has a certificate
  std::string public_key;  // SubjectPublicKeyInfo DER; empty for an imported key until its first login
  std::vector<TokenCert> certs;
  std::vector<TokenCsr> csrs;
};

// A key with the certificate it is used with now: a signing key with its member's active,
// registered certificate, or the authentication key with its active, registered certificate.
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

// A hardware token's state as the key model needs it.
struct HardwareTokenState {
  bool available = false;
  bool active = false;  // logged in (and available)
};

// The hardware (PKCS#11) tokens whose keys the database model below also keeps: a key's row
// has its token's id and its public key, the key itself stays on the device. HardwareTokens
// (hardware_tokens.h) is this; a fake in unit tests.
class HardwareKeys {
 public:
  virtual ~HardwareKeys() = default;
  // The state of token `token_id`, or std::nullopt when no configured device has it.
  virtual std::optional<HardwareTokenState> state(const std::string& token_id) const = 0;
  // The key `key_id` of token `token_id`, whose public key is `public_key_der`, as a PrivateKey
  // that signs through the token (made without asking the device; signing refuses with
  // errc::token_not_available while no configured device lists the token).
  virtual Result<crypto::PrivateKey> key(const std::string& token_id, const std::string& key_id,
                                         const std::string& public_key_der) const = 0;
  // A key pair generated on token `token_id` (logged in): its X-Road key id and public key.
  struct Generated {
    std::string key_id;
    std::string public_key_der;
  };
  virtual Result<Generated> generate(const std::string& token_id, const std::string& label, crypto::KeyType type) = 0;
  // Destroys the key pair on the token (logged in); a key the token no longer holds is no error.
  virtual Status destroy(const std::string& token_id, const std::string& key_id) = 0;
};

class SoftToken final : public KeySource {
 public:
  // X-Road's id and name of the software token.
  static constexpr std::string_view kTokenId = "0";

  explicit SoftToken(storage::Store& store, Random& random = Random::system()) : store_(store), random_(random) {}

  // The hardware tokens whose keys the database also keeps (the server's, from devices.ini),
  // or none. Reads the keys again (reload()).
  void attach(HardwareKeys* hardware);

  // Copies the keys of a software-token folder (keyconf.xml + <keyId>.p12) into the database,
  // with their certificates and X-Road's states. A key that `pin` opens is stored sealed and its
  // .p12 is not kept; without a PIN, or when the PIN does not open it, the .p12 is stored as it
  // came until the first login seals it. Keys already there are left alone. Returns how many
  // were added.
  Result<int> import_folder(const std::filesystem::path& dir, const std::string& pin = {});

  // Sets the PIN of a token that has none yet (X-Road's software token initialization): a
  // verifier sealed under it is kept, so a login without keys can check the PIN, and the token
  // is logged in. errc::pin_incorrect when the token already has a PIN or keys.
  Status initialize(const std::string& pin);
  // Whether the token has a PIN (initialized, or holds keys).
  Result<bool> initialized() const;

  // The keys in the database with their certificates and CSRs (without opening them).
  Result<std::vector<TokenKey>> contents() const;
  // The keys in use now (see TokenKeyInfo), from the database.
  Result<std::vector<TokenKeyInfo>> keys() const;

  // Opens every key with `pin`. errc::pin_incorrect when the PIN does not open them, or a
  // sealed key was altered (the PIN is never logged); errc::key_not_found when the token holds
  // no key and has no PIN. Keys still kept as PKCS#12 are then sealed, all in one transaction;
  // if that fails they stay as they were (logged) and the login still succeeds.
  Status login(const std::string& pin);
  // Closes every key (X-Road's "Log out" of a token): signing_key() and auth_key() refuse with
  // token_not_active until the next login. Keys already handed out stay usable by their
  // holders. Returns whether the token was logged in.
  bool logout();
  bool active() const;
  // Why signing is not possible now, or std::nullopt: a hardware token holding keys in use
  // (an active, registered certificate) that is not available or not logged in; the software
  // token not logged in while it holds keys (or while no hardware token does).
  std::optional<std::string> not_ready() const;
  // Reads the certificates again (another node, or another component, changed them) and keeps
  // the opened keys; a key added since the login is opened with the login's key-encryption key.
  Status reload();

  // A new key (the token must be logged in): sealed under the PIN, with no usage until a CSR.
  // With a hardware token's `token_id`, the key pair is generated on that token (logged in;
  // errc::token_not_active, errc::token_not_available) and its row keeps the public key.
  Result<TokenKey> generate_key(const std::string& label, crypto::KeyType type,
                                const std::string& token_id = std::string(kTokenId));
  Status rename_key(const std::string& key_id, const std::string& friendly_name);
  // Deletes a key with its certificates and CSRs; a hardware token's key from its device too
  // (logged in), or from the database only when no configured device lists its token.
  Status delete_key(const std::string& key_id);
  // A CSR for the key, signed by it (the token must be logged in): `subject` in order. The key
  // takes `usage` if it had none; errc::key_not_found for a key of the other usage.
  // `dns_name`, when given, is asked for as the subjectAltName (X-Road's form field of that name).
  Result<TokenCsr> make_csr(const std::string& key_id, KeyUsage usage, const std::optional<XRoadId>& member,
                            const std::vector<std::pair<std::string, std::string>>& subject, const std::string& profile,
                            const std::string& dns_name = {});
  // errc::csr_not_found when `key_id` has no CSR `csr_id`.
  Status delete_csr(const std::string& key_id, const std::string& csr_id);
  // Imports a certificate for the key whose public key it has (logged in or not). A signing
  // certificate takes the member of its key's CSR (or `member`), is active and registered; an
  // authentication certificate is saved and inactive until it is registered and activated (as
  // X-Road's signer does). The CSRs of that key and member go. errc::key_not_found when no key
  // of the token has its public key; errc::cert_exists for a certificate already there;
  // errc::key_usage_mismatch for an authentication certificate on a signing key or the reverse;
  // errc::member_required for a signing certificate whose member is not known. The caller checks
  // the certificate's chain and validity (the admin API does, against global configuration).
  Result<TokenCert> import_certificate(const crypto::Certificate& cert, const std::optional<XRoadId>& member = std::nullopt);
  Status set_active(const std::string& cert_hash, bool active);
  Status set_status(const std::string& cert_hash, CertStatus status);
  Status delete_certificate(const std::string& cert_hash);

  // The opened private key `key_id` (its token logged in), whatever its certificates: what
  // signs a management request (authCertReg with a key whose certificate is not registered yet).
  // errc::token_not_active, errc::token_not_available, errc::key_not_found.
  Result<crypto::PrivateKey> opened_key(const std::string& key_id) const;

  // The signing key for `member`'s messages (a subsystem signs with its member's key): the
  // newest active, registered signing certificate of the member whose key is open (a software
  // token's key while it is logged in, a hardware token's always). errc::token_not_active
  // when the key's token is not logged in, errc::token_not_available when its hardware token is
  // not there, errc::key_not_found without such a key.
  Result<std::shared_ptr<const OpenKey>> signing_key(const XRoadId& member) const override;
  // The authentication key (TLS between Security Servers): the newest active, registered
  // authentication certificate whose key is open; the same errors.
  Result<std::shared_ptr<const OpenKey>> auth_key() const override;

 private:
  // A new key's row: a software key's sealed form in `wrapped`, a hardware key's none (null).
  Status insert_key(const std::string& key_id, const std::string& token_id, const std::string& label,
                    const std::string& public_key_der, storage::Value wrapped);
  // Seals `keys` (opened from PKCS#12 by a login) and clears their key_pkcs12, in one
  // transaction; `kek` is reused when it was derived with today's parameters.
  Status seal_imported(const std::vector<std::pair<std::string, crypto::PrivateKey>>& keys, const std::string& pin,
                       const crypto::KeyWrapKey* kek);
  // The usable keys of `contents` whose private keys are in `opened`.
  static std::vector<std::shared_ptr<const OpenKey>> usable(const std::vector<TokenKey>& contents,
                                                            const std::map<std::string, crypto::PrivateKey>& opened);
  // The PrivateKeys of the hardware tokens' keys in `contents` (a key whose id is not hex is
  // left out).
  std::map<std::string, crypto::PrivateKey> hardware_keys(const std::vector<TokenKey>& contents) const;
  // open_ and the maps beside it, from `contents`, the software keys opened (when logged in)
  // and the hardware keys `hardware`.
  void rebuild(const std::vector<TokenKey>& contents, std::map<std::string, crypto::PrivateKey> hardware) REQUIRES(mu_);
  // Of `candidates`, the newest usable one (by its certificate's notBefore), checked against
  // its token's state; `what` names it in the errors.
  Result<std::shared_ptr<const OpenKey>> pick(const std::vector<std::shared_ptr<const OpenKey>>& candidates,
                                              const std::string& what) const REQUIRES(mu_);
  // Runs reload() after a change, keeping the change's own result.
  Status changed(Status result);

  storage::Store& store_;
  Random& random_;
  mutable Mutex mu_;
  std::map<std::string, crypto::PrivateKey> opened_ GUARDED_BY(mu_);  // by key id, while logged in
  std::optional<crypto::KeyWrapKey> kek_ GUARDED_BY(mu_);            // the login's, to seal new keys
  std::vector<std::shared_ptr<const OpenKey>> open_ GUARDED_BY(mu_);
  HardwareKeys* hardware_ GUARDED_BY(mu_) = nullptr;
  std::map<std::string, crypto::PrivateKey> hardware_keys_ GUARDED_BY(mu_);  // by key id
  std::map<std::string, std::string> token_of_ GUARDED_BY(mu_);              // a hardware key's token
  std::size_t soft_keys_ GUARDED_BY(mu_) = 0;                                // the software token's keys
  bool active_ GUARDED_BY(mu_) = false;
  bool logged_out_ GUARDED_BY(mu_) = false;  // by logout(), since the last login
  std::string last_error_ GUARDED_BY(mu_);
};

}  // namespace roadside::signer
