// /services and /endpoints as X-Road's admin API has them: a service's address, timeout and TLS
// check (for one service or all of its description's), and a REST service's endpoints, of
// which those read from its description ("generated") may not be changed.
#include <array>

#include "admin/conf_json.h"
#include "admin/endpoints.h"
#include "admin/ids.h"

namespace roadside::admin {

namespace {

using serverconf::Endpoint;
using serverconf::Service;
using serverconf::ServiceType;

constexpr std::size_t kMaxText = 255;

// Looks the service of the path up on a fresh configuration, lets `edit` change it, stores
// the result and answers with what `edit` returns.
template <typename Edit>
HandlerResult edit_service(ServerState& state, Request& r, Edit edit) {
  auto loaded = load_conf(state);
  if (auto* e = std::get_if<ApiError>(&loaded)) return *e;
  ServerConf& conf = std::get<ServerConf>(loaded);
  auto* service = find_service(conf, r.param("id"));
  if (!service) return ApiError{404, {"service_not_found", {}}, {}, {}};
  std::variant<Response, ApiError> answer = edit(conf, *service);
  if (auto* e = std::get_if<ApiError>(&answer)) return *e;
  if (auto e = store_conf(state, conf, "service " + r.param("id"))) return *e;
  return std::get<Response>(answer);
}

template <typename Edit>
HandlerResult edit_endpoint(ServerState& state, Request& r, Edit edit) {
  auto loaded = load_conf(state);
  if (auto* e = std::get_if<ApiError>(&loaded)) return *e;
  ServerConf& conf = std::get<ServerConf>(loaded);
  auto found = find_endpoint(conf, r.param("id"));
  if (!found.endpoint) return ApiError{404, {"endpoint_not_found", {}}, {}, {}};
  // A json{...}, not a bare braced list: clang 14 leaks the old value when a braced list is
  // assigned to a json inside a template (found by admin_body_fuzz).
  r.audit = nlohmann::json{{"clientIdentifier", api_id(found.service->id.service_provider())},
                           {"serviceCode", full_service_code(found.service->id)},
                           {"endpointId", found.endpoint->id},
                           {"method", found.endpoint->method},
                           {"path", api_path(found.endpoint->path)}};
  std::variant<Response, ApiError> answer = edit(conf, *found.service, *found.endpoint);
  if (auto* e = std::get_if<ApiError>(&answer)) return *e;
  if (auto e = store_conf(state, conf, "endpoint " + r.param("id"))) return *e;
  return std::get<Response>(answer);
}

// The method and path of an Endpoint or EndpointUpdate body, checked; or the error.
std::variant<Endpoint, ApiError> endpoint_of(const nlohmann::json& body) {
  static constexpr std::array<std::string_view, 9> kMethods = {"*",     "GET",  "POST",    "PUT",  "DELETE",
                                                               "PATCH", "HEAD", "OPTIONS", "TRACE"};
  Endpoint e{json_string(body, "method"), model_path(json_string(body, "path"))};
  if (std::find(kMethods.begin(), kMethods.end(), e.method) == kMethods.end())
    return bad_request("validation_failure", {"method"});
  const bool path_ok = !e.path.empty() && e.path.size() <= kMaxText && e.path.front() == '/' &&
                       std::none_of(e.path.begin(), e.path.end(),
                                    [](char c) { return static_cast<unsigned char>(c) < 0x21 || c == 0x7f; });
  if (!path_ok) return bad_request("validation_failure", {"path"});
  return e;
}

bool same_endpoint(const Endpoint& a, const Endpoint& b) {
  return a.method == b.method && a.path == b.path;
}

}  // namespace

void add_service_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/services/{id}", "view_client_services",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto loaded = load_conf(state);
             if (auto* e = std::get_if<ApiError>(&loaded)) co_return *e;
             ServerConf& conf = std::get<ServerConf>(loaded);
             const auto* service = find_service(conf, r.param("id"));
             if (!service) co_return ApiError{404, {"service_not_found", {}}, {}, {}};
             co_return json_response(200, service_json(conf, *service));
           },
           false, "", false, "one service with its endpoints"});
  api.add(
      {Verb::patch, "/services/{id}", "edit_service_params",
       [&state](Request& r) -> asio::awaitable<HandlerResult> {
         const nlohmann::json body = r.json_body().value_or(nlohmann::json::object());
         co_return edit_service(state, r, [&](ServerConf& conf, Service& service) -> std::variant<Response, ApiError> {
           const std::string url = json_string(body, "url", service.url);
           const auto& timeout = json_member(body, "timeout");
           const auto& ssl = json_member(body, "ssl_auth");
           if (url.empty() || url.size() > kMaxText || !(url.starts_with("http://") || url.starts_with("https://")))
             return bad_request("malformed_url", {url.substr(0, kMaxText)});
           if (!timeout.is_null() && (!timeout.is_number_integer() || timeout.get<std::int64_t>() < 0 ||
                                      timeout.get<std::int64_t>() > 1000)) {
             return bad_request("validation_failure", {"timeout"});
           }
           if (!ssl.is_null() && !ssl.is_boolean()) return bad_request("validation_failure", {"ssl_auth"});
           auto flag = [&](const char* name) {
             const auto& v = json_member(body, name);
             return v.is_boolean() && v.get<bool>();
           };
           const bool url_all = flag("url_all"), timeout_all = flag("timeout_all"), ssl_all = flag("ssl_auth_all");
           const XRoadId target = service.id;
           const std::int64_t description = service.description;
           nlohmann::json edited = nlohmann::json::array();
           for (auto& s : conf.services) {
             const bool self = s.id == target;
             if (!self && s.description != description) continue;
             // X-Road's *_all: a WSDL's other services take the same value.
             if (self || (url_all && s.type == ServiceType::wsdl)) s.url = url;
             if (!timeout.is_null() && (self || timeout_all))
               s.timeout = std::chrono::seconds(timeout.get<std::int64_t>());
             if (!ssl.is_null() && (self || ssl_all)) s.tls_authentication = ssl.get<bool>();
             if (self || url_all || timeout_all || ssl_all) {
               edited.push_back({{"id", service_api_id(s.id)},
                                 {"url", s.url},
                                 {"timeout", std::chrono::duration_cast<std::chrono::seconds>(s.timeout).count()},
                                 {"tlsAuth", s.tls_authentication}});
             }
           }
           const auto* d = conf.description(description);
           r.audit = {{"clientIdentifier", api_id(target.service_provider())},
                      {"url", d ? d->url : ""},
                      {"serviceType", d ? std::string(to_string(d->type)) : ""},
                      {"services", edited}};
           return json_response(200, service_json(conf, *find_service(conf, service_api_id(target))));
         });
       },
       true, "Edit service parameters", false,
       "a service's URL, timeout and TLS check; with url_all, timeout_all, ssl_auth_all its description's others too"});
  api.add({Verb::post, "/services/{id}/endpoints", "add_openapi3_endpoint",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto wanted = endpoint_of(r.json_body().value_or(nlohmann::json::object()));
             if (auto* e = std::get_if<ApiError>(&wanted)) co_return *e;
             co_return edit_service(state, r,
                                    [&](ServerConf& conf, Service& service) -> std::variant<Response, ApiError> {
                                      if (service.type == ServiceType::wsdl)
                                        return bad_request("wrong_servicedescription_type", {"WSDL"});
                                      Endpoint e = std::get<Endpoint>(wanted);
                                      for (const auto& existing : service.endpoints) {
                                        if (same_endpoint(existing, e))
                                          return conflict("endpoint_already_exists", {e.method, api_path(e.path)});
                                      }
                                      e.id = conf.new_id();
                                      service.endpoints.push_back(e);
                                      r.audit = {{"clientIdentifier", api_id(service.id.service_provider())},
                                                 {"serviceCode", full_service_code(service.id)},
                                                 {"endpointId", e.id},
                                                 {"method", e.method},
                                                 {"path", api_path(e.path)}};
                                      return json_response(201, endpoint_json(service, e));
                                    });
           },
           true, "Add rest endpoint", false, "a new endpoint (method and path) of a REST service"});
  api.add({Verb::get, "/endpoints/{id}", "view_endpoint",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto loaded = load_conf(state);
             if (auto* e = std::get_if<ApiError>(&loaded)) co_return *e;
             auto found = find_endpoint(std::get<ServerConf>(loaded), r.param("id"));
             if (!found.endpoint) co_return ApiError{404, {"endpoint_not_found", {}}, {}, {}};
             co_return json_response(200, endpoint_json(*found.service, *found.endpoint));
           },
           false, "", false, "one endpoint"});
  api.add({Verb::patch, "/endpoints/{id}", "edit_openapi3_endpoint",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto wanted = endpoint_of(r.json_body().value_or(nlohmann::json::object()));
             if (auto* e = std::get_if<ApiError>(&wanted)) co_return *e;
             co_return edit_endpoint(
                 state, r,
                 [&](ServerConf& conf, Service& service, Endpoint& endpoint) -> std::variant<Response, ApiError> {
                   if (endpoint.generated)
                     return bad_request("illegal_generated_endpoint_update", {std::to_string(endpoint.id)});
                   const Endpoint& e = std::get<Endpoint>(wanted);
                   for (const auto& other : service.endpoints) {
                     if (other.id != endpoint.id && same_endpoint(other, e))
                       return conflict("endpoint_already_exists", {e.method, api_path(e.path)});
                   }
                   // The endpoint's access rights follow it.
                   for (auto& a : conf.access) {
                     if (a.service == service.id && same_endpoint(a.endpoint, endpoint)) {
                       a.endpoint.method = e.method;
                       a.endpoint.path = e.path;
                     }
                   }
                   endpoint.method = e.method;
                   endpoint.path = e.path;
                   r.audit["newMethod"] = e.method;
                   r.audit["newPath"] = api_path(e.path);
                   return json_response(200, endpoint_json(service, endpoint));
                 });
           },
           true, "Edit rest endpoint", false, "a new method and path for an endpoint the user added"});
  api.add({Verb::delete_, "/endpoints/{id}", "delete_endpoint",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             co_return edit_endpoint(
                 state, r,
                 [&](ServerConf& conf, Service& service, Endpoint& endpoint) -> std::variant<Response, ApiError> {
                   if (endpoint.generated)
                     return bad_request("illegal_generated_endpoint_remove", {std::to_string(endpoint.id)});
                   remove_rights(conf, service.id, &endpoint);
                   const std::int64_t id = endpoint.id;
                   std::erase_if(service.endpoints, [id](const Endpoint& e) { return e.id == id; });
                   return empty_response(204);
                 });
           },
           true, "Delete rest endpoint", false, "remove an endpoint the user added, and its access rights"});
}

}  // namespace roadside::admin
