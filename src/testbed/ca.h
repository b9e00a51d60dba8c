// The test instance's certification authority: a CA certificate, a delegated OCSP responder
// certificate (EKU OCSPSigning) and a TSA certificate (EKU timeStamping), issuing X-Road
// authentication and signing certificates in one of X-Road's certificate profiles
// (trust/certificate_profile.h), for keys it is given or for the CSRs Security Servers send
// it, and revoking them. Its state lives in a folder:
//   ca.pem ca.key  ocsp.pem ocsp.key  tsa.pem tsa.key   (keys 0600; a test instance only)
//   issued.json   {"<serial hex>": {"subject": "...", "revoked": "<RFC 3339>"?}}
//   profile       the profile's class name (FiVRK when absent)
// Another process may issue from the same folder (`roadside testbed sign-csr` while `up`
// runs): issued.json is read again whenever it changed on disk, before an answer and before
// a change, so the running OCSP responder knows what the other issued.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/identifiers.h"
#include "crypto/crypto.h"
#include "testbed/authority.h"
#include "trust/certificate_profile.h"

namespace roadside::testbed {

class TestCa {
 public:
  // A new CA (ECDSA P-256 keys with `ecdsa`, else RSA 2048), stored in `dir`, issuing in
  // the certificate profile of class `profile_class` (trust::CertificateProfile).
  static Result<std::unique_ptr<TestCa>> create(const std::filesystem::path& dir, const std::string& name, bool ecdsa,
                                                std::string_view profile_class = trust::kFiVrkProfile);
  static Result<std::unique_ptr<TestCa>> load(const std::filesystem::path& dir);
  // An existing test PKI's CA, OCSP responder and TSA taken into `dir` as create() stores a
  // new one, from the files of X-Road's test CA in `from` (ca.cert.pem ca.key.pem, ocsp.cert.pem
  // ocsp.key.pem, tsa.cert.pem tsa.key.pem): an instance whose servers' certificates X-Road's
  // test system would trust. What it issued before is not known to its OCSP responder until
  // listed in issued.json.
  static Result<std::unique_ptr<TestCa>> adopt(const std::filesystem::path& dir, const std::filesystem::path& from,
                                               std::string_view profile_class = trust::kFiVrkProfile);

  const crypto::Certificate& ca() const { return ca_; }
  const crypto::Certificate& ocsp() const { return ocsp_; }
  const crypto::Certificate& tsa() const { return tsa_; }
  const crypto::PrivateKey& tsa_key() const { return tsa_key_; }
  OcspResponderKey ocsp_key() const { return {ca_, ocsp_, ocsp_key_}; }

  const trust::CertificateProfile& profile() const { return *profile_; }

