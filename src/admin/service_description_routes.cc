// A client's service descriptions as X-Road's admin API has them (ServiceDescriptionService):
// a WSDL read from its URL gives its SOAP services, an OpenAPI 3 description one REST service
// with its operations as generated endpoints, a REST URL one REST service. Reading is
// servicedesc's, with X-Road's checks and codes; fetching is state.fetch. A handler checks,
// fetches (it may wait), then reads the newest configuration again and makes the change on
// it in a plain function, so a change made meanwhile is neither lost nor trusted.
#include <algorithm>
#include <set>

#include "admin/conf_json.h"
#include "admin/endpoints.h"
#include "admin/ids.h"
#include "servicedesc/openapi.h"
#include "servicedesc/services.h"
#include "servicedesc/wsdl.h"

namespace roadside::admin {

namespace {

using serverconf::DescriptionType;
using serverconf::Endpoint;
using serverconf::Service;
using serverconf::ServiceDescription;
using serverconf::ServiceType;

constexpr std::size_t kMaxText = 255;  // X-Road's limit for URLs, codes and notices

ApiError failure_error(const servicedesc::Failure& f) {
  using servicedesc::errc;
  unsigned status = 400;
  if (f.code() == errc::service_already_exists) status = 409;
  if (f.code() == errc::wsdl_validator_not_executable || f.code() == errc::wsdl_validator_interrupted) status = 500;
  return ApiError{status, {std::string(f.fault_code()), f.metadata()}, {}, f.detail()};
}

std::vector<CodeWithDetails> to_warnings(const std::vector<servicedesc::Warning>& warnings) {
  std::vector<CodeWithDetails> out;
  for (const auto& w : warnings) out.push_back({w.code, w.metadata});
  return out;
}

bool ignore_warnings(const nlohmann::json& body) {
  const auto& v = json_member(body, "ignore_warnings");
  return v.is_boolean() && v.get<bool>();
}

bool http_url(std::string_view url) {
  return url.size() <= kMaxText && (url.starts_with("http://") || url.starts_with("https://")) &&
         url.find_first_of(" \t\r\n") == std::string_view::npos;
}

std::optional<DescriptionType> parse_type(const std::string& text) {
  if (text == "WSDL") return DescriptionType::wsdl;
  if (text == "OPENAPI3") return DescriptionType::openapi3;
  if (text == "REST") return DescriptionType::rest;
  return std::nullopt;
}

// What a handler asked for: a description to add, or one to read again (refresh, new URL).
struct Reading {
  DescriptionType type = DescriptionType::wsdl;
  XRoadId client;
  std::string url;
  std::string code;     // OPENAPI3 and REST: the service code (new_rest_service_code when renaming)
  std::int64_t id = 0;  // the description read again; 0 when adding
  bool ignore = false;  // ignore_warnings
  bool adding = false;  // X-Road checks service URLs only when adding
};

std::vector<servicedesc::WsdlService> wsdl_services(const ServerConf& conf, std::int64_t description) {
  std::vector<servicedesc::WsdlService> out;
  for (const auto* s : conf.services_of_description(description)) {
    servicedesc::WsdlService w;
    w.code = std::string(s->id.service_code());
    if (!s->id.service_version().empty()) w.version = std::string(s->id.service_version());
    if (!s->title.empty()) w.title = s->title;
    if (!s->url.empty()) w.url = s->url;
    out.push_back(std::move(w));
  }
  return out;
}

// The checks made before and again after fetching: the client, its other descriptions' URLs
// (url_already_exists) and, for REST services, codes (service_code_already_exists).
std::optional<ApiError> check_reading(ServerConf& conf, const Reading& in) {
  if (!conf.client(in.client)) return ApiError{404, {"client_not_found", {api_id(in.client)}}, {}, {}};
  if (in.id != 0 && !conf.description(in.id)) return ApiError{404, {"service_description_not_found", {}}, {}, {}};
  for (const auto& d : conf.descriptions) {
    if (d.client == in.client && d.id != in.id && d.url == in.url) return conflict("url_already_exists", {in.url});
  }
  if (in.type != DescriptionType::wsdl) {
    const Service* existing = find_service_by_code(conf, in.client, in.code);
    if (existing && existing->description != in.id) return conflict("service_code_already_exists", {in.code});
  }
  return std::nullopt;
}

Service new_service(const ServiceDescription& d, XRoadId id, ServiceType type) {
  Service s;
  s.id = std::move(id);
  s.type = type;
  s.description = d.id;
  s.disabled = d.disabled;
  s.disabled_notice = d.disabled_notice;
  return s;
}

Endpoint generated_endpoint(ServerConf& conf, std::string method, std::string path) {
  Endpoint e{std::move(method), std::move(path)};
  e.id = conf.new_id();
  e.generated = true;
  return e;
}

std::variant<XRoadId, ApiError> service_id(const XRoadId& client, const std::string& code,
                                           const std::string& version = {}) {
  auto id = XRoadId::service(client.instance(), client.member_class(), client.member_code(), client.subsystem_code(),
                             code, version);
  if (!id.ok()) return bad_request("invalid_wsdl_service_identifier", {code}, id.error().detail());
  return *id;
}

nlohmann::json codes(const std::vector<std::string>& v) {
  return nlohmann::json(v);
}

// Reads a WSDL into description `d` (new, or read again), as X-Road does.
std::optional<ApiError> read_wsdl(ServerConf& conf, ServiceDescription& d, const Reading& in, const std::string& bytes,
                                  nlohmann::json& audit) {
  auto parsed = servicedesc::parse_wsdl(bytes, in.url);
  if (!parsed) return failure_error(parsed.failure());
  std::vector<servicedesc::ExistingDescription> others;
  for (const auto& other : conf.descriptions) {
    if (other.client == in.client && other.id != d.id && other.type == DescriptionType::wsdl)
      others.push_back({other.url, wsdl_services(conf, other.id)});
  }
  if (auto clash = servicedesc::find_service_clash(*parsed, others)) return failure_error(*clash);
  if (in.adding) {
    if (auto bad = servicedesc::check_service_urls(*parsed)) return failure_error(*bad);
  }
  const auto changes = servicedesc::diff_services(wsdl_services(conf, d.id), *parsed);
  if (!in.adding && !in.ignore && !changes.empty())
    return ApiError{400, {"warnings_detected", {}}, to_warnings(servicedesc::change_warnings(changes)), {}};
  // The new services in the WSDL's order; those in both keep their address, timeout and TLS
  // setting and take the new title; those gone lose their access rights.
  std::vector<Service> kept;
  for (const auto& w : *parsed) {
    auto id = service_id(in.client, w.code, w.version.value_or(""));
    if (auto* e = std::get_if<ApiError>(&id)) return *e;
    const Service* before = nullptr;
    for (const auto* s : conf.services_of_description(d.id)) {
      if (s->id == std::get<XRoadId>(id)) before = s;
    }
    Service s = before ? *before : new_service(d, std::get<XRoadId>(id), ServiceType::wsdl);
    if (!before) s.url = w.url.value_or("");
    s.title = w.title.value_or("");
    s.wsdl_url = in.url;
    kept.push_back(std::move(s));
  }
  for (const auto& gone : changes.removed) {
    if (const auto* s = find_service_by_code(conf, in.client, gone)) remove_rights(conf, s->id);
  }
  std::erase_if(conf.services, [&](const Service& s) { return s.description == d.id; });
  for (auto& s : kept) conf.services.push_back(std::move(s));
  audit["servicesAdded"] = codes(changes.added);
  audit["servicesDeleted"] = codes(changes.removed);
  return std::nullopt;
}

std::vector<servicedesc::Endpoint> generated_endpoints(const Service& s) {
  std::vector<servicedesc::Endpoint> out;
  for (const auto& e : s.endpoints) {
    if (e.generated && !e.is_base()) out.push_back({e.method, e.path});
  }
  return out;
}

// Reads an OpenAPI 3 description into `d`: one REST service whose generated endpoints are the
// description's operations (and the base endpoint).
std::optional<ApiError> read_openapi(ServerConf& conf, ServiceDescription& d, const Reading& in,
                                     const std::string& bytes, nlohmann::json& audit) {
  auto parsed = servicedesc::parse_openapi(bytes, in.url);
  if (!parsed) return failure_error(parsed.failure());
  auto warnings = parsed->validation_warnings();
  Service* service = nullptr;
  for (auto& s : conf.services) {
    if (s.description == d.id) service = &s;
  }
  const auto changes = servicedesc::diff_endpoints(
      service ? generated_endpoints(*service) : std::vector<servicedesc::Endpoint>{}, parsed->endpoints);
  if (service) {
    for (auto& w : servicedesc::change_warnings(changes)) warnings.push_back(std::move(w));
  }
  if (!in.ignore && !warnings.empty()) return ApiError{400, {"warnings_detected", {}}, to_warnings(warnings), {}};
  if (!service) {
    auto id = service_id(in.client, in.code);
    if (auto* e = std::get_if<ApiError>(&id)) return *e;
    conf.services.push_back(new_service(d, std::get<XRoadId>(id), ServiceType::openapi));
    service = &conf.services.back();
    service->url = parsed->base_url;
    service->endpoints.push_back(generated_endpoint(conf, "*", "/**"));
  }
  service->openapi_url = in.url;
  for (const auto& gone : changes.removed) {
    Endpoint pattern{gone.method, gone.path};
    remove_rights(conf, service->id, &pattern);
    std::erase_if(service->endpoints,
                  [&](const Endpoint& e) { return e.generated && e.method == gone.method && e.path == gone.path; });
  }
  for (const auto& added : changes.added) {
    // A user's endpoint of the same method and path becomes the generated one.
    std::erase_if(service->endpoints,
                  [&](const Endpoint& e) { return e.method == added.method && e.path == added.path; });
    service->endpoints.push_back(generated_endpoint(conf, added.method, added.path));
  }
  std::vector<std::string> added, removed;
  for (const auto& e : changes.added) added.push_back(e.to_string());
  for (const auto& e : changes.removed) removed.push_back(e.to_string());
  audit["endpointsAdded"] = added;
  audit["endpointsDeleted"] = removed;
  return std::nullopt;
}

// Renames description `d`'s REST service to `in.code`; its access rights follow it.
std::optional<ApiError> rename_rest_service(ServerConf& conf, const ServiceDescription& d, const Reading& in) {
  for (auto& s : conf.services) {
    if (s.description != d.id || full_service_code(s.id) == in.code) continue;
    auto id = service_id(in.client, in.code);
    if (auto* e = std::get_if<ApiError>(&id)) return *e;
    for (auto& a : conf.access) {
      if (a.service == s.id) a.service = std::get<XRoadId>(id);
    }
    s.id = std::get<XRoadId>(id);
  }
  return std::nullopt;
}

// Adds the description `in` asks for, or reads one again, on the newest configuration; stores
// it. The description's JSON, or the error.
std::variant<nlohmann::json, ApiError> apply_reading(ServerState& state, const Reading& in, const std::string& bytes,
                                                     Request& r) {
  auto loaded = load_conf(state);
  if (auto* e = std::get_if<ApiError>(&loaded)) return *e;
  ServerConf& conf = std::get<ServerConf>(loaded);
  if (auto e = check_reading(conf, in)) return *e;
  std::int64_t description = in.id;
  if (description == 0) {
    description = conf.new_id();
    conf.descriptions.push_back({description, in.client, in.type, in.url, false, {}, {}});
  }
  // (check_reading found it.)
  auto& d = *std::find_if(conf.descriptions.begin(), conf.descriptions.end(),
                          [description](const ServiceDescription& x) { return x.id == description; });
  const std::string old_url = d.url;
  r.audit = {{"clientIdentifier", api_id(in.client)}, {"url", old_url}, {"serviceType", to_string(in.type)}};
  std::optional<ApiError> failed;
  if (in.type == DescriptionType::wsdl) {
    failed = read_wsdl(conf, d, in, bytes, r.audit);
  } else if (in.type == DescriptionType::openapi3) {
    failed = read_openapi(conf, d, in, bytes, r.audit);
    if (!failed && in.id != 0) failed = rename_rest_service(conf, d, in);
  } else if (in.id == 0) {
    auto id = service_id(in.client, in.code);
    if (auto* e = std::get_if<ApiError>(&id)) return *e;
    Service s = new_service(d, std::get<XRoadId>(id), ServiceType::rest);
    s.url = in.url;
    s.endpoints.push_back(generated_endpoint(conf, "*", "/**"));
    conf.services.push_back(std::move(s));
  } else {
    for (auto& s : conf.services) {
      if (s.description == d.id) s.url = in.url;
    }
    failed = rename_rest_service(conf, d, in);
  }
  if (failed) return *failed;
  d.url = in.url;
  d.refreshed_at = now_text();
  if (in.id != 0 && in.url != old_url) r.audit["urlNew"] = in.url;
  r.audit["disabled"] = d.disabled;
  r.audit["refreshedDate"] = d.refreshed_at;
  const nlohmann::json answer = description_json(conf, d);
  if (auto e = store_conf(state, conf, "service description " + std::to_string(d.id))) return *e;
  return answer;
}

// The description the path names and its reading for a refresh or an update; or the error.
std::variant<Reading, ApiError> reading_of(ServerState& state, const Request& r) {
  auto loaded = load_conf(state);
  if (auto* e = std::get_if<ApiError>(&loaded)) return *e;
  ServerConf& conf = std::get<ServerConf>(loaded);
  const auto* d = find_description(conf, r.param("id"));
  if (!d) return ApiError{404, {"service_description_not_found", {}}, {}, {}};
  Reading in;
  in.type = d->type;
  in.client = d->client;
  in.url = d->url;
  in.id = d->id;
  for (const auto* s : conf.services_of_description(d->id)) in.code = full_service_code(s->id);
  return in;
}

// The permission X-Road asks for each kind of description.
bool may(const Request& r, DescriptionType type, const char* wsdl, const char* openapi, const char* rest) {
  const char* needed = type == DescriptionType::wsdl ? wsdl : type == DescriptionType::openapi3 ? openapi : rest;
  return permits(r.caller.roles, needed);
}

// Fetches the description's bytes (not for REST); the error to answer when that fails.
asio::awaitable<std::variant<std::string, ApiError>> fetch_for(ServerState& state, const Reading& in) {
  if (in.type == DescriptionType::rest) co_return std::string();
  if (!state.fetch) co_return internal_error(Error(std::make_error_code(std::errc::not_supported), "no fetch"));
  auto fetched = co_await state.fetch(in.url);
  if (fetched.ok()) co_return std::move(fetched).value();
  if (in.type == DescriptionType::wsdl)
    co_return bad_request("wsdl_download_failed", {in.url}, fetched.error().to_string());
  co_return bad_request("openapi_parsing_error", {"Reading the description from " + in.url + " failed"},
                        fetched.error().to_string());
}

// The description's services' disabled state follows the description's.
void set_disabled(ServerConf& conf, ServiceDescription& d, bool disabled, const std::string& notice) {
  d.disabled = disabled;
  d.disabled_notice = notice;
  for (auto& s : conf.services) {
    if (s.description == d.id) {
      s.disabled = disabled;
      s.disabled_notice = notice;
    }
  }
}

// Finds the description of the path on a fresh configuration; the change `edit` makes is
// stored. For the small changes (enable, disable, delete).
template <typename Edit>
std::variant<Response, ApiError> edit_description(ServerState& state, Request& r, Edit edit) {
  auto loaded = load_conf(state);
  if (auto* e = std::get_if<ApiError>(&loaded)) return *e;
  ServerConf& conf = std::get<ServerConf>(loaded);
  auto* d = find_description(conf, r.param("id"));
  if (!d) return ApiError{404, {"service_description_not_found", {}}, {}, {}};
  // A json{...}, not a bare braced list: clang 14 leaks the old value when a braced list is
  // assigned to a json inside a template (found by admin_body_fuzz).
  r.audit =
      nlohmann::json{{"clientIdentifier", api_id(d->client)}, {"url", d->url}, {"serviceType", to_string(d->type)}};
  if (auto e = edit(conf, *d)) return *e;
  if (auto e = store_conf(state, conf, "service description " + r.param("id"))) return *e;
  return empty_response(204);
}

HandlerResult to_result(std::variant<Response, ApiError> v) {
  if (auto* e = std::get_if<ApiError>(&v)) return *e;
  return std::get<Response>(v);
}

HandlerResult json_result(std::variant<nlohmann::json, ApiError> v, unsigned status) {
  if (auto* e = std::get_if<ApiError>(&v)) return *e;
  return json_response(status, std::get<nlohmann::json>(v));
}

// The new description a POST asks for, or the error.
std::variant<Reading, ApiError> adding(ServerState& state, const Request& r) {
  auto loaded = load_conf(state);
  if (auto* e = std::get_if<ApiError>(&loaded)) return *e;
  auto client = hosted_client(std::get<ServerConf>(loaded), r.param("id"));
  if (auto* e = std::get_if<ApiError>(&client)) return *e;
  const nlohmann::json body = r.json_body().value_or(nlohmann::json::object());
  Reading in;
  in.client = std::get<XRoadId>(client);
  in.url = json_string(body, "url");
  in.code = json_string(body, "rest_service_code");
  in.ignore = ignore_warnings(body);
  in.adding = true;
  auto type = parse_type(json_string(body, "type"));
  if (!type) return bad_request("validation_failure", {"type"});
  in.type = *type;
  if (!may(r, in.type, "add_wsdl", "add_openapi3", "add_openapi3"))
    return ApiError{403, {"permission_denied", {}}, {}, {}};
  if (!http_url(in.url)) return bad_request("malformed_url", {in.url.substr(0, kMaxText)});
  if (in.type != DescriptionType::wsdl &&
      (in.code.empty() || in.code.size() > kMaxText || !servicedesc::is_valid_identifier(in.code))) {
    return bad_request("validation_failure", {"rest_service_code"});
  }
  if (in.type == DescriptionType::wsdl) in.code.clear();
  if (auto e = check_reading(std::get<ServerConf>(loaded), in)) return *e;
  return in;
}

// A PATCH: the description read again from a new URL (and a REST service renamed).
std::variant<Reading, ApiError> updating(ServerState& state, const Request& r) {
  auto found = reading_of(state, r);
  if (auto* e = std::get_if<ApiError>(&found)) return *e;
  Reading in = std::get<Reading>(found);
  const nlohmann::json body = r.json_body().value_or(nlohmann::json::object());
  if (!may(r, in.type, "edit_wsdl", "edit_openapi3", "edit_rest"))
    return ApiError{403, {"permission_denied", {}}, {}, {}};
  auto type = parse_type(json_string(body, "type", std::string(to_string(in.type))));
  if (!type) return bad_request("validation_failure", {"type"});
  if (*type != in.type) return bad_request("wrong_servicedescription_type", {std::string(to_string(in.type))});
  in.url = json_string(body, "url", in.url);
  in.ignore = ignore_warnings(body);
  if (!http_url(in.url)) return bad_request("malformed_url", {in.url.substr(0, kMaxText)});
  const std::string renamed = json_string(body, "new_rest_service_code");
  if (in.type != DescriptionType::wsdl && !renamed.empty()) {
    if (renamed.size() > kMaxText || !servicedesc::is_valid_identifier(renamed))
      return bad_request("validation_failure", {"new_rest_service_code"});
    in.code = renamed;
  }
  return in;
}

}  // namespace

void add_service_description_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/clients/{id}/service-descriptions", "view_client_services",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto loaded = load_conf(state);
             if (auto* e = std::get_if<ApiError>(&loaded)) co_return *e;
             const ServerConf& conf = std::get<ServerConf>(loaded);
             auto client = hosted_client(conf, r.param("id"));
             if (auto* e = std::get_if<ApiError>(&client)) co_return *e;
             nlohmann::json out = nlohmann::json::array();
             for (const auto& d : conf.descriptions) {
               if (d.client == std::get<XRoadId>(client)) out.push_back(description_json(conf, d));
             }
             co_return json_response(200, out);
           },
           false, "", false, "the client's service descriptions with their services"});
  api.add({Verb::post, "/clients/{id}/service-descriptions", "add_wsdl|add_openapi3",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto in = adding(state, r);
             if (auto* e = std::get_if<ApiError>(&in)) co_return *e;
             auto bytes = co_await fetch_for(state, std::get<Reading>(in));
             if (auto* e = std::get_if<ApiError>(&bytes)) co_return *e;
             co_return json_result(apply_reading(state, std::get<Reading>(in), std::get<std::string>(bytes), r), 201);
           },
           true, "Add service description", false,
           "add a WSDL (its services), an OpenAPI 3 description (a REST service and its endpoints) or a REST "
           "service, read from its URL"});
  api.add({Verb::get, "/service-descriptions/{id}", "view_client_services",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto loaded = load_conf(state);
             if (auto* e = std::get_if<ApiError>(&loaded)) co_return *e;
             ServerConf& conf = std::get<ServerConf>(loaded);
             const auto* d = find_description(conf, r.param("id"));
             if (!d) co_return ApiError{404, {"service_description_not_found", {}}, {}, {}};
             co_return json_response(200, description_json(conf, *d));
           },
           false, "", false, "one service description"});
  api.add({Verb::get, "/service-descriptions/{id}/services", "view_client_services",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto loaded = load_conf(state);
             if (auto* e = std::get_if<ApiError>(&loaded)) co_return *e;
             ServerConf& conf = std::get<ServerConf>(loaded);
             const auto* d = find_description(conf, r.param("id"));
             if (!d) co_return ApiError{404, {"service_description_not_found", {}}, {}, {}};
             co_return json_response(200, description_json(conf, *d)["services"]);
           },
           false, "", false, "the services of a service description"});
  api.add({Verb::patch, "/service-descriptions/{id}", "edit_wsdl|edit_openapi3|edit_rest",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto in = updating(state, r);
             if (auto* e = std::get_if<ApiError>(&in)) co_return *e;
             auto bytes = co_await fetch_for(state, std::get<Reading>(in));
             if (auto* e = std::get_if<ApiError>(&bytes)) co_return *e;
             co_return json_result(apply_reading(state, std::get<Reading>(in), std::get<std::string>(bytes), r), 200);
           },
           true, "Edit service description", false,
           "a new URL for a description (read again, X-Road's warnings of what changes) or a REST service's new code"});
  api.add({Verb::put, "/service-descriptions/{id}/refresh", "refresh_wsdl|refresh_openapi3|refresh_rest",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto in = reading_of(state, r);
             if (auto* e = std::get_if<ApiError>(&in)) co_return *e;
             Reading& reading = std::get<Reading>(in);
             if (!may(r, reading.type, "refresh_wsdl", "refresh_openapi3", "refresh_rest"))
               co_return ApiError{403, {"permission_denied", {}}, {}, {}};
             if (reading.type == DescriptionType::rest)
               co_return bad_request("wrong_servicedescription_type", {"REST"});
             reading.ignore = ignore_warnings(r.json_body().value_or(nlohmann::json::object()));
             auto bytes = co_await fetch_for(state, reading);
             if (auto* e = std::get_if<ApiError>(&bytes)) co_return *e;
             co_return json_result(apply_reading(state, reading, std::get<std::string>(bytes), r), 200);
           },
           true, "Refresh service description", false,
           "read a WSDL or OpenAPI 3 description again; what changes is told as X-Road's warnings"});
  api.add({Verb::put, "/service-descriptions/{id}/disable", "enable_disable_wsdl",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             const nlohmann::json body = r.json_body().value_or(nlohmann::json::object());
             const std::string notice = json_string(body, "disabled_notice");
             if (notice.size() > kMaxText) co_return bad_request("validation_failure", {"disabled_notice"});
             co_return to_result(edit_description(state, r, [&](ServerConf& conf, ServiceDescription& d) {
               set_disabled(conf, d, true, notice);
               r.audit["disabledNotice"] = notice;
               return std::optional<ApiError>();
             }));
           },
           true, "Disable service description", false,
           "disable a description's services: calls are refused with the notice"});
  api.add({Verb::put, "/service-descriptions/{id}/enable", "enable_disable_wsdl",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             co_return to_result(edit_description(state, r, [](ServerConf& conf, ServiceDescription& d) {
               set_disabled(conf, d, false, d.disabled_notice);
               return std::optional<ApiError>();
             }));
           },
           true, "Enable service description", false, "enable a description's services again"});
  api.add({Verb::delete_, "/service-descriptions/{id}", "delete_wsdl",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             co_return to_result(edit_description(state, r, [](ServerConf& conf, ServiceDescription& d) {
               const std::int64_t id = d.id;
               for (const auto* s : conf.services_of_description(id)) remove_rights(conf, s->id);
               std::erase_if(conf.services, [id](const Service& s) { return s.description == id; });
               std::erase_if(conf.descriptions, [id](const ServiceDescription& x) { return x.id == id; });
               return std::optional<ApiError>();
             }));
           },
           true, "Delete service description", false, "remove a description, its services and their access rights"});
}

}  // namespace roadside::admin
