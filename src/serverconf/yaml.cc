// ServerConf::parse_yaml: reading the declarative YAML file (docs/server-configuration.md).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "base/files.h"
#include "base/identifiers.h"
#include "base/utf8.h"
#include "crypto/certificate.h"
#include "serverconf/internal.h"
#include "serverconf/model.h"

namespace roadside::serverconf {
namespace {

using detail::invalid;

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// An identifier in the text form; without a type prefix, a client as X-Road-Client writes it
// ("A/B/C" a member, "A/B/C/D" a subsystem).
Result<XRoadId> parse_id(const std::string& text, std::string_view where) {
  auto id = XRoadId::parse(text);
  if (id.ok()) return id;
  if (text.find(':') == std::string::npos) {
    if (auto client = parse_rest_client(text); client.ok()) return client;
  }
  return invalid(std::string(where) + ": \"" + text + "\" is not an X-Road identifier (" + id.error().detail() + ")");
}

Result<std::string> scalar(const YAML::Node& n, std::string_view where, bool required = true) {
  if (!n) {
    if (required) return invalid(std::string(where) + " is missing");
    return std::string();
  }
  if (!n.IsScalar()) return invalid(std::string(where) + " must be a single value");
  return n.as<std::string>();
}

// true or false; `fallback` when the key is absent.
Result<bool> boolean(const YAML::Node& n, std::string_view where, bool fallback) {
  ROADSIDE_TRY(std::string text, scalar(n, where, false));
  if (text.empty()) return fallback;
  if (text == "true" || text == "false") return text == "true";
  return invalid(std::string(where) + " must be true or false, not \"" + text + "\"");
}

Result<Endpoint> parse_endpoint(const YAML::Node& n, std::string_view where) {
  Endpoint e;
  if (!n.IsMap()) return invalid(std::string(where) + " must be a map with method and path");
  ROADSIDE_TRY(std::string method, scalar(n["method"], std::string(where) + ".method", false));
  ROADSIDE_TRY(std::string path, scalar(n["path"], std::string(where) + ".path", false));
  if (!method.empty()) e.method = upper(method);
  if (!path.empty()) e.path = path;
  if (e.path.front() != '/') return invalid(std::string(where) + ".path must start with /");
  static const std::set<std::string> kMethods = {"*",     "GET",  "POST",    "PUT",  "DELETE",
                                                 "PATCH", "HEAD", "OPTIONS", "TRACE"};
  if (!kMethods.contains(e.method))
    return invalid(std::string(where) + ".method \"" + e.method + "\" is not an HTTP method");
  return e;
}

std::vector<std::string> string_list(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) {
    out.push_back(n.as<std::string>());
    return out;
  }
  for (const auto& item : n) out.push_back(item.as<std::string>());
  return out;
}

Result<ServerConf> parse_yaml_node(const YAML::Node& root) {
  ServerConf c;
  if (!root.IsMap()) return invalid("the server configuration must be a YAML map (owner, server_code, clients)");
  for (const auto& kv : root) {
    static const std::set<std::string> kKeys = {"owner", "server_code", "clients", "timestamping_services"};
    if (!kKeys.contains(kv.first.as<std::string>()))
      return invalid("unknown key \"" + kv.first.as<std::string>() + "\"");
  }
  ROADSIDE_TRY(std::string owner, scalar(root["owner"], "owner"));
  ROADSIDE_TRY(c.owner, parse_id(owner, "owner"));
  if (c.owner.type() != ObjectType::member) return invalid("owner must be a member, not " + c.owner.to_string());
  ROADSIDE_TRY(c.server_code, scalar(root["server_code"], "server_code"));
  ROADSIDE_TRY_STATUS(
      XRoadId::server(c.owner.instance(), c.owner.member_class(), c.owner.member_code(), c.server_code));

  const YAML::Node tsps = root["timestamping_services"];
  if (tsps && !tsps.IsSequence()) return invalid("timestamping_services must be a list of {name, url}");
  for (std::size_t i = 0; tsps && i < tsps.size(); ++i) {
    const std::string where = "timestamping_services[" + std::to_string(i) + "]";
    if (!tsps[i].IsMap()) return invalid(where + " must be a map with name and url");
    TimestampingService t;
    ROADSIDE_TRY(t.name, scalar(tsps[i]["name"], where + ".name"));
    ROADSIDE_TRY(t.url, scalar(tsps[i]["url"], where + ".url"));
    if (t.url.rfind("http://", 0) != 0 && t.url.rfind("https://", 0) != 0)
      return invalid(where + ".url must be an http or https URL");
    for (const auto& seen : c.timestamping_services) {
      if (seen.url == t.url) return invalid(where + ": " + t.url + " is listed twice");
    }
    c.timestamping_services.push_back(std::move(t));
  }

  const YAML::Node clients = root["clients"];
  if (clients && !clients.IsSequence()) return invalid("clients must be a list");
  std::set<XRoadId> seen_clients;
  for (std::size_t i = 0; clients && i < clients.size(); ++i) {
    const YAML::Node cn = clients[i];
    const std::string where = "clients[" + std::to_string(i) + "]";
    if (!cn.IsMap()) return invalid(where + " must be a map");
    for (const auto& kv : cn) {
      static const std::set<std::string> kKeys = {"id",       "connection",   "is_certificates", "status",
                                                  "services", "local_groups", "access"};
      if (!kKeys.contains(kv.first.as<std::string>()))
        return invalid(where + ": unknown key \"" + kv.first.as<std::string>() + "\"");
    }
    Client client;
    ROADSIDE_TRY(std::string id_text, scalar(cn["id"], where + ".id"));
    ROADSIDE_TRY(client.id, parse_id(id_text, where + ".id"));
    if (!client.id.is_client())
      return invalid(where + ".id must be a member or subsystem, not " + client.id.to_string());
    if (client.id.instance() != c.owner.instance())
      return invalid(where + ".id is not of the owner's instance " + std::string(c.owner.instance()));
    if (!seen_clients.insert(client.id).second)
      return invalid(where + ": " + client.id.to_string() + " is listed twice");
    ROADSIDE_TRY(std::string mode, scalar(cn["connection"], where + ".connection", false));
    mode = upper(mode);
    if (mode.empty() || mode == "NOAUTH")
      client.is_auth = IsAuth::noauth;
    else if (mode == "SSLNOAUTH")
      client.is_auth = IsAuth::sslnoauth;
    else if (mode == "SSLAUTH")
      client.is_auth = IsAuth::sslauth;
    else
      return invalid(where + ".connection must be NOAUTH, SSLNOAUTH or SSLAUTH, not \"" + mode + "\"");
    for (const auto& pem_or_file : string_list(cn["is_certificates"])) {
      std::string pem = pem_or_file;
      if (pem.find("-----BEGIN") == std::string::npos) {
        auto text = read_file_limited(pem_or_file, 1 << 20);
        if (!text.ok())
          return invalid(where + ".is_certificates: cannot read " + pem_or_file + ": " + text.error().detail());
        pem = *text;
      }
      auto certs = crypto::Certificate::all_from_pem(pem);
      if (!certs.ok() || certs->empty())
        return invalid(where + ".is_certificates: " + pem_or_file + " holds no PEM certificate");
      for (auto& cert : *certs) client.is_certs.push_back(std::move(cert));
    }
    ROADSIDE_TRY(std::string status, scalar(cn["status"], where + ".status", false));
    if (!status.empty()) {
      client.status = client_status_from(upper(status));
      if (!client.status)
        return invalid(where + ".status must be one of X-Road's client statuses (REGISTERED, SAVED, ...), not \"" +
                       status + "\"");
    }
    // SSLAUTH without is_certificates is allowed, as X-Road allows it: every connection of the
    // client's information systems is then refused until a certificate is added.

    const YAML::Node services = cn["services"];
    for (std::size_t k = 0; services && k < services.size(); ++k) {
      const YAML::Node sn = services[k];
      const std::string sw = where + ".services[" + std::to_string(k) + "]";
      if (!sn.IsMap()) return invalid(sw + " must be a map");
      Service s;
      ROADSIDE_TRY(std::string code, scalar(sn["code"], sw + ".code"));
      ROADSIDE_TRY(std::string version, scalar(sn["version"], sw + ".version", false));
      auto sid = XRoadId::service(client.id.instance(), client.id.member_class(), client.id.member_code(),
                                  client.id.subsystem_code(), code, version);
      if (!sid.ok()) return invalid(sw + ": " + sid.error().detail());
      s.id = *sid;
      ROADSIDE_TRY(std::string type, scalar(sn["type"], sw + ".type", false));
      type = upper(type);
      if (type.empty() || type == "REST")
        s.type = ServiceType::rest;
      else if (type == "OPENAPI")
        s.type = ServiceType::openapi;
      else if (type == "WSDL" || type == "SOAP")
        s.type = ServiceType::wsdl;
      else
        return invalid(sw + ".type must be REST, OPENAPI or WSDL, not \"" + type + "\"");
      ROADSIDE_TRY(s.url, scalar(sn["url"], sw + ".url"));
      if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0)
        return invalid(sw + ".url must be an http:// or https:// URL");
      ROADSIDE_TRY(std::string timeout, scalar(sn["timeout_s"], sw + ".timeout_s", false));
      if (!timeout.empty()) {
        char* end = nullptr;
        const long t = std::strtol(timeout.c_str(), &end, 10);
        if (*end != '\0' || t < 1 || t > 3600) return invalid(sw + ".timeout_s must be 1 to 3600 seconds");
        s.timeout = std::chrono::seconds(t);
      }
      ROADSIDE_TRY(s.tls_authentication, boolean(sn["tls_authentication"], sw + ".tls_authentication", true));
      ROADSIDE_TRY(s.disabled, boolean(sn["disabled"], sw + ".disabled", false));
      ROADSIDE_TRY(s.disabled_notice, scalar(sn["disabled_notice"], sw + ".disabled_notice", false));
      ROADSIDE_TRY(s.wsdl_url, scalar(sn["wsdl"], sw + ".wsdl", false));
      ROADSIDE_TRY(s.openapi_url, scalar(sn["openapi"], sw + ".openapi", false));
      if (s.type == ServiceType::wsdl && s.wsdl_url.empty()) s.wsdl_url = s.url + "?wsdl";
      if (s.type != ServiceType::wsdl && s.id.subsystem_code().empty())
        return invalid(sw + ": REST services belong to a subsystem");
      if (s.type != ServiceType::wsdl && !version.empty()) return invalid(sw + ": REST services have no version");
      const YAML::Node eps = sn["endpoints"];
      for (std::size_t e = 0; eps && e < eps.size(); ++e) {
        ROADSIDE_TRY(Endpoint ep, parse_endpoint(eps[e], sw + ".endpoints[" + std::to_string(e) + "]"));
        s.endpoints.push_back(ep);
      }
      if (c.service(s.id)) return invalid(sw + ": " + s.id.to_string() + " is listed twice");
      c.services.push_back(std::move(s));
    }

    const YAML::Node groups = cn["local_groups"];
    for (std::size_t k = 0; groups && k < groups.size(); ++k) {
      const std::string gw = where + ".local_groups[" + std::to_string(k) + "]";
      LocalGroup g;
      g.owner = client.id;
      ROADSIDE_TRY(g.code, scalar(groups[k]["code"], gw + ".code"));
      ROADSIDE_TRY_STATUS(XRoadId::local_group(g.code));
      ROADSIDE_TRY(g.description, scalar(groups[k]["description"], gw + ".description", false));
      for (const auto& m : string_list(groups[k]["members"])) {
        ROADSIDE_TRY(XRoadId member, parse_id(m, gw + ".members"));
        if (!member.is_client())
          return invalid(gw + ".members: " + member.to_string() + " is not a member or subsystem");
        g.members.push_back(member);
      }
      c.local_groups.push_back(std::move(g));
    }
    c.clients.push_back(std::move(client));
  }

