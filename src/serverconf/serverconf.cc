#include "serverconf/serverconf.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "base/clock.h"
#include "globalconf/files.h"
#include "storage/cluster.h"

namespace roadside::serverconf {

const FaultCategory& serverconf_category() noexcept {
  static const TableCategory<errc> c("serverconf", {
                                                       {errc::invalid_conf, "invalid_conf", "invalid server configuration"},
                                                       {errc::no_conf, "server_not_configured", "no server configuration applied"},
                                                   });
  return c;
}

std::string_view to_string(IsAuth a) noexcept {
  switch (a) {
    case IsAuth::noauth: return "NOAUTH";
    case IsAuth::sslnoauth: return "SSLNOAUTH";
    case IsAuth::sslauth: return "SSLAUTH";
  }
  return "NOAUTH";
}

std::string_view to_string(ServiceType t) noexcept {
  switch (t) {
    case ServiceType::rest: return "REST";
    case ServiceType::openapi: return "OPENAPI";
    case ServiceType::wsdl: return "WSDL";
  }
  return "REST";
}

namespace {

using nlohmann::json;

Error invalid(std::string detail) { return Error(make_error_code(errc::invalid_conf), std::move(detail)); }

// Matches path segments against pattern segments: "*" one segment, "**" any number.
bool match_segments(const std::vector<std::string_view>& pat, std::size_t pi, const std::vector<std::string_view>& seg,
                    std::size_t si) {
  if (pi == pat.size()) return si == seg.size();
  if (pat[pi] == "**") {
    for (std::size_t k = si; k <= seg.size(); ++k) {
      if (match_segments(pat, pi + 1, seg, k)) return true;
    }
    return false;
  }
  if (si == seg.size()) return false;
  if (pat[pi] != "*" && pat[pi] != seg[si]) return false;
  return match_segments(pat, pi + 1, seg, si + 1);
}

std::vector<std::string_view> split_path(std::string_view p) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < p.size()) {
    if (p[i] == '/') {
      ++i;
      continue;
    }
    const auto j = std::min(p.find('/', i), p.size());
    out.push_back(p.substr(i, j - i));
    i = j;
  }
  return out;
}

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

