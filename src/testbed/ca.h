// The test instance's certification authority: a CA certificate, a delegated OCSP responder
// certificate (EKU OCSPSigning) and a TSA certificate (EKU timeStamping), issuing X-Road
// authentication and signing certificates and revoking them. Its state lives in a folder:
//   ca.pem ca.key  ocsp.pem ocsp.key  tsa.pem tsa.key   (keys 0600; a test instance only)
//   issued.json   {"<serial hex>": {"subject": "...", "revoked": "<RFC 3339>"?}}
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "base/identifiers.h"
#include "crypto/crypto.h"
#include "testbed/authority.h"

namespace roadside::testbed {

class TestCa {
 public:
  // A new CA (ECDSA P-256 keys with `ecdsa`, else RSA 2048), stored in `dir`.
  static Result<std::unique_ptr<TestCa>> create(const std::filesystem::path& dir, const std::string& name, bool ecdsa);
  static Result<std::unique_ptr<TestCa>> load(const std::filesystem::path& dir);

  const crypto::Certificate& ca() const { return ca_; }
  const crypto::Certificate& ocsp() const { return ocsp_; }
  const crypto::Certificate& tsa() const { return tsa_; }
  const crypto::PrivateKey& tsa_key() const { return tsa_key_; }
  OcspResponderKey ocsp_key() const { return {ca_, ocsp_, ocsp_key_}; }

  // A signing certificate (nonRepudiation) for `member`, in the subject form of X-Road's
  // FiVRK profile: C=FI, O=<organization>, serialNumber=<instance>/<server code>/<class>, CN=<code>.
  Result<crypto::Certificate> issue_signing(const XRoadId& member, const std::string& server_code,
                                            const std::string& organization, const crypto::PrivateKey& key);
  // An authentication certificate (TLS client and server) for security server `server`.
  Result<crypto::Certificate> issue_auth(const XRoadId& server, const crypto::PrivateKey& key);
  Status revoke(const crypto::Certificate& cert, std::chrono::system_clock::time_point at);
  // What the OCSP responder says about a serial: good, revoked, or unknown (std::nullopt).
  std::optional<OcspAnswer> status(const std::string& serial_hex) const;

 private:
  TestCa(std::filesystem::path dir, crypto::PrivateKey ca_key, crypto::Certificate ca, crypto::PrivateKey ocsp_key,
         crypto::Certificate ocsp, crypto::PrivateKey tsa_key, crypto::Certificate tsa)
      : dir_(std::move(dir)),
        ca_key_(std::move(ca_key)),
        ca_(std::move(ca)),
        ocsp_key_(std::move(ocsp_key)),
        ocsp_(std::move(ocsp)),
        tsa_key_(std::move(tsa_key)),
        tsa_(std::move(tsa)) {}
  Result<crypto::Certificate> issue(crypto::CertificateSpec spec, const crypto::PrivateKey& key);
  Status save_issued() const;  // callers hold mu_

  struct Issued {
    std::string subject;
    std::optional<std::chrono::system_clock::time_point> revoked;
  };
  std::filesystem::path dir_;
  crypto::PrivateKey ca_key_;
  crypto::Certificate ca_;
  crypto::PrivateKey ocsp_key_;
  crypto::Certificate ocsp_;
  crypto::PrivateKey tsa_key_;
  crypto::Certificate tsa_;
  mutable std::mutex mu_;
  std::map<std::string, Issued> issued_;  // by serial hex
};

}  // namespace roadside::testbed
