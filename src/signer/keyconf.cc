#include "signer/keyconf.h"

#include <cctype>

#include "base/files.h"
#include "base/random.h"
#include "xml/dom.h"
#include "xml/identifier_xml.h"

namespace roadside::signer {

namespace {

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string key_id_of(std::string_view id_bytes) {
  return upper(crypto::to_hex(id_bytes));
}

std::string new_key_id() {
  return key_id_of(Random::system().bytes(20));
}

std::string cert_id(const crypto::Certificate& cert) { return upper(cert.sha1_hex()); }

namespace {

constexpr std::string_view kXroadNs = "http://x-road.eu/xsd/xroad.xsd";
constexpr std::uintmax_t kMaxKeyconfBytes = 16 << 20;
constexpr std::uintmax_t kMaxKeyFileBytes = 1 << 20;

Error bad(errc e, std::string detail) {
  return Error(make_error_code(e), std::move(detail));
}

Result<KeyconfCert> parse_cert(const xml::Element& e) {
  auto contents = e.child_text("contents");
  if (!contents) return bad(errc::malformed_keyconf, "a <cert> without <contents>");
  auto der = crypto::base64_decode(*contents);
  if (!der.ok()) return bad(errc::malformed_keyconf, "a <cert> whose contents are not base64");
  auto cert = crypto::Certificate::from_der(*der);
  if (!cert.ok()) return bad(errc::malformed_keyconf, "a <cert> whose contents are not a certificate");
  KeyconfCert out{e.attribute("id").value_or(""), e.attribute("active").value_or("") == "true", std::nullopt,
                  std::move(cert).value(), e.child_text("status").value_or("")};
  if (auto m = e.child("memberId")) {
    auto id = xml::identifier_from_element(*m);
    if (!id.ok()) return bad(errc::malformed_keyconf, "a <cert> with a bad memberId: " + id.error().detail());
    out.member = std::move(id).value();
  }
  return out;
}

}  // namespace

const FaultCategory& signer_category() noexcept {
  static const TableCategory<errc> c(
      "signer", {
                    {errc::malformed_keyconf, "internal_error", "malformed key configuration"},
                    {errc::key_not_found, "key_not_found", "key not found"},
                    {errc::cert_not_found, "cert_not_found", "certificate not found"},
                    {errc::pin_incorrect, "pin_incorrect", "PIN incorrect"},
                    {errc::token_not_active, "token_not_active", "token not active"},
                    {errc::ocsp_unavailable, "cert_validation", "no OCSP response for an own certificate"},
                    {errc::cert_exists, "certificate_already_exists", "certificate already in the token"},
                    {errc::csr_not_found, "csr_not_found", "CSR not found"},
                    {errc::key_usage_mismatch, "wrong_cert_usage", "key of the other usage"},
                    {errc::member_required, "member_required", "signing needs a member"},
                    {errc::token_not_available, "token_not_available", "token not available"},
                    {errc::token_failed, "token_failed", "token operation failed"},
                });
  return c;
}

Result<Keyconf> Keyconf::parse(std::string_view text) {
  auto doc = xml::Document::parse(text, kMaxKeyconfBytes);
  if (!doc.ok()) return bad(errc::malformed_keyconf, "keyconf.xml: " + doc.error().detail());
  const xml::Element root = doc->root();
  if (root.name() != "keyConf" || root.ns() != kXroadNs)
    return bad(errc::malformed_keyconf, "keyconf.xml: no <keyConf> root");
  Keyconf out;
  for (const auto& d : root.children("device")) {
    KeyconfDevice device{d.child_text("deviceType").value_or(""), d.child_text("id").value_or(""), {}};
    for (const auto& k : d.children("key")) {
      const std::string usage = k.attribute("usage").value_or("");
      if (usage != "SIGNING" && usage != "AUTHENTICATION") {
        return bad(errc::malformed_keyconf, "keyconf.xml: key usage \"" + usage + "\"");
      }
      KeyconfKey key{usage == "SIGNING" ? KeyUsage::signing : KeyUsage::authentication,
                     k.child_text("keyId").value_or(""),
                     k.child_text("friendlyName").value_or(""),
                     k.child_text("signMechanismName").value_or(""),
                     {}};
      if (key.key_id.empty()) return bad(errc::malformed_keyconf, "keyconf.xml: a key without keyId");
      for (const auto& c : k.children("cert")) {
        ROADSIDE_TRY(KeyconfCert cert, parse_cert(c));
        key.certs.push_back(std::move(cert));
      }
      device.keys.push_back(std::move(key));
    }
    out.devices.push_back(std::move(device));
  }
  return out;
}

std::string Keyconf::to_xml() const {
  using xml::escape;
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
      "<ns3:keyConf xmlns:ns2=\"http://x-road.eu/xsd/identifiers\" xmlns:ns3=\"http://x-road.eu/xsd/xroad.xsd\">\n";
  for (const auto& d : devices) {
    out += "    <device>\n        <deviceType>" + escape(d.type) + "</deviceType>\n        <friendlyName>" +
           escape(d.type) + "-" + escape(d.id) + "</friendlyName>\n        <id>" + escape(d.id) +
           "</id>\n        <pinIndex>0</pinIndex>\n";
    for (const auto& k : d.keys) {
      out += std::string("        <key usage=\"") + (k.usage == KeyUsage::signing ? "SIGNING" : "AUTHENTICATION") +
             "\">\n" + "            <friendlyName>" + escape(k.friendly_name) + "</friendlyName>\n            <label>" +
             escape(k.friendly_name) + "</label>\n            <keyId>" + escape(k.key_id) + "</keyId>\n";
      for (const auto& c : k.certs) {
        out += "            <cert active=\"" + std::string(c.active ? "true" : "false") + "\" id=\"" + escape(c.id) +
               "\">\n";
        if (c.member) out += "                " + xml::identifier_to_xml(*c.member, {"", "memberId", ""}) + "\n";
        out += "                <contents>" + crypto::base64_encode(c.cert.to_der()) +
               "</contents>\n                <status>" + escape(c.status) + "</status>\n            </cert>\n";
      }
      out += "            <signMechanismName>" + escape(k.sign_mechanism) + "</signMechanismName>\n        </key>\n";
    }
    out += "    </device>\n";
  }
  return out + "</ns3:keyConf>\n";
}

Status write_soft_token_key(const std::filesystem::path& token_dir, const std::string& key_id,
                            const crypto::PrivateKey& key, const std::string& pin) {
  if (key_id.empty() || key_id.find_first_of("/\\.") != std::string::npos) {
    return bad(errc::malformed_keyconf, "key id \"" + key_id + "\" is not a file name");
  }
  ROADSIDE_TRY(
      crypto::Certificate holder,
      crypto::issue_certificate({.common_name = "KeyHolder", .usage = crypto::Usage::signing}, key, nullptr, key));
  ROADSIDE_TRY(std::string p12, crypto::write_pkcs12(key, holder, pin, key_id));
  return write_file_atomically(token_dir / (key_id + ".p12"), p12, FileMode::secret);
}

Result<Keyconf::Found> Keyconf::signing_key(const XRoadId& member) const {
  const XRoadId owner = member.owner_member();
  for (const auto& d : devices) {
    for (const auto& k : d.keys) {
      if (k.usage != KeyUsage::signing) continue;
      for (const auto& c : k.certs) {
        if (c.active && c.member && *c.member == owner) return Found{&d, &k, &c};
      }
    }
  }
  return bad(errc::cert_not_found, "no active signing certificate for " + owner.to_string());
}

Result<Keyconf> read_keyconf(const std::filesystem::path& token_dir) {
  ROADSIDE_TRY(std::string xml, read_file_limited(token_dir / "keyconf.xml", kMaxKeyconfBytes));
  return Keyconf::parse(xml);
}

Result<std::string> read_soft_token_key_file(const std::filesystem::path& token_dir, const std::string& key_id) {
  if (key_id.empty() || key_id.find_first_of("/\\.") != std::string::npos) {
    return bad(errc::malformed_keyconf, "key id \"" + key_id + "\" is not a file name");
  }
  const auto file = token_dir / (key_id + ".p12");
  auto p12 = read_file_limited(file, kMaxKeyFileBytes);
  if (!p12.ok()) return bad(errc::key_not_found, "key file " + file.string() + ": " + p12.error().detail());
  return p12;
}

Result<SigningIdentity> open_soft_token_signing_key(const std::filesystem::path& token_dir, const std::string& pin,
                                                    const XRoadId& member) {
  ROADSIDE_TRY(Keyconf conf, read_keyconf(token_dir));
  ROADSIDE_TRY(Keyconf::Found found, conf.signing_key(member));
  if (found.device->type != "softToken") {
    return bad(errc::key_not_found, "the signing key of " + member.to_string() + " is on device " + found.device->type);
  }
  ROADSIDE_TRY(std::string p12, read_soft_token_key_file(token_dir, found.key->key_id));
  auto contents = crypto::load_pkcs12(p12, pin);
  if (!contents.ok()) {
    const bool wrong_pin = contents.error().code() == crypto::errc::wrong_password;
    return bad(wrong_pin ? errc::pin_incorrect : errc::key_not_found,
               "key " + found.key->key_id + ": " + contents.error().detail());
  }
  if (!found.cert->cert.matches_key(contents->key)) {
    return bad(errc::key_not_found,
               "key " + found.key->key_id + " is not the key of its certificate " + found.cert->id);
  }
  return SigningIdentity{found.key->key_id, contents->key, found.cert->cert, member.owner_member()};
}

}  // namespace roadside::signer
