#include "testbed/ca.h"

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

}  // namespace

Result<std::unique_ptr<TestCa>> TestCa::create(const fs::path& dir, const std::string& name, bool ecdsa) {
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
                                         {"tsa.key", tsa_key.to_pem(), FileMode::secret}}) {
    ROADSIDE_TRY_STATUS(write_file_atomically(dir / file, text, mode));
  }
  std::unique_ptr<TestCa> out(new TestCa(dir, std::move(ca_key), std::move(ca), std::move(ocsp_key), std::move(ocsp),
                                         std::move(tsa_key), std::move(tsa)));
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
  std::unique_ptr<TestCa> out(new TestCa(dir, std::move(ca_key), std::move(ca), std::move(ocsp_key), std::move(ocsp),
                                         std::move(tsa_key), std::move(tsa)));
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
  crypto::CertificateSpec spec;
  spec.country = "FI";
  spec.organization = organization;
  spec.common_name = std::string(m.member_code());
  spec.subject_extra = {
      {"serialNumber", std::string(m.instance()) + "/" + server_code + "/" + std::string(m.member_class())}};
  spec.usage = crypto::Usage::signing;
  return issue(std::move(spec), key);
}

Result<crypto::Certificate> TestCa::issue_auth(const XRoadId& server, const crypto::PrivateKey& key) {
  crypto::CertificateSpec spec;
  spec.country = "FI";
  spec.organization = std::string(server.member_code());
  spec.common_name = std::string(server.server_code());
  spec.subject_extra = {{"serialNumber", std::string(server.instance()) + "/" + std::string(server.server_code()) +
                                             "/" + std::string(server.member_class())}};
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
