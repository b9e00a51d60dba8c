// Access rights and local groups as X-Road's admin API has them. A right to a service is a
// right to its base endpoint ("*", "**"); a right to another endpoint is that endpoint's
// method and path (serverconf's AccessRight::endpoint). Subjects are subsystems, members,
// global groups and the provider's local groups (by their numeric id).
#include <algorithm>
#include <set>

#include "admin/conf_json.h"
#include "admin/endpoints.h"
#include "admin/ids.h"

namespace roadside::admin {

namespace {

using serverconf::AccessRight;
using serverconf::Endpoint;
using serverconf::LocalGroup;

constexpr std::size_t kMaxItems = 1000;
constexpr std::size_t kMaxText = 255;

// The items of a ServiceClients, AccessRights or Members body: each item's `field` (or the item
// itself when it is a string); or the error.
std::variant<std::vector<std::string>, ApiError> items_of(const Request& r, const char* field) {
  const nlohmann::json body = r.json_body().value_or(nlohmann::json::object());
  const auto& items = json_member(body, "items");
  if (!items.is_array() || items.empty() || items.size() > kMaxItems)
    return bad_request("validation_failure", {"items"});
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::string text = item.is_string() ? item.get<std::string>() : json_string(item, field);
    if (text.empty() || text.size() > 1279) return bad_request("validation_failure", {"items"});
    if (std::find(out.begin(), out.end(), text) == out.end()) out.push_back(std::move(text));
  }
  return out;
}

bool right_of(const AccessRight& a, const XRoadId& subject, const XRoadId& service, const Endpoint& pattern) {
  return a.subject == subject && a.service == service && a.endpoint.method == pattern.method &&
         a.endpoint.path == pattern.path;
}

// The service clients with rights to `service` on `pattern`, as X-Road lists them.
nlohmann::json clients_of(const ServerState& state, const ServerConf& conf, const XRoadId& service,
                          const Endpoint& pattern) {
  std::vector<XRoadId> subjects;
  for (const auto& a : conf.access) {
    if (right_of(a, a.subject, service, pattern) &&
        std::find(subjects.begin(), subjects.end(), a.subject) == subjects.end())
      subjects.push_back(a.subject);
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& subject : subjects) {
    std::vector<const AccessRight*> rights;
    for (const auto& a : conf.access) {
      if (right_of(a, subject, service, pattern)) rights.push_back(&a);
    }
    out.push_back(service_client_json(state, conf, service.service_provider(), subject, rights));
  }
  return out;
}

// Gives (or takes) the subjects of the request's items rights to `service` on `pattern`.
// X-Road's codes: duplicate_accessright (409) for one already given, accessright_not_found
// (404) for one to remove that is not there.
std::variant<Response, ApiError> change_clients(const ServerState& state, ServerConf& conf, Request& r,
                                                const XRoadId& service, const Endpoint& pattern, bool add) {
  auto items = items_of(r, "id");
  if (auto* e = std::get_if<ApiError>(&items)) return *e;
  const XRoadId provider = service.service_provider();
  std::vector<XRoadId> subjects;
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& text : std::get<std::vector<std::string>>(items)) {
    auto subject = parse_subject(state, conf, provider, text);
    if (auto* e = std::get_if<ApiError>(&subject)) return *e;
    subjects.push_back(std::get<XRoadId>(subject));
    ids.push_back(text);
  }
  const std::string now = now_text();
  for (const auto& subject : subjects) {
    const bool has = std::any_of(conf.access.begin(), conf.access.end(),
                                 [&](const AccessRight& a) { return right_of(a, subject, service, pattern); });
    if (add && has) return conflict("duplicate_accessright", {subject.to_string()});
    if (!add && !has) return ApiError{404, {"accessright_not_found", {subject.to_string()}}, {}, {}};
    if (add) {
      conf.access.push_back({subject, service, pattern, now});
    } else {
      std::erase_if(conf.access, [&](const AccessRight& a) { return right_of(a, subject, service, pattern); });
    }
  }
  r.audit = {{"clientIdentifier", api_id(provider)}, {"serviceCode", full_service_code(service)}, {"subjectIds", ids}};
  if (!pattern.is_base()) r.audit["endpoint"] = pattern.method + " " + api_path(pattern.path);
  if (!add) return empty_response(204);
  nlohmann::json added = nlohmann::json::array();
  for (const auto& subject : subjects) {
    std::vector<const AccessRight*> rights;
    for (const auto& a : conf.access) {
      if (right_of(a, subject, service, pattern)) rights.push_back(&a);
    }
    added.push_back(service_client_json(state, conf, provider, subject, rights));
  }
  return json_response(201, added);
}

