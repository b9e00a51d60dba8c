#include "admin/conf_json.h"

#include <algorithm>
#include <set>

#include "admin/ids.h"
#include "base/clock.h"
#include "serverconf/revisions.h"

namespace roadside::admin {

using serverconf::AccessRight;
using serverconf::Endpoint;
using serverconf::LocalGroup;
using serverconf::Service;
using serverconf::ServiceDescription;

std::variant<ServerConf, ApiError> load_conf(ServerState& state) {
  auto latest = serverconf::load_latest(state.store);
  if (latest.ok()) return *latest->conf;
  if (latest.error().code() == serverconf::errc::no_conf) return ServerConf{};
  return internal_error(latest.error());
}

std::optional<ApiError> store_conf(ServerState& state, const ServerConf& conf, const std::string& source) {
  // Another writer (the CLI in its own process, another node) stored a revision since this
  // one was read: 409, and the caller reads again.
  const auto conf_write_error = [](const Error& e) -> ApiError {
    if (e.code() == serverconf::errc::changed) return ApiError{409, {"configuration_changed", {}}, {}, e.detail()};
    return internal_error(e);
  };
  auto applied = serverconf::apply(state.store, conf, "admin API: " + source);
  if (!applied.ok()) return conf_write_error(applied.error());
  return std::nullopt;
}

std::string now_text() {
  return format_rfc3339(Clock::system().now());
}

std::optional<std::int64_t> numeric_id(std::string_view text) {
  if (text.empty() || text.size() > 15) return std::nullopt;
  std::int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::variant<XRoadId, ApiError> hosted_client(const ServerConf& conf, std::string_view text) {
  auto id = parse_client_id(text);
  if (!id) return bad_request("invalid_client_id", {std::string(text.substr(0, 255))});
  if (!conf.client(*id)) return ApiError{404, {"client_not_found", {api_id(*id)}}, {}, {}};
  return *id;
}

std::string full_service_code(const XRoadId& service) {
  std::string code(service.service_code());
  if (!service.service_version().empty()) code += "." + std::string(service.service_version());
  return code;
}

std::string service_api_id(const XRoadId& service) {
  return api_id(service.service_provider()) + ":" + full_service_code(service);
}

Service* find_service_by_code(ServerConf& conf, const XRoadId& provider, std::string_view full_code) {
  for (auto& s : conf.services) {
    if (s.id.service_provider() == provider && full_service_code(s.id) == full_code) return &s;
  }
  return nullptr;
}

Service* find_service(ServerConf& conf, std::string_view id) {
  const auto colon = id.rfind(':');
  if (colon == std::string_view::npos) return nullptr;
  auto provider = parse_client_id(id.substr(0, colon));
  if (!provider) return nullptr;
  return find_service_by_code(conf, *provider, id.substr(colon + 1));
}

ServiceDescription* find_description(ServerConf& conf, std::string_view id) {
  const auto n = numeric_id(id);
  if (!n) return nullptr;
  for (auto& d : conf.descriptions) {
    if (d.id == *n) return &d;
  }
  return nullptr;
}

FoundEndpoint find_endpoint(ServerConf& conf, std::string_view id) {
  const auto n = numeric_id(id);
  if (!n) return {};
  for (auto& s : conf.services) {
    for (auto& e : s.endpoints) {
      if (e.id == *n) return {&s, &e};
    }
  }
  return {};
}

LocalGroup* find_local_group(ServerConf& conf, std::string_view id) {
  const auto n = numeric_id(id);
  if (!n) return nullptr;
  for (auto& g : conf.local_groups) {
    if (g.id == *n) return &g;
  }
  return nullptr;
}

std::string api_path(const std::string& path) {
  return path == "/**" ? "**" : path;
}

std::string model_path(const std::string& path) {
  return path == "**" ? "/**" : path;
}

void remove_rights(ServerConf& conf, const XRoadId& service, const Endpoint* endpoint) {
  std::erase_if(conf.access, [&](const AccessRight& a) {
    return a.service == service &&
           (!endpoint || (a.endpoint.method == endpoint->method && a.endpoint.path == endpoint->path));
  });
}

nlohmann::json endpoint_json(const Service& service, const Endpoint& e) {
  return {{"id", std::to_string(e.id)},
          {"service_code", std::string(service.id.service_code())},
          {"method", e.method},
          {"path", api_path(e.path)},
          {"generated", e.generated}};
}

nlohmann::json service_json(const ServerConf& conf, const Service& service) {
  std::set<XRoadId> subjects;
  for (const auto& a : conf.access) {
    if (a.service == service.id) subjects.insert(a.subject);
  }
  nlohmann::json endpoints = nlohmann::json::array();
  for (const auto& e : service.endpoints) endpoints.push_back(endpoint_json(service, e));
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(service.timeout).count();
  nlohmann::json j = {{"id", service_api_id(service.id)},
                      {"full_service_code", full_service_code(service.id)},
                      {"service_code", std::string(service.id.service_code())},
                      {"timeout", std::min<std::int64_t>(seconds, 1000)},
                      {"ssl_auth", service.tls_authentication},
                      {"subjects_count", subjects.size()},
                      {"endpoints", endpoints}};
  if (!service.url.empty()) j["url"] = service.url;
  if (!service.title.empty()) j["title"] = service.title;
  return j;
}

nlohmann::json description_json(const ServerConf& conf, const ServiceDescription& d) {
  nlohmann::json services = nlohmann::json::array();
  for (const auto* s : conf.services_of_description(d.id)) services.push_back(service_json(conf, *s));
  return {{"id", std::to_string(d.id)},
          {"url", d.url},
          {"type", to_string(d.type)},
          {"disabled", d.disabled},
          {"disabled_notice", d.disabled_notice},
          {"refreshed_at", d.refreshed_at.empty() ? now_text() : d.refreshed_at},
          {"services", services},
          {"client_id", api_id(d.client)}};
}

namespace {

// The member's name in global configuration, or its code.
std::string member_name(const ServerState& state, const XRoadId& client) {
  if (auto shared = state.shared()) {
    if (const auto* m = shared->member(client.owner_member())) {
      if (!m->name.empty()) return m->name;
    }
  }
  return std::string(client.member_code());
}

}  // namespace

nlohmann::json local_group_json(const ServerState& state, const LocalGroup& g) {
  nlohmann::json members = nlohmann::json::array();
  for (const auto& m : g.members) {
    nlohmann::json mj = {{"id", api_id(m)}, {"member_name", member_name(state, m)}};
    if (!m.subsystem_code().empty()) mj["subsystem_name"] = std::string(m.subsystem_code());
    const auto joined = g.joined.find(m);
    mj["created_at"] = joined == g.joined.end() ? now_text() : joined->second;
    members.push_back(std::move(mj));
  }
  return {{"id", std::to_string(g.id)},
          {"code", g.code},
          {"description", g.description.empty() ? g.code : g.description},
          {"member_count", g.members.size()},
          {"updated_at", g.updated_at.empty() ? now_text() : g.updated_at},
          {"members", members}};
}

std::variant<XRoadId, ApiError> parse_subject(const ServerState& state, ServerConf& conf, const XRoadId& provider,
                                              std::string_view text) {
  const std::string shown(text.substr(0, 255));
  if (numeric_id(text)) {
    auto* g = find_local_group(conf, text);
    if (!g || g->owner != provider) return ApiError{404, {"local_group_not_found", {shown}}, {}, {}};
    return *XRoadId::local_group(g->code);
  }
  const auto shared = state.shared();
  if (std::count(text.begin(), text.end(), ':') == 1) {
    const auto colon = text.find(':');
    auto group = XRoadId::global_group(text.substr(0, colon), text.substr(colon + 1));
    if (!group.ok()) return bad_request("invalid_service_client_id", {shown}, group.error().detail());
    if (shared && std::none_of(shared->global_groups.begin(), shared->global_groups.end(),
                               [&](const auto& gg) { return gg.id == *group; })) {
      return bad_request("identifier_not_found", {shown});
    }
    return *group;
  }
  auto client = parse_client_id(text);
  if (!client) return bad_request("invalid_service_client_id", {shown});
  if (shared && !shared->has_client(*client)) return bad_request("identifier_not_found", {shown});
  return *client;
}

nlohmann::json service_client_json(const ServerState& state, const ServerConf& conf, const XRoadId& provider,
                                   const XRoadId& subject, const std::vector<const AccessRight*>& rights) {
  nlohmann::json j;
  switch (subject.type()) {
    case ObjectType::local_group:
      for (const auto& g : conf.local_groups) {
        if (g.owner == provider && g.code == subject.group_code()) {
          j["id"] = std::to_string(g.id);
          j["name"] = g.description.empty() ? g.code : g.description;
        }
      }
      j["local_group_code"] = std::string(subject.group_code());
      j["service_client_type"] = "LOCALGROUP";
      break;
    case ObjectType::global_group: {
      j["id"] = std::string(subject.instance()) + ":" + std::string(subject.group_code());
      j["name"] = std::string(subject.group_code());
      if (auto shared = state.shared()) {
        for (const auto& gg : shared->global_groups) {
          if (gg.id == subject && !gg.description.empty()) j["name"] = gg.description;
        }
      }
      j["service_client_type"] = "GLOBALGROUP";
      break;
    }
    default:
      j["id"] = api_id(subject);
      j["name"] = member_name(state, subject);
      // X-Road's ServiceClientType has no MEMBER: a member subject goes without a type.
      if (subject.type() == ObjectType::subsystem) j["service_client_type"] = "SUBSYSTEM";
      break;
  }
  if (!j.contains("id")) j["id"] = std::string(subject.group_code());
  std::string earliest;
  for (const auto* r : rights) {
    if (!r->given_at.empty() && (earliest.empty() || r->given_at < earliest)) earliest = r->given_at;
  }
  if (!earliest.empty()) j["rights_given_at"] = earliest;
  return j;
}

}  // namespace roadside::admin
