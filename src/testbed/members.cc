#include "testbed/members.h"

#include <algorithm>

#include "base/errors.h"
#include "base/files.h"
#include "globalconf/parameters.h"
#include "signer/keyconf.h"
#include "testbed/ca.h"
#include "testbed/instance.h"

namespace roadside::testbed {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Error bad(std::string detail) {
  return Error(make_error_code(base::errc::invalid_argument), std::move(detail));
}

template <typename T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Gives `member` a signing key and certificate in the token of server `server_code`, unless
// the token has one for it already.
Status ensure_signing_key(const fs::path& dir, const fs::path& token, const std::string& server_code,
                          const XRoadId& member) {
  ROADSIDE_TRY(signer::Keyconf keyconf, signer::read_keyconf(token));
  if (keyconf.signing_key(member).ok()) return ok_status();
  if (keyconf.devices.empty()) return bad(token.string() + "/keyconf.xml has no token");
  ROADSIDE_TRY(std::unique_ptr<TestCa> ca, TestCa::load(dir / "ca"));
  ROADSIDE_TRY(std::string pin, token_pin(dir));
  const bool ec = ca->ca().is_ec_key();
  ROADSIDE_TRY(crypto::PrivateKey key,
               crypto::PrivateKey::generate(ec ? crypto::KeyType::ec_p256 : crypto::KeyType::rsa2048));
  ROADSIDE_TRY(crypto::Certificate cert,
               ca->issue_signing(member, server_code, std::string(member.member_code()), key));
  const std::string key_id = signer::new_key_id();
  ROADSIDE_TRY_STATUS(signer::write_soft_token_key(token, key_id, key, pin));
  keyconf.devices.front().keys.push_back({signer::KeyUsage::signing,
                                          key_id,
                                          "Sign key " + member.to_string(),
                                          ec ? "CKM_ECDSA" : "CKM_RSA_PKCS",
                                          {{signer::cert_id(cert), true, member, cert, "registered"}}});
  return write_file_atomically(token / "keyconf.xml", keyconf.to_xml());
}

}  // namespace

Result<json> add_client(const fs::path& dir, int server, const XRoadId& client) {
  if (client.type() != ObjectType::member && client.type() != ObjectType::subsystem)
    return bad(client.to_string() + " is not a member or subsystem");
  ROADSIDE_TRY(json instance, read_instance(dir));
  if (client.instance() != instance["instance"].get<std::string>())
    return bad(client.to_string() + " is not of instance " + instance["instance"].get<std::string>());
  if (server < 1 || static_cast<std::size_t>(server) > instance["servers"].size())
    return bad("the instance has no server " + std::to_string(server));
  json& entry = instance["servers"][server - 1];
  ROADSIDE_TRY(XRoadId server_id, XRoadId::parse(entry["id"].get<std::string>()));

  const fs::path params_file = dir / "globalconf" / "shared-params.xml";
  ROADSIDE_TRY(std::string params_xml, read_file_limited(params_file, 16 << 20));
  ROADSIDE_TRY(globalconf::SharedParameters params, globalconf::SharedParameters::parse(params_xml));
  ROADSIDE_TRY(XRoadId member, XRoadId::member(client.instance(), client.member_class(), client.member_code()));

  const std::string member_class(member.member_class());
  if (!contains(params.member_classes, member_class)) params.member_classes.push_back(member_class);
  auto m = std::find_if(params.members.begin(), params.members.end(), [&](const auto& x) { return x.id == member; });
  if (m == params.members.end()) {
    params.members.push_back({member, std::string(member.member_code()), {}});
    m = params.members.end() - 1;
  }
  if (client.type() == ObjectType::subsystem && !contains(m->subsystems, client)) m->subsystems.push_back(client);
  auto ss = std::find_if(params.security_servers.begin(), params.security_servers.end(),
                         [&](const auto& x) { return x.id == server_id; });
  if (ss == params.security_servers.end()) return bad(params_file.string() + " has no " + server_id.to_string());
  for (const XRoadId& id : {member, client}) {
    if (id != ss->id.owner_member() && !contains(ss->clients, id)) ss->clients.push_back(id);
  }

  ROADSIDE_TRY_STATUS(
      ensure_signing_key(dir, entry["token"].get<std::string>(), std::string(server_id.server_code()), member));
  ROADSIDE_TRY_STATUS(write_file_atomically(params_file, params.to_xml()));
  for (const XRoadId& id : {member, client}) {
    const std::string text = id.to_string();
    if (std::find(entry["clients"].begin(), entry["clients"].end(), text) == entry["clients"].end())
      entry["clients"].push_back(text);
  }
  ROADSIDE_TRY_STATUS(write_file_atomically(dir / "instance.json", instance.dump(2) + "\n"));
  return instance;
}