// The configuration, the service (or endpoint) of the path, and a change of its clients.
HandlerResult service_clients(ServerState& state, Request& r, bool endpoint, std::optional<bool> add) {
  auto loaded = load_conf(state);
  if (auto* e = std::get_if<ApiError>(&loaded)) return *e;
  ServerConf& conf = std::get<ServerConf>(loaded);
  XRoadId service;
  Endpoint pattern;
  if (endpoint) {
    auto found = find_endpoint(conf, r.param("id"));
    if (!found.endpoint) return ApiError{404, {"endpoint_not_found", {}}, {}, {}};
    service = found.service->id;
    pattern = Endpoint{found.endpoint->method, found.endpoint->path};
  } else {
    const auto* s = find_service(conf, r.param("id"));
    if (!s) return ApiError{404, {"service_not_found", {}}, {}, {}};
    service = s->id;
  }
  if (!add) return json_response(200, clients_of(state, conf, service, pattern));
  auto answer = change_clients(state, conf, r, service, pattern, *add);
  if (auto* e = std::get_if<ApiError>(&answer)) return *e;
  if (auto e = store_conf(state, conf, "access rights to " + service_api_id(service))) return *e;
  return std::get<Response>(answer);
}

// The subjects with a right to a service of `provider` (to the whole service, its base
// endpoint, as X-Road counts them), in order of first right.
std::vector<XRoadId> subjects_of(const ServerConf& conf, const XRoadId& provider) {
  std::vector<XRoadId> out;
  for (const auto& a : conf.access) {
    if (a.endpoint.is_base() && a.service.service_provider() == provider &&
        std::find(out.begin(), out.end(), a.subject) == out.end())
      out.push_back(a.subject);
  }
  return out;
}

// The subject's rights to whole services of `provider`.
std::vector<const AccessRight*> rights_of(const ServerConf& conf, const XRoadId& provider, const XRoadId& subject) {
  std::vector<const AccessRight*> out;
  for (const auto& a : conf.access) {
    if (a.endpoint.is_base() && a.subject == subject && a.service.service_provider() == provider) out.push_back(&a);
  }
  return out;
}

// The client and the service client (subject) of /clients/{id}/service-clients/{sc_id}.
struct SubjectPath {
  XRoadId client;
  XRoadId subject;
};
std::variant<SubjectPath, ApiError> subject_path(const ServerState& state, ServerConf& conf, const Request& r) {
  auto client = hosted_client(conf, r.param("id"));
  if (auto* e = std::get_if<ApiError>(&client)) return *e;
  auto subject = parse_subject(state, conf, std::get<XRoadId>(client), r.param("sc_id"));
  if (auto* e = std::get_if<ApiError>(&subject)) return ApiError{404, {"service_client_not_found", {}}, {}, e->detail};
  return SubjectPath{std::get<XRoadId>(client), std::get<XRoadId>(subject)};
}

// The subject's rights to the client's services (their base endpoints), as AccessRights.
nlohmann::json access_rights_json(const ServerConf& conf, const SubjectPath& p) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto* a : rights_of(conf, p.client, p.subject)) {
    nlohmann::json j = {{"service_code", full_service_code(a->service)}};
    if (const auto* s = conf.service(a->service); s && !s->title.empty()) j["service_title"] = s->title;
    if (!a->given_at.empty()) j["rights_given_at"] = a->given_at;
    out.push_back(std::move(j));
  }
  return out;
}