Result<Endpoint> parse_endpoint(const YAML::Node& n, std::string_view where) {
  Endpoint e;
  if (!n.IsMap()) return invalid(std::string(where) + " must be a map with method and path");
  ROADSIDE_TRY(std::string method, scalar(n["method"], std::string(where) + ".method", false));
  ROADSIDE_TRY(std::string path, scalar(n["path"], std::string(where) + ".path", false));
  if (!method.empty()) e.method = upper(method);
  if (!path.empty()) e.path = path;
  if (e.path.front() != '/') return invalid(std::string(where) + ".path must start with /");
  static const std::set<std::string> kMethods = {"*", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"};
  if (!kMethods.contains(e.method)) return invalid(std::string(where) + ".method \"" + e.method + "\" is not an HTTP method");
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
    static const std::set<std::string> kKeys = {"owner", "server_code", "clients"};
    if (!kKeys.contains(kv.first.as<std::string>())) return invalid("unknown key \"" + kv.first.as<std::string>() + "\"");
  }
  ROADSIDE_TRY(std::string owner, scalar(root["owner"], "owner"));
  ROADSIDE_TRY(c.owner, parse_id(owner, "owner"));
  if (c.owner.type() != ObjectType::member) return invalid("owner must be a member, not " + c.owner.to_string());
  ROADSIDE_TRY(c.server_code, scalar(root["server_code"], "server_code"));
  ROADSIDE_TRY_STATUS(XRoadId::server(c.owner.instance(), c.owner.member_class(), c.owner.member_code(), c.server_code));

  const YAML::Node clients = root["clients"];
  if (clients && !clients.IsSequence()) return invalid("clients must be a list");
  std::set<XRoadId> seen_clients;
  for (std::size_t i = 0; clients && i < clients.size(); ++i) {
    const YAML::Node cn = clients[i];
    const std::string where = "clients[" + std::to_string(i) + "]";
    if (!cn.IsMap()) return invalid(where + " must be a map");
    for (const auto& kv : cn) {
      static const std::set<std::string> kKeys = {"id", "connection", "is_certificates", "services", "local_groups", "access"};
      if (!kKeys.contains(kv.first.as<std::string>())) return invalid(where + ": unknown key \"" + kv.first.as<std::string>() + "\"");
    }
    Client client;
    ROADSIDE_TRY(std::string id_text, scalar(cn["id"], where + ".id"));
    ROADSIDE_TRY(client.id, parse_id(id_text, where + ".id"));
    if (!client.id.is_client()) return invalid(where + ".id must be a member or subsystem, not " + client.id.to_string());
    if (client.id.instance() != c.owner.instance()) return invalid(where + ".id is not of the owner's instance " + std::string(c.owner.instance()));
    if (!seen_clients.insert(client.id).second) return invalid(where + ": " + client.id.to_string() + " is listed twice");
    ROADSIDE_TRY(std::string mode, scalar(cn["connection"], where + ".connection", false));
    mode = upper(mode);
    if (mode.empty() || mode == "NOAUTH") client.is_auth = IsAuth::noauth;
    else if (mode == "SSLNOAUTH") client.is_auth = IsAuth::sslnoauth;
    else if (mode == "SSLAUTH") client.is_auth = IsAuth::sslauth;
    else return invalid(where + ".connection must be NOAUTH, SSLNOAUTH or SSLAUTH, not \"" + mode + "\"");
    for (const auto& pem_or_file : string_list(cn["is_certificates"])) {
      std::string pem = pem_or_file;
      if (pem.find("-----BEGIN") == std::string::npos) {
        auto text = globalconf::read_file_limited(pem_or_file, 1 << 20);
        if (!text.ok()) return invalid(where + ".is_certificates: cannot read " + pem_or_file + ": " + text.error().detail());
        pem = *text;
      }
      auto certs = crypto::Certificate::all_from_pem(pem);
      if (!certs.ok() || certs->empty()) return invalid(where + ".is_certificates: " + pem_or_file + " holds no PEM certificate");
      for (auto& cert : *certs) client.is_certs.push_back(std::move(cert));
    }
    if (client.is_auth == IsAuth::sslauth && client.is_certs.empty()) {
      return invalid(where + ": connection SSLAUTH needs is_certificates (the information systems' TLS certificates)");
    }

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
      if (type.empty() || type == "REST") s.type = ServiceType::rest;
      else if (type == "OPENAPI") s.type = ServiceType::openapi;
      else if (type == "WSDL" || type == "SOAP") s.type = ServiceType::wsdl;
      else return invalid(sw + ".type must be REST, OPENAPI or WSDL, not \"" + type + "\"");
      ROADSIDE_TRY(s.url, scalar(sn["url"], sw + ".url"));
      if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0) return invalid(sw + ".url must be an http:// or https:// URL");
      ROADSIDE_TRY(std::string timeout, scalar(sn["timeout_s"], sw + ".timeout_s", false));
      if (!timeout.empty()) {
        char* end = nullptr;
        const long t = std::strtol(timeout.c_str(), &end, 10);
        if (*end != '\0' || t < 1 || t > 3600) return invalid(sw + ".timeout_s must be 1 to 3600 seconds");
        s.timeout = std::chrono::seconds(t);
      }
      ROADSIDE_TRY(s.wsdl_url, scalar(sn["wsdl"], sw + ".wsdl", false));
      ROADSIDE_TRY(s.openapi_url, scalar(sn["openapi"], sw + ".openapi", false));
      if (s.type == ServiceType::wsdl && s.wsdl_url.empty()) s.wsdl_url = s.url + "?wsdl";
      if (s.type == ServiceType::wsdl && version.empty()) return invalid(sw + ": a WSDL service needs a version");
      if (s.type != ServiceType::wsdl && s.id.subsystem_code().empty()) return invalid(sw + ": REST services belong to a subsystem");
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
        if (!member.is_client()) return invalid(gw + ".members: " + member.to_string() + " is not a member or subsystem");
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
      if (!sid.ok() || !c.service(*sid)) return invalid(aw + ".service: " + provider.to_string() + " has no service \"" + code + "\"");
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
          if (!known) return invalid(aw + ".subjects: " + provider.to_string() + " has no local group " + std::string(subject.group_code()));
        }
        c.access.push_back({subject, *sid, ep});
      }
    }
  }
  return c;
}

json endpoint_json(const Endpoint& e) { return {{"method", e.method}, {"path", e.path}}; }

}  // namespace

bool Endpoint::matches(std::string_view m, std::string_view p) const {
  if (method != "*" && method != m) return false;
  return match_segments(split_path(path), 0, split_path(p), 0);
}

Result<ServerConf> ServerConf::parse_yaml(std::string_view yaml) {
  try {
    return parse_yaml_node(YAML::Load(std::string(yaml)));
  } catch (const YAML::Exception& e) {
    return invalid(std::string("not valid YAML: ") + e.what());
  }
}