Status add_server(const fs::path& dir, const XRoadId& server, const std::string& address, const fs::path& token,
                  const std::vector<XRoadId>& clients) {
  if (server.type() != ObjectType::server) return bad(server.to_string() + " is not a server");
  ROADSIDE_TRY(json instance, read_instance(dir));
  if (server.instance() != instance["instance"].get<std::string>())
    return bad(server.to_string() + " is not of instance " + instance["instance"].get<std::string>());
  ROADSIDE_TRY(signer::Keyconf keyconf, signer::read_keyconf(token));
  ROADSIDE_TRY(std::unique_ptr<TestCa> ca, TestCa::load(dir / "ca"));
  std::optional<crypto::Certificate> auth;
  for (const auto& device : keyconf.devices) {
    for (const auto& key : device.keys) {
      for (const auto& c : key.certs) {
        if (key.usage == signer::KeyUsage::authentication && c.active) auth = c.cert;
        if (c.cert.issuer() == ca->ca().subject()) ROADSIDE_TRY_STATUS(ca->know(c.cert));
      }
    }
  }
  if (!auth) return bad(token.string() + "/keyconf.xml has no active authentication certificate");

  const fs::path params_file = dir / "globalconf" / "shared-params.xml";
  ROADSIDE_TRY(std::string params_xml, read_file_limited(params_file, 16 << 20));
  ROADSIDE_TRY(globalconf::SharedParameters params, globalconf::SharedParameters::parse(params_xml));
  const XRoadId owner = server.owner_member();
  std::vector<XRoadId> hosted = {owner};
  hosted.insert(hosted.end(), clients.begin(), clients.end());
  for (const XRoadId& client : hosted) {
    if (!client.is_client() || client.instance() != server.instance())
      return bad(client.to_string() + " is not a member or subsystem of instance " + std::string(server.instance()));
    const XRoadId member = client.owner_member();
    if (!contains(params.member_classes, std::string(member.member_class())))
      params.member_classes.emplace_back(member.member_class());
    auto m = std::find_if(params.members.begin(), params.members.end(), [&](const auto& x) { return x.id == member; });
    if (m == params.members.end()) {
      params.members.push_back({member, std::string(member.member_code()), {}});
      m = params.members.end() - 1;
    }
    if (client.type() == ObjectType::subsystem && !contains(m->subsystems, client)) m->subsystems.push_back(client);
  }
  std::erase_if(params.security_servers, [&](const auto& x) { return x.id == server; });
  globalconf::SecurityServer ss{server, address, {crypto::sha256(auth->to_der())}, {}};
  for (const XRoadId& client : clients) {
    if (client != owner && !contains(ss.clients, client)) ss.clients.push_back(client);
  }
  params.security_servers.push_back(std::move(ss));
  for (auto& group : params.global_groups) {
    if (group.id.group_code() == "security-server-owners" && !contains(group.members, owner))
      group.members.push_back(owner);
  }
  return write_file_atomically(params_file, params.to_xml());
}

}  // namespace roadside::testbed
