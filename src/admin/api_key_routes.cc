// /api-keys, as X-Road's user guide (§19.1) describes it: the body of POST and PUT is a JSON
// array of role names; the key itself is in the answer to POST only.
#include <boost/asio/use_awaitable.hpp>

#include "admin/endpoints.h"

namespace roadside::admin {

namespace {

nlohmann::json key_json(const ApiKey& key) {
  return {{"id", key.id}, {"roles", key.roles.names()}};
}

nlohmann::json audit_json(const ApiKey& key) {
  return {{"apiKeyId", key.id}, {"apiKeyRoles", key.roles.names()}};
}

// The roles of a POST or PUT body, or X-Road's error.
std::variant<Roles, ApiError> body_roles(const Request& request) {
  std::string why;
  auto body = request.json_body(&why);
  if (!body || !body->is_array() || body->empty() || body->size() > 16) {
    return bad_request("invalid_request_body", {}, "the body must be a JSON array of role names");
  }
  std::vector<std::string> names;
  for (const auto& item : *body) {
    if (!item.is_string()) return bad_request("invalid_request_body", {}, "role names are strings");
    names.push_back(item.get<std::string>());
  }
  std::string unknown;
  auto roles = Roles::parse(names, &unknown);
  if (!roles) return bad_request("invalid_role", {unknown}, "unknown role " + unknown);
  return *roles;
}

std::optional<std::int64_t> key_id(const Request& request) {
  const std::string& text = request.param("id");
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t id = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + (c - '0');
  }
  return id;
}

}  // namespace

void add_api_key_routes(Api& api, ApiKeys& keys) {
  api.add({Verb::post, "/api-keys", "create_api_key",
           [&keys](Request& r) -> asio::awaitable<HandlerResult> {
             auto roles = body_roles(r);
             if (auto* e = std::get_if<ApiError>(&roles)) co_return *e;
             auto made = keys.create(std::get<Roles>(roles), r.caller.user);
             if (!made.ok()) co_return internal_error(made.error());
             r.audit = audit_json(made->key);
             nlohmann::json body = key_json(made->key);
             body["key"] = made->plaintext;
             co_return json_response(200, body);
           },
           true, "API key create", false, "create an API key with the given roles"});
  api.add({Verb::get, "/api-keys", "view_api_keys",
           [&keys](Request&) -> asio::awaitable<HandlerResult> {
             auto list = keys.list();
             if (!list.ok()) co_return internal_error(list.error());
             nlohmann::json body = nlohmann::json::array();
             for (const auto& key : *list) body.push_back(key_json(key));
             co_return json_response(200, body);
           },
           false, "", false, "list the API keys (not the keys themselves)"});
  api.add({Verb::get, "/api-keys/{id}", "view_api_keys",
           [&keys](Request& r) -> asio::awaitable<HandlerResult> {
             auto id = key_id(r);
             if (!id) co_return not_found("no such API key");
             auto key = keys.get(*id);
             if (!key.ok()) co_return internal_error(key.error());
             if (!*key) co_return not_found("no such API key");
             co_return json_response(200, key_json(**key));
           },
           false, "", false, "one API key's roles"});
  api.add({Verb::put, "/api-keys/{id}", "update_api_key",
           [&keys](Request& r) -> asio::awaitable<HandlerResult> {
             auto id = key_id(r);
             if (!id) co_return not_found("no such API key");
             auto roles = body_roles(r);
             if (auto* e = std::get_if<ApiError>(&roles)) co_return *e;
             auto key = keys.update(*id, std::get<Roles>(roles));
             if (!key.ok()) co_return internal_error(key.error());
             if (!*key) co_return not_found("no such API key");
             r.audit = audit_json(**key);
             co_return json_response(200, key_json(**key));
           },
           true, "API key update", false, "replace an API key's roles"});
  api.add({Verb::delete_, "/api-keys/{id}", "revoke_api_key",
           [&keys](Request& r) -> asio::awaitable<HandlerResult> {
             auto id = key_id(r);
             if (!id) co_return not_found("no such API key");
             auto key = keys.revoke(*id);
             if (!key.ok()) co_return internal_error(key.error());
             if (!*key) co_return not_found("no such API key");
             r.audit = audit_json(**key);
             co_return empty_response(200);
           },
           true, "API key remove", false, "revoke an API key"});
}

}  // namespace roadside::admin