  // Access rights after all services are known.
  for (std::size_t i = 0; clients && i < clients.size(); ++i) {
    const std::string where = "clients[" + std::to_string(i) + "]";
    const XRoadId& provider = c.clients[i].id;
    const YAML::Node access = clients[i]["access"];
    for (std::size_t k = 0; access && k < access.size(); ++k) {
      const YAML::Node an = access[k];
      const std::string aw = where + ".access[" + std::to_string(k) + "]";
      if (!an.IsMap()) return invalid(aw + " must be a map with service and subjects");
      ROADSIDE_TRY(std::string code, scalar(an["service"], aw + ".service"));
      ROADSIDE_TRY(std::string version, scalar(an["version"], aw + ".version", false));
      auto sid = XRoadId::service(provider.instance(), provider.member_class(), provider.member_code(),
                                  provider.subsystem_code(), code, version);
      if (!sid.ok() || !c.service(*sid))
        return invalid(aw + ".service: " + provider.to_string() + " has no service \"" + code + "\"");
      Endpoint ep;
      if (an["method"] || an["path"]) {
        ROADSIDE_TRY(ep, parse_endpoint(an, aw));
      }
      const auto subjects = string_list(an["subjects"]);
      if (subjects.empty()) return invalid(aw + ".subjects: list who may call the service");
      for (const auto& text : subjects) {
        ROADSIDE_TRY(XRoadId subject, parse_id(text, aw + ".subjects"));
        if (subject.type() == ObjectType::server || subject.type() == ObjectType::service) {
          return invalid(aw + ".subjects: " + subject.to_string() + " cannot be given access");
        }
        if (subject.type() == ObjectType::local_group) {
          const bool known = std::any_of(c.local_groups.begin(), c.local_groups.end(), [&](const LocalGroup& g) {
            return g.owner == provider && g.code == subject.group_code();
          });
          if (!known)
            return invalid(aw + ".subjects: " + provider.to_string() + " has no local group " +
                           std::string(subject.group_code()));
        }
        c.access.push_back({subject, *sid, ep});
      }
    }
  }
  c.assign_ids();
  return c;
}

}  // namespace

Result<ServerConf> ServerConf::parse_yaml(std::string_view yaml) {
  // The configuration's stored form (to_json) holds UTF-8 only, so the file must be UTF-8 text.
  // A NUL is refused too: yaml-cpp reads a file with one near its start as UTF-16 or UTF-32,
  // whose lone surrogates it would pass on as bytes that are not UTF-8 (found by serverconf_fuzz).
  std::size_t line = 1;
  for (std::string_view rest = yaml; !rest.empty(); ++line) {
    const std::string_view text = rest.substr(0, rest.find('\n'));
    if (!is_utf8(text) || text.find('\0') != std::string_view::npos)
      return invalid("line " + std::to_string(line) + " is not UTF-8 text");
    rest.remove_prefix(std::min(rest.size(), text.size() + 1));
  }
  try {
    return parse_yaml_node(YAML::Load(std::string(yaml)));
  } catch (const YAML::Exception& e) {
    return invalid(std::string("not valid YAML: ") + e.what());
  }
}

}  // namespace roadside::serverconf