// POST /clients/{id}/service-clients/{sc_id}/access-rights and its delete.
HandlerResult change_subject_rights(ServerState& state, Request& r, bool add) {
  auto loaded = load_conf(state);
  if (auto* e = std::get_if<ApiError>(&loaded)) return *e;
  ServerConf& conf = std::get<ServerConf>(loaded);
  auto client = hosted_client(conf, r.param("id"));
  if (auto* e = std::get_if<ApiError>(&client)) return *e;
  auto subject = parse_subject(state, conf, std::get<XRoadId>(client), r.param("sc_id"));
  if (auto* e = std::get_if<ApiError>(&subject)) return *e;
  const SubjectPath p{std::get<XRoadId>(client), std::get<XRoadId>(subject)};
  auto items = items_of(r, "service_code");
  if (auto* e = std::get_if<ApiError>(&items)) return *e;
  const Endpoint base;
  const std::string now = now_text();
  std::vector<XRoadId> services;
  for (const auto& code : std::get<std::vector<std::string>>(items)) {
    const auto* s = find_service_by_code(conf, p.client, code);
    if (!s) return ApiError{404, {"service_not_found", {code}}, {}, {}};
    const bool has = std::any_of(conf.access.begin(), conf.access.end(),
                                 [&](const AccessRight& a) { return right_of(a, p.subject, s->id, base); });
    if (add && has) return conflict("duplicate_accessright", {code});
    if (!add && !has) return ApiError{404, {"accessright_not_found", {code}}, {}, {}};
    services.push_back(s->id);
  }
  for (const auto& service : services) {
    if (add) {
      conf.access.push_back({p.subject, service, base, now});
    } else {
      std::erase_if(conf.access, [&](const AccessRight& a) { return right_of(a, p.subject, service, base); });
    }
  }
  r.audit = {{"clientIdentifier", api_id(p.client)},
             {"subjectId", r.param("sc_id")},
             {"serviceCodes", std::get<std::vector<std::string>>(items)}};
  nlohmann::json answer = nlohmann::json::array();
  if (add) {
    for (const auto& right : access_rights_json(conf, p)) {
      const auto& codes = std::get<std::vector<std::string>>(items);
      if (std::find(codes.begin(), codes.end(), right["service_code"].get<std::string>()) != codes.end())
        answer.push_back(right);
    }
  }
  if (auto e = store_conf(state, conf, "access rights of " + r.param("sc_id"))) return *e;
  if (!add) return empty_response(204);
  return json_response(201, answer);
}

// Looks the local group of the path up on a fresh configuration, lets `edit` change it (the
// group, or the configuration: the group may be gone after), and stores the result.
template <typename Edit>
HandlerResult edit_group(ServerState& state, Request& r, Edit edit) {
  auto loaded = load_conf(state);
  if (auto* e = std::get_if<ApiError>(&loaded)) return *e;
  ServerConf& conf = std::get<ServerConf>(loaded);
  auto* g = find_local_group(conf, r.param("group_id"));
  if (!g) return ApiError{404, {"local_group_not_found", {}}, {}, {}};
  // A json{...}, not a bare braced list: clang 14 leaks the old value when a braced list is
  // assigned to a json inside a template (found by admin_body_fuzz).
  r.audit = nlohmann::json{{"clientIdentifier", api_id(g->owner)}, {"groupCode", g->code}};
  std::variant<Response, ApiError> answer = edit(conf, *g);
  if (auto* e = std::get_if<ApiError>(&answer)) return *e;
  if (auto e = store_conf(state, conf, "local group " + r.param("group_id"))) return *e;
  return std::get<Response>(answer);
}

std::optional<ApiError> check_description(const std::string& description) {
  const bool ok = !description.empty() && description.size() <= kMaxText &&
                  std::all_of(description.begin(), description.end(),
                              [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; });
  if (!ok) return bad_request("validation_failure", {"description"});
  return std::nullopt;
}

}  // namespace

