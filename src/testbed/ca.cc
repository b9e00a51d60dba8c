#include "testbed/ca.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/errors.h"
#include "base/files.h"

namespace roadside::testbed {
namespace {

namespace fs = std::filesystem;

Error io(std::string detail) {
  return Error(make_error_code(base::errc::io_error), std::move(detail));
}

Result<std::string> read(const fs::path& p) {
  return read_file_limited(p, 1 << 20);
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

Result<std::unique_ptr<TestCa>> TestCa::load(const fs::path& dir) {
  auto cert = [&](const char* f) -> Result<crypto::Certificate> {
    ROADSIDE_TRY(std::string pem, read(dir / f));
    return crypto::Certificate::from_pem(pem);
  };
  auto key = [&](const char* f) -> Result<crypto::PrivateKey> {
    ROADSIDE_TRY(std::string pem, read(dir / f));
    return crypto::PrivateKey::from_pem(pem);
  };
  ROADSIDE_TRY(crypto::PrivateKey ca_key, key("ca.key"));
  ROADSIDE_TRY(crypto::Certificate ca, cert("ca.pem"));
  ROADSIDE_TRY(crypto::PrivateKey ocsp_key, key("ocsp.key"));
  ROADSIDE_TRY(crypto::Certificate ocsp, cert("ocsp.pem"));
  ROADSIDE_TRY(crypto::PrivateKey tsa_key, key("tsa.key"));
  ROADSIDE_TRY(crypto::Certificate tsa, cert("tsa.pem"));
  std::string profile_class(trust::kFiVrkProfile);  // CAs made before profiles were chosen
  if (fs::exists(dir / "profile")) {
    ROADSIDE_TRY(profile_class, read(dir / "profile"));
    while (!profile_class.empty() && std::isspace(static_cast<unsigned char>(profile_class.back())))
      profile_class.pop_back();
  }
  ROADSIDE_TRY(const trust::CertificateProfile* profile, trust::CertificateProfile::named(profile_class));
  std::unique_ptr<TestCa> out(new TestCa(dir, std::move(ca_key), std::move(ca), std::move(ocsp_key), std::move(ocsp),
                                         std::move(tsa_key), std::move(tsa), profile));
  ROADSIDE_TRY(std::string issued, read(dir / "issued.json"));
  auto j = nlohmann::json::parse(issued, nullptr, false);
  if (!j.is_object()) return io(dir.string() + "/issued.json is not a JSON object");
  for (const auto& [serial, v] : j.items()) {
    Issued i{v.value("subject", ""), std::nullopt};
    if (v.contains("revoked")) i.revoked = parse_rfc3339(v["revoked"].get<std::string>());
    out->issued_[serial] = std::move(i);
  }
  return out;
}

Status TestCa::save_issued() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [serial, i] : issued_) {
    j[serial] = {{"subject", i.subject}};
    if (i.revoked) j[serial]["revoked"] = format_rfc3339(*i.revoked);
  }
  return write_file_atomically(dir_ / "issued.json", j.dump(2) + "\n");
}

Result<crypto::Certificate> TestCa::issue(crypto::CertificateSpec spec, const crypto::PrivateKey& key) {
  spec.validity = std::chrono::hours(24 * 365 * 10);
  ROADSIDE_TRY(crypto::Certificate cert, crypto::issue_certificate(spec, key, &ca_, ca_key_));
  std::lock_guard lock(mu_);
  issued_[cert.serial_hex()] = Issued{cert.subject(), std::nullopt};
  ROADSIDE_TRY_STATUS(save_issued());
  return cert;
}

Result<crypto::Certificate> TestCa::issue_signing(const XRoadId& member, const std::string& server_code,
                                                  const std::string& organization, const crypto::PrivateKey& key) {
  const XRoadId m = member.owner_member();
  ROADSIDE_TRY(XRoadId server, XRoadId::server(m.instance(), m.member_class(), m.member_code(), server_code));
  ROADSIDE_TRY(trust::DistinguishedName dn, subject_for(*profile_, trust::CertType::sign,
                                                        {.server = server, .client = m, .member_name = organization}));
  crypto::CertificateSpec spec;
  for (auto& a : dn) spec.subject_extra.emplace_back(std::move(a.oid), std::move(a.value));
  spec.usage = crypto::Usage::signing;
  return issue(std::move(spec), key);
}

Result<crypto::Certificate> TestCa::issue_auth(const XRoadId& server, const crypto::PrivateKey& key,
                                               const std::string& owner_name) {
  const std::string name = owner_name.empty() ? std::string(server.member_code()) : owner_name;
  ROADSIDE_TRY(trust::DistinguishedName dn,
               subject_for(*profile_, trust::CertType::auth, {.server = server, .member_name = name}));
  crypto::CertificateSpec spec;
  for (auto& a : dn) spec.subject_extra.emplace_back(std::move(a.oid), std::move(a.value));
  spec.dns_names = {"localhost"};
  spec.ip_addresses = {"127.0.0.1"};
  spec.usage = crypto::Usage::tls_server_and_client;
  return issue(std::move(spec), key);
}

Status TestCa::revoke(const crypto::Certificate& cert, std::chrono::system_clock::time_point at) {
  std::lock_guard lock(mu_);
  auto it = issued_.find(cert.serial_hex());
  if (it == issued_.end() || cert.issuer() != ca_.subject()) {
    return Error(make_error_code(base::errc::invalid_argument), "this CA did not issue " + cert.subject());
  }
  it->second.revoked = at;
  return save_issued();
}

std::optional<OcspAnswer> TestCa::status(const std::string& serial_hex) const {
  std::lock_guard lock(mu_);
  auto it = issued_.find(serial_hex);
  if (it == issued_.end()) return std::nullopt;
  if (it->second.revoked) return OcspAnswer{crypto::CertStatus::revoked, *it->second.revoked};
  return OcspAnswer{crypto::CertStatus::good, {}};
}

}  // namespace roadside::testbed
