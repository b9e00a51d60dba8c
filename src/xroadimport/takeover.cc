#include "xroadimport/takeover.h"

#include <algorithm>

#include "backup/pg_dump.h"
#include "crypto/pkcs12.h"
#include "globalconf/directory.h"
#include "signer/keyconf.h"
#include "xroadimport/serverconf_dump.h"

namespace roadside::xroadimport {
namespace {

constexpr std::string_view kTokenDir = "signer/softtoken/";
// X-Road's internal TLS key store: ssl/internal.p12, alias and password "internal".
constexpr std::string_view kInternalPassword = "internal";

const std::string* file(const XRoadFiles& files, std::string_view path) {
  auto it = files.etc.find(std::string(path));
  return it == files.etc.end() ? nullptr : &it->second;
}

// The internal TLS key and certificate as PEM (the key first), from internal.p12 or from
// internal.key and internal.crt; "" when there are none.
Result<std::string> internal_tls(const XRoadFiles& files, Report& report) {
  if (const auto* p12 = file(files, "ssl/internal.p12")) {
    auto contents = crypto::load_pkcs12(*p12, std::string(kInternalPassword));
    if (contents.ok() && !contents->certificates.empty() && contents->certificates.front().matches_key(contents->key)) {
      std::string pem = contents->key.to_pem();
      for (const auto& c : contents->certificates) pem += c.to_pem();
      return pem;
    }
    report.left("ssl/internal.p12 does not open with X-Road's password, or holds no certificate for its key");
  }
  const auto* key = file(files, "ssl/internal.key");
  const auto* crt = file(files, "ssl/internal.crt");
  if (!key || !crt) return std::string();
  auto k = crypto::PrivateKey::from_pem(*key);
  auto c = crypto::Certificate::all_from_pem(*crt);
  if (!k.ok() || !c.ok() || c->empty() || !c->front().matches_key(*k))
    return Error(errc::unreadable, "ssl/internal.key and ssl/internal.crt are not a key and its certificate");
  std::string pem = k->to_pem();
  for (const auto& cert : *c) pem += cert.to_pem();
  return pem;
}

// Settings lines (not comments, not section headers) of an INI file.
int settings_in(std::string_view ini) {
  int n = 0;
  while (!ini.empty()) {
    auto end = ini.find('\n');
    auto line = ini.substr(0, end);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (!line.empty() && line.front() != '#' && line.front() != ';' && line.front() != '[' &&
        line.find('=') != std::string_view::npos)
      ++n;
    if (end == std::string_view::npos) break;
    ini.remove_prefix(end + 1);
  }
  return n;
}

}  // namespace

std::optional<bool> pin_opens_token(const std::map<std::string, std::string>& token_files, const std::string& pin) {
  auto check = token_files.find(".softtoken.p12");
  if (check == token_files.end()) {
    check =
        std::find_if(token_files.begin(), token_files.end(), [](const auto& f) { return f.first.ends_with(".p12"); });
  }
  if (check == token_files.end()) return std::nullopt;
  return crypto::load_pkcs12(check->second, pin).ok();
}

Result<Takeover> read_takeover(const XRoadFiles& files) {
  Takeover t;
  Report& report = t.report;

  // The server configuration, and the server it names.
  if (!files.db_dump)
    return Error(errc::not_xroad, files.source +
                                      " has no database dump (var/lib/xroad/dbdump.dat; a backup made "
                                      "with -S, or a folder given without --db-dump)");
  auto dump = backup::read_pg_dump(*files.db_dump);
  if (!dump.ok()) return Error(errc::unreadable, "the database dump: " + dump.error().detail());
  ROADSIDE_TRY(t.conf, server_conf_from_dump(*dump, report));
  t.server = t.conf.server_id();
  const std::string server_text = to_rest_path(t.server).value_or("");  // X-Road's labels' INSTANCE/CLASS/CODE/SERVER
  if (!files.label.empty()) {
    const auto labelled = server_of_label(files.label);
    if (!labelled || *labelled != server_text)
      return Error(errc::unreadable, "the archive's label names server " + labelled.value_or("?") +
                                         " but its database is server " + server_text);
  }

  // The configuration anchor.
  const auto* anchor = file(files, "configuration-anchor.xml");
  if (!anchor) return Error(errc::not_xroad, files.source + " has no configuration-anchor.xml");
  auto parsed = globalconf::Anchor::parse(*anchor);
  if (!parsed.ok()) return Error(errc::unreadable, "configuration-anchor.xml: " + parsed.error().detail());
  if (parsed->instance != t.server.instance())
    return Error(errc::unreadable, "configuration-anchor.xml is instance " + parsed->instance + "'s, the server is " +
                                       std::string(t.server.instance()) + "'s");
  t.anchor_xml = *anchor;
  report.took("the configuration anchor of instance " + parsed->instance);

  // The software token.
  const auto* keyconf = file(files, "signer/keyconf.xml");
  if (!keyconf) return Error(errc::not_xroad, files.source + " has no signer/keyconf.xml");
  auto conf = signer::Keyconf::parse(*keyconf);
  if (!conf.ok()) return Error(errc::unreadable, "signer/keyconf.xml: " + conf.error().detail());
  t.token_files["keyconf.xml"] = *keyconf;
  int signing = 0, authentication = 0, without_cert = 0, hardware = 0;
  for (const auto& device : conf->devices) {
    if (device.type != "softToken") {
      hardware += static_cast<int>(device.keys.size());
      continue;
    }
    for (const auto& key : device.keys) {
      if (key.certs.empty()) {
        ++without_cert;
        continue;
      }
      const auto* p12 = file(files, std::string(kTokenDir) + key.key_id + ".p12");
      if (!p12)
        return Error(errc::unreadable, "signer/keyconf.xml names key " + key.key_id + ", whose .p12 is missing");
      t.token_files[key.key_id + ".p12"] = *p12;
      (key.usage == signer::KeyUsage::authentication ? authentication : signing) += 1;
    }
  }
  if (const auto* check = file(files, std::string(kTokenDir) + ".softtoken.p12"))
    t.token_files[".softtoken.p12"] = *check;
  if (authentication == 0)
    return Error(errc::unreadable,
                 "the software token has no authentication key with a certificate: the server "
                 "could not talk to other Security Servers");
  t.token_keys = signing + authentication;
  report.took(std::to_string(t.token_keys) + " keys of the software token (" + std::to_string(signing) + " signing, " +
              std::to_string(authentication) + " authentication) with their certificates, still under the token PIN");
  if (without_cert > 0)
    report.left(std::to_string(without_cert) + " keys without a certificate (and their CSRs): make them again");
  if (hardware > 0)
    report.left(std::to_string(hardware) +
                " keys of hardware tokens: they stay on their devices; name the devices "
                "in signer.devices (docs/hsm.md) and their keys are found there");
  if (const auto* autologin = file(files, "autologin")) {
    std::string pin = autologin->substr(0, autologin->find_first_of("\r\n"));
    if (!pin.empty()) {
      t.autologin_pin = std::move(pin);
      report.took("the token PIN from etc/xroad/autologin, to seal the keys with (it is not kept)");
    }
  }

  // The internal TLS key.
  ROADSIDE_TRY(t.internal_tls_pem, internal_tls(files, report));
  if (t.internal_tls_pem.empty()) {
    report.left("the internal TLS key (ssl/internal.p12, or internal.key and internal.crt): a new one is made");
  } else {
    report.took("the internal TLS key and certificate");
  }

  // What stays behind.
  if (const auto* ini = file(files, "conf.d/local.ini"); ini && settings_in(*ini) > 0)
    report.left("conf.d/local.ini's " + std::to_string(settings_in(*ini)) +
                " system parameters: set what they change as Roadside options (docs/configuration.md)");
  if (file(files, "signer/devices.ini") || file(files, "devices.ini"))
    report.left("devices.ini: give it to signer.devices (docs/hsm.md)");
  report.left("the message log, the operational monitoring data and the admin users: they stay with the Java server");
  return t;
}

}  // namespace roadside::xroadimport