void add_access_routes(Api& api, ServerState& state) {
  // Rights to a service (its base endpoint) and to one endpoint.
  api.add({Verb::get, "/services/{id}/service-clients", "view_service_acl",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             co_return service_clients(state, r, false, std::nullopt);
           },
           false, "", false, "who may call the service"});
  api.add({Verb::post, "/services/{id}/service-clients", "edit_service_acl",
           [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return service_clients(state, r, false, true); },
           true, "Add access rights to service", false, "give subjects the right to call the service"});
  api.add(
      {Verb::post, "/services/{id}/service-clients/delete", "edit_service_acl",
       [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return service_clients(state, r, false, false); },
       true, "Remove access rights from service", false, "take subjects' right to call the service"});
  api.add({Verb::get, "/endpoints/{id}/service-clients", "view_endpoint_acl",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             co_return service_clients(state, r, true, std::nullopt);
           },
           false, "", false, "who may call the endpoint"});
  api.add({Verb::post, "/endpoints/{id}/service-clients", "edit_endpoint_acl",
           [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return service_clients(state, r, true, true); },
           true, "Add access rights to service", false, "give subjects the right to call the endpoint"});
  api.add({Verb::post, "/endpoints/{id}/service-clients/delete", "edit_endpoint_acl",
           [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return service_clients(state, r, true, false); },
           true, "Remove access rights from service", false, "take subjects' right to call the endpoint"});

  // A client's service clients and their rights.
  api.add({Verb::get, "/clients/{id}/service-clients", "view_client_acl_subjects",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto loaded = load_conf(state);
             if (auto* e = std::get_if<ApiError>(&loaded)) co_return *e;
             ServerConf& conf = std::get<ServerConf>(loaded);
             auto client = hosted_client(conf, r.param("id"));
             if (auto* e = std::get_if<ApiError>(&client)) co_return *e;
             const XRoadId& provider = std::get<XRoadId>(client);
             nlohmann::json out = nlohmann::json::array();
             for (const auto& subject : subjects_of(conf, provider))
               out.push_back(service_client_json(state, conf, provider, subject, rights_of(conf, provider, subject)));
             co_return json_response(200, out);
           },
           false, "", false, "the subjects with rights to the client's services"});
  api.add({Verb::get, "/clients/{id}/service-clients/{sc_id}", "view_client_acl_subjects",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto loaded = load_conf(state);
             if (auto* e = std::get_if<ApiError>(&loaded)) co_return *e;
             ServerConf& conf = std::get<ServerConf>(loaded);
             auto p = subject_path(state, conf, r);
             if (auto* e = std::get_if<ApiError>(&p)) co_return *e;
             const auto& sp = std::get<SubjectPath>(p);
             auto rights = rights_of(conf, sp.client, sp.subject);
             if (rights.empty()) co_return ApiError{404, {"service_client_not_found", {}}, {}, {}};
             co_return json_response(200, service_client_json(state, conf, sp.client, sp.subject, rights));
           },
           false, "", false, "one subject with rights to the client's services"});
  api.add({Verb::get, "/clients/{id}/service-clients/{sc_id}/access-rights", "view_acl_subject_open_services",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto loaded = load_conf(state);
             if (auto* e = std::get_if<ApiError>(&loaded)) co_return *e;
             ServerConf& conf = std::get<ServerConf>(loaded);
             auto p = subject_path(state, conf, r);
             if (auto* e = std::get_if<ApiError>(&p)) co_return *e;
             co_return json_response(200, access_rights_json(conf, std::get<SubjectPath>(p)));
           },
           false, "", false, "the client's services the subject may call"});
  api.add({Verb::post, "/clients/{id}/service-clients/{sc_id}/access-rights", "edit_acl_subject_open_services",
           [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return change_subject_rights(state, r, true); },
           true, "Add access rights to subject", false, "give the subject rights to the client's services"});
  api.add({Verb::post, "/clients/{id}/service-clients/{sc_id}/access-rights/delete", "edit_acl_subject_open_services",
           [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return change_subject_rights(state, r, false); },
           true, "Remove access rights from subject", false, "take the subject's rights to the client's services"});

  // Local groups.
  api.add({Verb::get, "/clients/{id}/local-groups", "view_client_local_groups",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto loaded = load_conf(state);
             if (auto* e = std::get_if<ApiError>(&loaded)) co_return *e;
             ServerConf& conf = std::get<ServerConf>(loaded);
             auto client = hosted_client(conf, r.param("id"));
             if (auto* e = std::get_if<ApiError>(&client)) co_return *e;
             nlohmann::json out = nlohmann::json::array();
             for (const auto& g : conf.local_groups) {
               if (g.owner == std::get<XRoadId>(client)) out.push_back(local_group_json(state, g));
             }
             co_return json_response(200, out);
           },
           false, "", false, "the client's local groups"});
  api.add(
      {Verb::post, "/clients/{id}/local-groups", "add_local_group",
       [&state](Request& r) -> asio::awaitable<HandlerResult> {
         auto loaded = load_conf(state);
         if (auto* e = std::get_if<ApiError>(&loaded)) co_return *e;
         ServerConf& conf = std::get<ServerConf>(loaded);
         auto client = hosted_client(conf, r.param("id"));
         if (auto* e = std::get_if<ApiError>(&client)) co_return *e;
         const nlohmann::json body = r.json_body().value_or(nlohmann::json::object());
         LocalGroup g;
         g.owner = std::get<XRoadId>(client);
         g.code = json_string(body, "code");
         g.description = json_string(body, "description");
         if (g.code.empty() || g.code.size() > kMaxText || !XRoadId::local_group(g.code).ok())
           co_return bad_request("validation_failure", {"code"});
         if (auto e = check_description(g.description)) co_return *e;
         for (const auto& other : conf.local_groups) {
           if (other.owner == g.owner && other.code == g.code)
             co_return conflict("local_group_code_already_exists", {g.code});
         }
         g.id = conf.new_id();
         g.updated_at = now_text();
         conf.local_groups.push_back(g);
         r.audit = {{"clientIdentifier", api_id(g.owner)}, {"groupCode", g.code}, {"groupDescription", g.description}};
         if (auto e = store_conf(state, conf, "local group " + g.code)) co_return *e;
         co_return json_response(201, local_group_json(state, g));
       },
       true, "Add group", false, "a new local group of the client"});
  api.add({Verb::get, "/local-groups/{group_id}", "view_client_local_groups",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto loaded = load_conf(state);
             if (auto* e = std::get_if<ApiError>(&loaded)) co_return *e;
             const auto* g = find_local_group(std::get<ServerConf>(loaded), r.param("group_id"));
             if (!g) co_return ApiError{404, {"local_group_not_found", {}}, {}, {}};
             co_return json_response(200, local_group_json(state, *g));
           },
           false, "", false, "one local group with its members"});
  api.add({Verb::patch, "/local-groups/{group_id}", "edit_local_group_desc",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             const std::string description =
                 json_string(r.json_body().value_or(nlohmann::json::object()), "description");
             if (auto e = check_description(description)) co_return *e;
             co_return edit_group(state, r, [&](ServerConf&, LocalGroup& g) -> std::variant<Response, ApiError> {
               g.description = description;
               g.updated_at = now_text();
               r.audit["groupDescription"] = description;
               return json_response(200, local_group_json(state, g));
             });
           },
           true, "Edit group description", false, "a new description of a local group"});
  api.add({Verb::delete_, "/local-groups/{group_id}", "delete_local_group",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             co_return edit_group(state, r, [&](ServerConf& conf, LocalGroup& g) -> std::variant<Response, ApiError> {
               r.audit["groupDescription"] = g.description;
               const XRoadId owner = g.owner;
               const XRoadId subject = *XRoadId::local_group(g.code);
               const std::int64_t id = g.id;
               std::erase_if(conf.access, [&](const AccessRight& a) {
                 return a.subject == subject && a.service.service_provider() == owner;
               });
               std::erase_if(conf.local_groups, [id](const LocalGroup& x) { return x.id == id; });
               return empty_response(204);
             });
           },
           true, "Delete group", false, "remove a local group and its access rights"});
  api.add({Verb::post, "/local-groups/{group_id}/members", "edit_local_group_members",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto items = items_of(r, "id");
             if (auto* e = std::get_if<ApiError>(&items)) co_return *e;
             co_return edit_group(state, r, [&](ServerConf&, LocalGroup& g) -> std::variant<Response, ApiError> {
               const auto shared = state.shared();
               const std::string now = now_text();
               nlohmann::json added = nlohmann::json::array();
               for (const auto& text : std::get<std::vector<std::string>>(items)) {
                 auto member = parse_client_id(text);
                 if (!member) return bad_request("validation_failure", {text.substr(0, kMaxText)});
                 if (shared && !shared->has_client(*member)) return bad_request("identifier_not_found", {text});
                 if (std::find(g.members.begin(), g.members.end(), *member) != g.members.end())
                   return conflict("local_group_member_already_exists", {text});
                 g.members.push_back(*member);
                 g.joined[*member] = now;
                 added.push_back(api_id(*member));
               }
               g.updated_at = now;
               r.audit["memberIdentifiers"] = added;
               return json_response(201, {{"items", added}});
             });
           },
           true, "Add members to group", false, "add members or subsystems to a local group"});
  api.add({Verb::post, "/local-groups/{group_id}/members/delete", "edit_local_group_members",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto items = items_of(r, "id");
             if (auto* e = std::get_if<ApiError>(&items)) co_return *e;
             co_return edit_group(state, r, [&](ServerConf&, LocalGroup& g) -> std::variant<Response, ApiError> {
               nlohmann::json removed = nlohmann::json::array();
               for (const auto& text : std::get<std::vector<std::string>>(items)) {
                 auto member = parse_client_id(text);
                 auto at = member ? std::find(g.members.begin(), g.members.end(), *member) : g.members.end();
                 if (at == g.members.end())
                   return ApiError{404, {"local_group_member_not_found", {text.substr(0, kMaxText)}}, {}, {}};
                 g.members.erase(at);
                 g.joined.erase(*member);
                 removed.push_back(api_id(*member));
               }
               g.updated_at = now_text();
               r.audit["memberIdentifiers"] = removed;
               return empty_response(204);
             });
           },
           true, "Remove members from group", false, "remove members from a local group"});
}

}  // namespace roadside::admin