std::string ServerConf::to_json() const {
  json j;
  j["owner"] = owner.to_string();
  j["server_code"] = server_code;
  j["clients"] = json::array();
  for (const auto& c : clients) {
    json certs = json::array();
    for (const auto& cert : c.is_certs) certs.push_back(cert.to_pem());
    j["clients"].push_back({{"id", c.id.to_string()}, {"connection", to_string(c.is_auth)}, {"is_certificates", certs}});
  }
  j["services"] = json::array();
  for (const auto& s : services) {
    json eps = json::array();
    for (const auto& e : s.endpoints) eps.push_back(endpoint_json(e));
    j["services"].push_back({{"id", s.id.to_string()},
                             {"type", to_string(s.type)},
                             {"url", s.url},
                             {"timeout_ms", s.timeout.count()},
                             {"wsdl", s.wsdl_url},
                             {"openapi", s.openapi_url},
                             {"endpoints", eps}});
  }
  j["local_groups"] = json::array();
  for (const auto& g : local_groups) {
    json members = json::array();
    for (const auto& m : g.members) members.push_back(m.to_string());
    j["local_groups"].push_back({{"owner", g.owner.to_string()}, {"code", g.code}, {"description", g.description}, {"members", members}});
  }
  j["access"] = json::array();
  for (const auto& a : access) {
    j["access"].push_back({{"subject", a.subject.to_string()}, {"service", a.service.to_string()}, {"endpoint", endpoint_json(a.endpoint)}});
  }
  return j.dump();
}

Result<ServerConf> ServerConf::from_json(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return invalid("stored server configuration is not JSON");
  try {
    ServerConf c;
    ROADSIDE_TRY(c.owner, XRoadId::parse(j.at("owner").get<std::string>()));
    c.server_code = j.at("server_code").get<std::string>();
    for (const auto& cj : j.at("clients")) {
      Client cl;
      ROADSIDE_TRY(cl.id, XRoadId::parse(cj.at("id").get<std::string>()));
      const auto mode = cj.at("connection").get<std::string>();
      cl.is_auth = mode == "SSLAUTH" ? IsAuth::sslauth : mode == "SSLNOAUTH" ? IsAuth::sslnoauth : IsAuth::noauth;
      for (const auto& pem : cj.at("is_certificates")) {
        ROADSIDE_TRY(crypto::Certificate cert, crypto::Certificate::from_pem(pem.get<std::string>()));
        cl.is_certs.push_back(std::move(cert));
      }
      c.clients.push_back(std::move(cl));
    }
    for (const auto& sj : j.at("services")) {
      Service s;
      ROADSIDE_TRY(s.id, XRoadId::parse(sj.at("id").get<std::string>()));
      const auto type = sj.at("type").get<std::string>();
      s.type = type == "WSDL" ? ServiceType::wsdl : type == "OPENAPI" ? ServiceType::openapi : ServiceType::rest;
      s.url = sj.at("url").get<std::string>();
      s.timeout = std::chrono::milliseconds(sj.at("timeout_ms").get<std::int64_t>());
      s.wsdl_url = sj.at("wsdl").get<std::string>();
      s.openapi_url = sj.at("openapi").get<std::string>();
      for (const auto& e : sj.at("endpoints")) s.endpoints.push_back({e.at("method").get<std::string>(), e.at("path").get<std::string>()});
      c.services.push_back(std::move(s));
    }
    for (const auto& gj : j.at("local_groups")) {
      LocalGroup g;
      ROADSIDE_TRY(g.owner, XRoadId::parse(gj.at("owner").get<std::string>()));
      g.code = gj.at("code").get<std::string>();
      g.description = gj.at("description").get<std::string>();
      for (const auto& m : gj.at("members")) {
        ROADSIDE_TRY(XRoadId id, XRoadId::parse(m.get<std::string>()));
        g.members.push_back(id);
      }
      c.local_groups.push_back(std::move(g));
    }
    for (const auto& aj : j.at("access")) {
      ROADSIDE_TRY(XRoadId subject, XRoadId::parse(aj.at("subject").get<std::string>()));
      ROADSIDE_TRY(XRoadId service, XRoadId::parse(aj.at("service").get<std::string>()));
      c.access.push_back({subject, service, {aj.at("endpoint").at("method").get<std::string>(), aj.at("endpoint").at("path").get<std::string>()}});
    }
    return c;
  } catch (const json::exception& e) {
    return invalid(std::string("stored server configuration is incomplete: ") + e.what());
  }
}

XRoadId ServerConf::server_id() const {
  return *XRoadId::server(owner.instance(), owner.member_class(), owner.member_code(), server_code);
}