  // A signing certificate (nonRepudiation) for `member` (its owner member), whose CSR was made
  // on server `server_code`; `organization` is the member's name. The subject is what X-Road's
  // CSR form gives under the profile (subject_for); with FiVRK:
  // C=FI, O=<organization>, serialNumber=<instance>/<server code>/<class>, CN=<code>.
  Result<crypto::Certificate> issue_signing(const XRoadId& member, const std::string& server_code,
                                            const std::string& organization, const crypto::PrivateKey& key);
  // An authentication certificate (TLS client and server) for security server `server`, whose
  // owner is named `owner_name` ("" for its member code).
  Result<crypto::Certificate> issue_auth(const XRoadId& server, const crypto::PrivateKey& key,
                                         const std::string& owner_name = "");
  // The subject a certificate of `type` gets under `profile`: every field of X-Road's CSR form
  // at its default; the fields the form leaves to the member filled as a member of this
  // instance would (country: the instance's first two letters when it starts so, else XX;
  // organization name: the member's name; server DNS name: the server code); then what a CA
  // of that profile adds itself (SkKlass3: organizationIdentifier NTREE-/GO:EE-/NP:EE-<code>;
  // SkEsteId, whose form has no fields: serialNumber=<member code>, CN=<name>).
  static Result<trust::DistinguishedName> subject_for(const trust::CertificateProfile& profile, trust::CertType type,
                                                      const trust::ProfileParameters& params);
  // The certificate a Security Server's CSR asks for, as issue_signing/issue_auth issue them
  // (the same extensions and validity), for the request's key and with the request's subject
  // once the CA's profile accepts it for `type`:
  //   - the request's signature verifies with its key, an RSA key of 2048 bits or more or an
  //     EC key of 256 or more;
  //   - every attribute of the subject is a field of the profile's CSR form for that type
  //     (or one a CA of that profile adds itself: SkKlass3's organizationIdentifier,
  //     SkEsteId's serialNumber and CN), none twice, every field of the form there and not
  //     blank, and a read-only field the form fixes (FiVRK's C=FI) at its value;
  //   - for a signing certificate, the profile reads a member of `instance` out of the
  //     subject (what verification will do with every signature it makes).
  // Anything else is refused as base::errc::invalid_argument saying why.
  Result<crypto::Certificate> sign_csr(const crypto::CertificateRequest& csr, trust::CertType type,
                                       std::string_view instance);
  Status revoke(const crypto::Certificate& cert, std::chrono::system_clock::time_point at);
  // Tells the OCSP responder of a certificate this CA issued before it knew (one of an adopted
  // CA's): good from now on. base::errc::invalid_argument when this CA did not sign it.
  Status know(const crypto::Certificate& cert);
  // What the OCSP responder says about a serial: good, revoked, or unknown (std::nullopt).
  std::optional<OcspAnswer> status(const std::string& serial_hex) const;

 private:
  TestCa(std::filesystem::path dir, crypto::PrivateKey ca_key, crypto::Certificate ca, crypto::PrivateKey ocsp_key,
         crypto::Certificate ocsp, crypto::PrivateKey tsa_key, crypto::Certificate tsa,
         const trust::CertificateProfile* profile)
      : profile_(profile),
        dir_(std::move(dir)),
        ca_key_(std::move(ca_key)),
        ca_(std::move(ca)),
        ocsp_key_(std::move(ocsp_key)),
        ocsp_(std::move(ocsp)),
        tsa_key_(std::move(tsa_key)),
        tsa_(std::move(tsa)) {}
  static Result<std::unique_ptr<TestCa>> store(const std::filesystem::path& dir, crypto::PrivateKey ca_key,
                                               crypto::Certificate ca, crypto::PrivateKey ocsp_key,
                                               crypto::Certificate ocsp, crypto::PrivateKey tsa_key,
                                               crypto::Certificate tsa, const trust::CertificateProfile* profile);
  // What a certificate of `type` gets besides its subject (usage, alternative names,
  // validity): the same from issue_signing/issue_auth and sign_csr.
  static crypto::CertificateSpec spec_for(trust::CertType type);
  static constexpr std::chrono::hours kValidity{24 * 365 * 10};
  Result<crypto::Certificate> issue(crypto::CertificateSpec spec, const crypto::PrivateKey& key);
  Result<crypto::Certificate> record(crypto::Certificate cert);
  Status save_issued() const;     // callers hold mu_
  Status refresh_issued() const;  // callers hold mu_: issued.json again when it changed on disk

  struct Issued {
    std::string subject;
    std::optional<std::chrono::system_clock::time_point> revoked;
  };
  const trust::CertificateProfile* profile_;
  std::filesystem::path dir_;
  crypto::PrivateKey ca_key_;
  crypto::Certificate ca_;
  crypto::PrivateKey ocsp_key_;
  crypto::Certificate ocsp_;
  crypto::PrivateKey tsa_key_;
  crypto::Certificate tsa_;
  mutable std::mutex mu_;
  // By serial hex; mutable because answering (status) first takes in what another process wrote.
  mutable std::map<std::string, Issued> issued_;
  // issued.json as last read or written: a rename (write_file_atomically) makes a new inode.
  struct FileStamp {
    std::uint64_t inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    friend bool operator==(const FileStamp&, const FileStamp&) = default;
  };
  mutable std::optional<FileStamp> issued_stamp_;
};

}  // namespace roadside::testbed
