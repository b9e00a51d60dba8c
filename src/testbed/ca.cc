#include "testbed/ca.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/errors.h"
#include "base/files.h"
#include "base/log.h"

namespace roadside::testbed {
namespace {

namespace fs = std::filesystem;

Error io(std::string detail) {
  return Error(make_error_code(base::errc::io_error), std::move(detail));
}

Result<std::string> read(const fs::path& p) {
  return read_file_limited(p, 1 << 20);
}

// A key and its certificate, each in a PEM file.
struct KeyAndCert {
  crypto::PrivateKey key;
  crypto::Certificate cert;
};
Result<KeyAndCert> read_pair(const fs::path& key_file, const fs::path& cert_file) {
  ROADSIDE_TRY(std::string key_pem, read(key_file));
  ROADSIDE_TRY(std::string cert_pem, read(cert_file));
  ROADSIDE_TRY(crypto::PrivateKey key, crypto::PrivateKey::from_pem(key_pem));
  ROADSIDE_TRY(crypto::Certificate cert, crypto::Certificate::from_pem(cert_pem));
  return KeyAndCert{std::move(key), std::move(cert)};
}

Error refused(std::string detail) {
  return Error(make_error_code(base::errc::invalid_argument), std::move(detail));
}

// An exclusive lock on the CA folder's issued.lock while issued.json is read, changed and
// written, against another process issuing from the same folder (flock: released on close).
class IssuedLock {
 public:
  explicit IssuedLock(const fs::path& dir)
      : fd_(::open((dir / "issued.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600)) {}
  ~IssuedLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  IssuedLock(const IssuedLock&) = delete;
  IssuedLock& operator=(const IssuedLock&) = delete;
  Status acquire(const fs::path& dir) const {
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) return io("cannot lock " + (dir / "issued.lock").string());
    return {};
  }

 private:
  int fd_;
};

// The attributes a CA of this profile writes into subjects itself (subject_for), which its
// CSR form does not have.
std::vector<std::string> added_by_ca(const trust::CertificateProfile& profile) {
  if (profile.name() == "SkKlass3") return {std::string(trust::oid::kOrganizationIdentifier)};
  if (profile.name() == "SkEsteId")
    return {std::string(trust::oid::kSerialNumber), std::string(trust::oid::kCommonName)};
  return {};
}

// "Country Code (C)", "Serial Number (serialNumber)": the label, with the id unless it says it.
std::string field_name(const trust::SubjectField& field) {
  const std::string id = "(" + field.id + ")";
  return field.label.ends_with(id) ? field.label : field.label + " " + id;
}

// A subject a CSR brings, checked against the profile's CSR form for `type` (TestCa::sign_csr).
Status check_form(const trust::CertificateProfile& profile, trust::CertType type, const trust::DistinguishedName& dn) {
  // Which defaults the form fixes: those that do not change with the owner's identifiers.
  const auto blank = profile.subject_fields(type, {});
  const auto filled = profile.subject_fields(
      type,
      {.server = *XRoadId::server("I", "C", "M", "S"), .client = *XRoadId::member("I", "C", "M"), .member_name = "N"});
  std::map<std::string, std::size_t> form;  // by OID: index into the form's fields
  std::string names;
  for (std::size_t i = 0; i < blank.size(); ++i) {
    if (blank[i].id == "subjectAltName") continue;  // an extension, not the subject
    const auto oid = trust::attribute_oid(blank[i].id);
    if (!oid) continue;
    form.emplace(*oid, i);
    names += (names.empty() ? "" : ", ") + blank[i].id;
  }
  const auto extra = added_by_ca(profile);
  std::set<std::string> seen;
  for (const auto& a : dn) {
    const std::string keyword = trust::attribute_keyword(a.oid);
    if (!form.contains(a.oid) && std::find(extra.begin(), extra.end(), a.oid) == extra.end()) {
      return refused(keyword + " is not a field of the profile's form (" + (names.empty() ? "none" : names) + ")");
    }
    if (!seen.insert(a.oid).second) return refused(keyword + " appears twice");
  }
  for (const auto& entry : form) {
    const std::string& oid = entry.first;
    const trust::SubjectField& field = blank[entry.second];
    auto at = std::find_if(dn.begin(), dn.end(), [&](const trust::DnAttribute& a) { return a.oid == oid; });
    if (at == dn.end()) return refused("the form's field " + field_name(field) + " is missing");
    ROADSIDE_TRY_STATUS(profile.validate_subject_field(type, {}, field.id, at->value));
    const bool fixed =
        field.read_only && !field.default_value.empty() && field.default_value == filled[entry.second].default_value;
    if (fixed && at->value != field.default_value) {
      return refused(field_name(field) + " is " + field.default_value + " in this profile, not " + at->value);
    }
  }
  return {};
}

// What a member of this instance would type into the CSR form's free fields.
std::optional<std::string> filled_in(const trust::SubjectField& field, const trust::ProfileParameters& p) {
  const XRoadId& owner = p.server ? *p.server : *p.client;
  if (field.label_key == "COUNTRY_CODE") {
    const std::string_view instance = owner.instance();
    const bool letters = instance.size() >= 2 && std::isalpha(static_cast<unsigned char>(instance[0])) &&
                         std::isalpha(static_cast<unsigned char>(instance[1]));
    if (letters && (instance.size() == 2 || instance[2] == '-' || instance[2] == '_')) {
      return std::string{static_cast<char>(std::toupper(static_cast<unsigned char>(instance[0]))),
                         static_cast<char>(std::toupper(static_cast<unsigned char>(instance[1])))};
    }
    return "XX";  // ISO 3166's user-assigned code
  }
  if (field.label_key == "ORGANIZATION_NAME") return p.member_name;
  if (field.label_key == "SERVER_DNS_NAME") return p.server ? std::string(p.server->server_code()) : "localhost";
  if (field.label_key == "SUBJECT_ALTERNATIVE_NAME") return "localhost";
  // The form asks for every editable field (Fo's serialNumber), proposing its default.
  if (!field.default_value.empty()) return field.default_value;
  return std::nullopt;
}

}  // namespace

Result<trust::DistinguishedName> TestCa::subject_for(const trust::CertificateProfile& profile, trust::CertType type,
                                                     const trust::ProfileParameters& params) {
  if (!(type == trust::CertType::sign ? params.client : params.server)) {
    return Error(make_error_code(base::errc::invalid_argument), "a certificate subject without its owner's identifier");
  }
  const XRoadId owner = type == trust::CertType::sign ? params.client->owner_member() : params.server->owner_member();
  const auto fields = profile.subject_fields(type, params);
  std::map<std::string, std::string> submitted;
  for (const auto& f : fields) {
    if (f.read_only) continue;
    if (auto v = filled_in(f, params)) submitted[f.id] = *v;
  }
  ROADSIDE_TRY(auto values,
               trust::process_dn_parameters(fields, submitted, [&](std::string_view id, std::string_view v) {
                 return profile.validate_subject_field(type, params, id, v);
               }));
  // subjectAltName goes into the extension, not the name (the CA writes its own SAN).
  std::erase_if(values, [](const auto& v) { return v.first == "subjectAltName"; });
  ROADSIDE_TRY(trust::DistinguishedName dn,
               trust::parse_dn(trust::create_subject_name(values), trust::DnStringOrder::der));
  const std::string code(owner.member_code()), member_class(owner.member_class());
  if (profile.name() == "SkKlass3") {
    for (const auto& [cls, prefix] : {std::pair{"COM", "NTREE-"}, {"GOV", "GO:EE-"}, {"NGO", "NP:EE-"}}) {
      if (member_class == cls) dn.push_back({std::string(trust::oid::kOrganizationIdentifier), prefix + code});
    }
  }
  if (profile.name() == "SkEsteId") {
    dn.push_back({std::string(trust::oid::kSerialNumber), code});
    dn.push_back({std::string(trust::oid::kCommonName),
                  type == trust::CertType::auth ? std::string(params.server->server_code()) : params.member_name});
  }
  if (dn.empty()) return Error(make_error_code(base::errc::invalid_argument), "the profile gives an empty subject");
  return dn;
}

Result<std::unique_ptr<TestCa>> TestCa::store(const fs::path& dir, crypto::PrivateKey ca_key, crypto::Certificate ca,
                                              crypto::PrivateKey ocsp_key, crypto::Certificate ocsp,
                                              crypto::PrivateKey tsa_key, crypto::Certificate tsa,
                                              const trust::CertificateProfile* profile) {
  // The keys are secrets from their creation on; write_file_atomically makes the folder.
  for (const auto& [file, text, mode] : {std::tuple{"ca.pem", ca.to_pem(), FileMode::normal},
                                         {"ca.key", ca_key.to_pem(), FileMode::secret},
                                         {"ocsp.pem", ocsp.to_pem(), FileMode::normal},
                                         {"ocsp.key", ocsp_key.to_pem(), FileMode::secret},
                                         {"tsa.pem", tsa.to_pem(), FileMode::normal},
                                         {"tsa.key", tsa_key.to_pem(), FileMode::secret},
                                         {"profile", profile->class_name() + "\n", FileMode::normal}}) {
    ROADSIDE_TRY_STATUS(write_file_atomically(dir / file, text, mode));
  }
  std::unique_ptr<TestCa> out(new TestCa(dir, std::move(ca_key), std::move(ca), std::move(ocsp_key), std::move(ocsp),
                                         std::move(tsa_key), std::move(tsa), profile));
  std::lock_guard lock(out->mu_);
  ROADSIDE_TRY_STATUS(out->save_issued());
  return out;
}

Result<std::unique_ptr<TestCa>> TestCa::adopt(const fs::path& dir, const fs::path& from,
                                              std::string_view profile_class) {
  ROADSIDE_TRY(const trust::CertificateProfile* profile, trust::CertificateProfile::named(profile_class));
  ROADSIDE_TRY(KeyAndCert ca, read_pair(from / "ca.key.pem", from / "ca.cert.pem"));
  ROADSIDE_TRY(KeyAndCert ocsp, read_pair(from / "ocsp.key.pem", from / "ocsp.cert.pem"));
  ROADSIDE_TRY(KeyAndCert tsa, read_pair(from / "tsa.key.pem", from / "tsa.cert.pem"));
  if (!ca.cert.matches_key(ca.key) || !ocsp.cert.matches_key(ocsp.key) || !tsa.cert.matches_key(tsa.key))
    return io(from.string() + ": a certificate there is not for the key beside it");
  return store(dir, std::move(ca.key), std::move(ca.cert), std::move(ocsp.key), std::move(ocsp.cert),
               std::move(tsa.key), std::move(tsa.cert), profile);
}

Result<std::unique_ptr<TestCa>> TestCa::create(const fs::path& dir, const std::string& name, bool ecdsa,
                                               std::string_view profile_class) {
  ROADSIDE_TRY(const trust::CertificateProfile* profile, trust::CertificateProfile::named(profile_class));
  const auto type = ecdsa ? crypto::KeyType::ec_p256 : crypto::KeyType::rsa2048;
  ROADSIDE_TRY(crypto::PrivateKey ca_key, crypto::PrivateKey::generate(type));
  const auto now = std::chrono::system_clock::now() - std::chrono::minutes(5);
  const auto years = std::chrono::hours(24 * 365 * 20);
  crypto::CertificateSpec spec{.common_name = name,
                               .organization = "Roadside testbed",
                               .usage = crypto::Usage::ca,
                               .not_before = now,
                               .validity = years};
  ROADSIDE_TRY(crypto::Certificate ca, crypto::issue_certificate(spec, ca_key, nullptr, ca_key));
  ROADSIDE_TRY(crypto::PrivateKey ocsp_key, crypto::PrivateKey::generate(type));
  spec.common_name = name + " OCSP";
  spec.usage = crypto::Usage::ocsp_signing;
  ROADSIDE_TRY(crypto::Certificate ocsp, crypto::issue_certificate(spec, ocsp_key, &ca, ca_key));
  ROADSIDE_TRY(crypto::PrivateKey tsa_key, crypto::PrivateKey::generate(type));
  spec.common_name = name + " TSA";
  spec.usage = crypto::Usage::timestamping;
  ROADSIDE_TRY(crypto::Certificate tsa, crypto::issue_certificate(spec, tsa_key, &ca, ca_key));

  return store(dir, std::move(ca_key), std::move(ca), std::move(ocsp_key), std::move(ocsp), std::move(tsa_key),
               std::move(tsa), profile);
}

Result<std::unique_ptr<TestCa>> TestCa::load(const fs::path& dir) {
  ROADSIDE_TRY(KeyAndCert ca, read_pair(dir / "ca.key", dir / "ca.pem"));
  ROADSIDE_TRY(KeyAndCert ocsp, read_pair(dir / "ocsp.key", dir / "ocsp.pem"));
  ROADSIDE_TRY(KeyAndCert tsa, read_pair(dir / "tsa.key", dir / "tsa.pem"));
  std::string profile_class(trust::kFiVrkProfile);  // CAs made before profiles were chosen
  if (fs::exists(dir / "profile")) {
    ROADSIDE_TRY(profile_class, read(dir / "profile"));
    while (!profile_class.empty() && std::isspace(static_cast<unsigned char>(profile_class.back())))
      profile_class.pop_back();
  }
  ROADSIDE_TRY(const trust::CertificateProfile* profile, trust::CertificateProfile::named(profile_class));
  std::unique_ptr<TestCa> out(new TestCa(dir, std::move(ca.key), std::move(ca.cert), std::move(ocsp.key),
                                         std::move(ocsp.cert), std::move(tsa.key), std::move(tsa.cert), profile));
  std::lock_guard lock(out->mu_);
  ROADSIDE_TRY_STATUS(out->refresh_issued());
  return out;
}

namespace {

// What identifies one version of a file written by rename: its inode, size and mtime.
template <typename Stamp>
std::optional<Stamp> stamp_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return Stamp{static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_size),
               static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

}  // namespace

Status TestCa::refresh_issued() const {
  const fs::path file = dir_ / "issued.json";
  const auto stamp = stamp_of<FileStamp>(file);
  if (!stamp) return io("cannot read " + file.string());
  if (issued_stamp_ == stamp) return {};
  ROADSIDE_TRY(std::string text, read(file));
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return io(file.string() + " is not a JSON object");
  std::map<std::string, Issued> issued;
  for (const auto& [serial, v] : j.items()) {
    if (!v.is_object() || !v.contains("subject") || !v["subject"].is_string()) {
      return io(file.string() + ": the entry of " + serial + " has no subject");
    }
    Issued i{v["subject"].get<std::string>(), std::nullopt};
    if (v.contains("revoked")) {
      i.revoked = v["revoked"].is_string() ? parse_rfc3339(v["revoked"].get<std::string>()) : std::nullopt;
      if (!i.revoked) return io(file.string() + ": the revocation time of " + serial + " is not RFC 3339");
    }
    issued.emplace(serial, std::move(i));
  }
  issued_ = std::move(issued);
  issued_stamp_ = stamp;
  return {};
}

Status TestCa::save_issued() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [serial, i] : issued_) {
    j[serial] = {{"subject", i.subject}};
    if (i.revoked) j[serial]["revoked"] = format_rfc3339(*i.revoked);
  }
  ROADSIDE_TRY_STATUS(write_file_atomically(dir_ / "issued.json", j.dump(2) + "\n"));
  issued_stamp_ = stamp_of<FileStamp>(dir_ / "issued.json");
  return {};
}

Result<crypto::Certificate> TestCa::issue(crypto::CertificateSpec spec, const crypto::PrivateKey& key) {
  spec.validity = kValidity;
  ROADSIDE_TRY(crypto::Certificate cert, crypto::issue_certificate(spec, key, &ca_, ca_key_));
  return record(std::move(cert));
}

Result<crypto::Certificate> TestCa::record(crypto::Certificate cert) {
  std::lock_guard lock(mu_);
  const IssuedLock file_lock(dir_);
  ROADSIDE_TRY_STATUS(file_lock.acquire(dir_));
  ROADSIDE_TRY_STATUS(refresh_issued());
  issued_[cert.serial_hex()] = Issued{cert.subject(), std::nullopt};
  ROADSIDE_TRY_STATUS(save_issued());
  return cert;
}

Status TestCa::know(const crypto::Certificate& cert) {
  if (auto chained = crypto::verify_chain(cert, {}, {ca_}, std::chrono::system_clock::now()); !chained.ok())
    return Error(make_error_code(base::errc::invalid_argument),
                 cert.subject() + " is not a valid certificate of this CA: " + chained.error().detail());
  ROADSIDE_TRY(auto recorded, record(cert));
  (void)recorded;
  return ok_status();
}

crypto::CertificateSpec TestCa::spec_for(trust::CertType type) {
  crypto::CertificateSpec spec;
  if (type == trust::CertType::sign) {
    spec.usage = crypto::Usage::signing;
  } else {
    spec.dns_names = {"localhost"};
    spec.ip_addresses = {"127.0.0.1"};
    spec.usage = crypto::Usage::tls_server_and_client;
  }
  spec.validity = kValidity;
  return spec;
}

Result<crypto::Certificate> TestCa::issue_signing(const XRoadId& member, const std::string& server_code,
                                                  const std::string& organization, const crypto::PrivateKey& key) {
  const XRoadId m = member.owner_member();
  ROADSIDE_TRY(XRoadId server, XRoadId::server(m.instance(), m.member_class(), m.member_code(), server_code));
  ROADSIDE_TRY(trust::DistinguishedName dn, subject_for(*profile_, trust::CertType::sign,
                                                        {.server = server, .client = m, .member_name = organization}));
  crypto::CertificateSpec spec = spec_for(trust::CertType::sign);
  for (auto& a : dn) spec.subject_extra.emplace_back(std::move(a.oid), std::move(a.value));
  return issue(std::move(spec), key);
}

Result<crypto::Certificate> TestCa::issue_auth(const XRoadId& server, const crypto::PrivateKey& key,
                                               const std::string& owner_name) {
  const std::string name = owner_name.empty() ? std::string(server.member_code()) : owner_name;
  ROADSIDE_TRY(trust::DistinguishedName dn,
               subject_for(*profile_, trust::CertType::auth, {.server = server, .member_name = name}));
  crypto::CertificateSpec spec = spec_for(trust::CertType::auth);
  for (auto& a : dn) spec.subject_extra.emplace_back(std::move(a.oid), std::move(a.value));
  return issue(std::move(spec), key);
}

Result<crypto::Certificate> TestCa::sign_csr(const crypto::CertificateRequest& csr, trust::CertType type,
                                             std::string_view instance) {
  const char* what = type == trust::CertType::sign ? "signing" : "authentication";
  if (auto st = csr.verify(); !st.ok()) return refused("the CSR is refused: " + st.error().detail());
  if (!(csr.is_rsa_key() && csr.key_bits() >= 2048) && !(csr.is_ec_key() && csr.key_bits() >= 256)) {
    return refused("the CSR's key is neither RSA of 2048 bits or more nor EC of 256 bits or more");
  }
  trust::DistinguishedName dn;
  for (auto& [oid, value] : csr.subject_attributes()) dn.push_back({std::move(oid), std::move(value)});
  const std::string subject = "the CSR's subject \"" + csr.subject() + "\"";
  if (dn.empty()) return refused("the CSR has no subject");
  if (auto st = check_form(*profile_, type, dn); !st.ok()) {
    return refused(subject + " is not what the " + std::string(profile_->name()) + " profile's " + what +
                   " certificate form gives: " + st.error().detail());
  }
  if (type == trust::CertType::sign) {
    auto anyone = XRoadId::member(instance, "X", "X");  // tells profiles that do not name it the instance
    if (!anyone.ok()) return refused("the instance \"" + std::string(instance) + "\": " + anyone.error().detail());
    auto member = profile_->subject_member(dn, {.client = *anyone});
    auto id = member.ok() ? XRoadId::member(member->instance, member->member_class, member->member_code)
                          : Result<XRoadId>(member.error());
    if (!id.ok()) {
      return refused(subject + " names no member as the " + std::string(profile_->name()) +
                     " profile reads signing certificates: " + id.error().detail());
    }
    if (id->instance() != instance) {
      return refused(subject + " names " + id->to_string() + ", a member of another instance than " +
                     std::string(instance));
    }
  }
  crypto::CertificateSpec spec = spec_for(type);
  ROADSIDE_TRY(crypto::Certificate cert, crypto::issue_certificate(spec, csr, ca_, ca_key_));
  return record(std::move(cert));
}

Status TestCa::revoke(const crypto::Certificate& cert, std::chrono::system_clock::time_point at) {
  std::lock_guard lock(mu_);
  const IssuedLock file_lock(dir_);
  ROADSIDE_TRY_STATUS(file_lock.acquire(dir_));
  ROADSIDE_TRY_STATUS(refresh_issued());
  auto it = issued_.find(cert.serial_hex());
  if (it == issued_.end() || cert.issuer() != ca_.subject()) {
    return Error(make_error_code(base::errc::invalid_argument), "this CA did not issue " + cert.subject());
  }
  it->second.revoked = at;
  return save_issued();
}

std::optional<OcspAnswer> TestCa::status(const std::string& serial_hex) const {
  std::lock_guard lock(mu_);
  if (auto st = refresh_issued(); !st.ok()) {
    log::warn("the test CA answers from what it knew", {{"error", st.error().detail()}});
  }
  auto it = issued_.find(serial_hex);
  if (it == issued_.end()) return std::nullopt;
  if (it->second.revoked) return OcspAnswer{crypto::CertStatus::revoked, *it->second.revoked};
  return OcspAnswer{crypto::CertStatus::good, {}};
}

}  // namespace roadside::testbed