const Client* ServerConf::client(const XRoadId& id) const {
  for (const auto& c : clients) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

const Service* ServerConf::service(const XRoadId& id) const {
  for (const auto& s : services) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::vector<const Service*> ServerConf::services_of(const XRoadId& provider) const {
  std::vector<const Service*> out;
  for (const auto& s : services) {
    if (s.id.service_provider() == provider) out.push_back(&s);
  }
  return out;
}

bool ServerConf::subject_matches(const XRoadId& subject, const XRoadId& caller, const XRoadId& provider,
                                 const globalconf::SharedParameters* shared) const {
  switch (subject.type()) {
    case ObjectType::member:
    case ObjectType::subsystem: return subject == caller;
    case ObjectType::global_group: return shared && shared->is_global_group_member(caller, subject);
    case ObjectType::local_group:
      for (const auto& g : local_groups) {
        if (g.owner == provider && g.code == subject.group_code()) {
          return std::find(g.members.begin(), g.members.end(), caller) != g.members.end();
        }
      }
      return false;
    default: return false;
  }
}

bool ServerConf::has_right(const XRoadId& caller, const XRoadId& service_id, const globalconf::SharedParameters* shared,
                           const std::function<bool(const Endpoint&)>& endpoint_ok) const {
  const XRoadId provider = service_id.service_provider();
  for (const auto& a : access) {
    if (a.service == service_id && endpoint_ok(a.endpoint) && subject_matches(a.subject, caller, provider, shared)) return true;
  }
  return false;
}

bool ServerConf::allowed_service(const XRoadId& caller, const XRoadId& service_id, const globalconf::SharedParameters* shared) const {
  return has_right(caller, service_id, shared, [](const Endpoint&) { return true; });
}

bool ServerConf::allowed(const XRoadId& caller, const XRoadId& service_id, std::string_view method, std::string_view path,
                         const globalconf::SharedParameters* shared) const {
  const std::string_view p = path.empty() ? "/" : path;
  return has_right(caller, service_id, shared, [&](const Endpoint& e) { return e.matches(method, p); });
}

Result<std::int64_t> latest_revision(storage::Store& store) {
  auto rows = store.with_connection([](storage::Connection& c) { return c.query("SELECT MAX(revision) FROM server_configuration"); });
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::int64_t{0};
  return storage::as_int((*rows)[0][0]).value_or(0);
}

Result<Revision> load_latest(storage::Store& store) {
  auto rows = store.with_connection([](storage::Connection& c) {
    return c.query("SELECT revision, document FROM server_configuration ORDER BY revision DESC LIMIT 1");
  });
  if (!rows.ok()) return rows.error();
  if (rows->empty()) {
    return Error(make_error_code(errc::no_conf),
                 "no server configuration has been applied (roadside apply FILE, or serve --server-conf FILE)");
  }
  ROADSIDE_TRY(ServerConf conf, ServerConf::from_json(storage::as_text((*rows)[0][1]).value_or("")));
  return Revision{storage::as_int((*rows)[0][0]).value_or(0), std::make_shared<const ServerConf>(std::move(conf))};
}

Result<std::pair<std::int64_t, bool>> apply(storage::Store& store, const ServerConf& conf, std::string_view source) {
  const std::string document = conf.to_json();
  const std::string digest = crypto::to_hex(crypto::sha256(document));
  std::pair<std::int64_t, bool> out{0, false};
  auto done = store.transaction([&](storage::Connection& c) -> Status {
    ROADSIDE_TRY(auto rows, c.query("SELECT revision, digest FROM server_configuration ORDER BY revision DESC LIMIT 1"));
    std::int64_t latest = 0;
    if (!rows.empty()) {
      latest = storage::as_int(rows[0][0]).value_or(0);
      if (storage::as_text(rows[0][1]).value_or("") == digest) {
        out = {latest, false};
        return {};
      }
    }
    const storage::Value params[] = {latest + 1, document, digest, std::string(source), format_rfc3339(Clock::system().now())};
    ROADSIDE_TRY_STATUS(
        c.query("INSERT INTO server_configuration (revision, document, digest, source, applied_at) VALUES (?, ?, ?, ?, ?)", params));
    // The other nodes of a cluster learn of it when this commits (they poll as well).
    ROADSIDE_TRY_STATUS(storage::notify(c, storage::kConfigChannel, std::to_string(latest + 1)));
    out = {latest + 1, true};
    return {};
  });
  if (!done.ok()) return std::move(done).error();
  return out;
}

}  // namespace roadside::serverconf
