#include "admin/api.h"

#include <charconv>
#include <exception>

#include "base/json_text.h"
#include "base/log.h"

namespace roadside::admin {

namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

nlohmann::json details_json(const CodeWithDetails& d) {
  nlohmann::json j = {{"code", d.code}};
  if (!d.metadata.empty()) j["metadata"] = d.metadata;
  return j;
}

}  // namespace

std::string_view auth_name(AuthKind kind) noexcept {
  switch (kind) {
    case AuthKind::api_key:
      return "ApiKey";
    case AuthKind::http_basic:
      return "HttpBasic";
    case AuthKind::local:
      return "Local";
    case AuthKind::session:
      return "Session";
  }
  return "ApiKey";
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::optional<nlohmann::json> parse_json(std::string_view text, std::string* why) {
  std::string reason;
  auto parsed = json::parse_untrusted(text, kMaxJsonDepth, &reason);
  if (!parsed && why) *why = "the request body " + reason;
  return parsed;
}

std::optional<nlohmann::json> Request::json_body(std::string* why) const {
  return parse_json(body, why);
}

const std::string& Request::param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

Response json_response(unsigned status, const nlohmann::json& body) {
  return Response{status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), {}};
}

const nlohmann::json& json_member(const nlohmann::json& object, const std::string& name) {
  static const nlohmann::json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(name);
  return it != object.end() ? *it : kNull;
}

std::string json_string(const nlohmann::json& object, const std::string& name, std::string fallback) {
  const nlohmann::json& member = json_member(object, name);
  return member.is_string() ? member.get<std::string>() : fallback;
}

Response empty_response(unsigned status) {
  return Response{status, "", "", {}};
}

Response error_response(const ApiError& e) {
  nlohmann::json body = {{"status", e.status}, {"error", details_json(e.error)}};
  if (!e.warnings.empty()) {
    body["warnings"] = nlohmann::json::array();
    for (const auto& w : e.warnings) body["warnings"].push_back(details_json(w));
  }
  return json_response(e.status, body);
}

ApiError bad_request(std::string code, std::vector<std::string> metadata, std::string detail) {
  return ApiError{400, {std::move(code), std::move(metadata)}, {}, std::move(detail)};
}

std::optional<std::int64_t> positive_number(std::string_view text) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n <= 0) return std::nullopt;
  return n;
}

ApiError not_found(std::string what) {
  return ApiError{404, {"resource_not_found", {}}, {}, std::move(what)};
}

ApiError conflict(std::string code, std::vector<std::string> metadata) {
  return ApiError{409, {std::move(code), std::move(metadata)}, {}, {}};
}

ApiError internal_error(const Error& cause) {
  return ApiError{500, {"internal_error", {}}, {}, cause.to_string()};
}

void Api::add(Route route) {
  routes_.push_back(std::move(route));
}

const Route* Api::match(Verb method, std::string_view path, std::map<std::string, std::string>* params,
                        bool* path_matches) const {
  const auto want = segments(path);
  if (path_matches) *path_matches = false;
  for (const auto& route : routes_) {
    const auto have = segments(route.path);
    if (have.size() != want.size()) continue;
    std::map<std::string, std::string> found;
    bool ok = true;
    for (std::size_t i = 0; i < have.size() && ok; ++i) {
      if (have[i].size() > 2 && have[i].front() == '{' && have[i].back() == '}') {
        auto value = percent_decode(want[i]);
        // No X-Road identifier, hash or file name holds a '/': "%2F" is no way around a segment.
        ok = value.has_value() && !value->empty() && value->find('/') == std::string::npos;
        if (ok) found.emplace(std::string(have[i].substr(1, have[i].size() - 2)), std::move(*value));
      } else {
        ok = have[i] == want[i];
      }
    }
    if (!ok) continue;
    if (path_matches) *path_matches = true;
    if (route.method != method) continue;
    if (params) *params = std::move(found);
    return &route;
  }
  return nullptr;
}

asio::awaitable<Response> Api::handle(Request& request) const {
  bool known_path = false;
  const Route* route = match(request.method, request.path, &request.params, &known_path);
  if (!route) {
    co_return error_response(known_path ? ApiError{405, {"method_not_allowed", {}}, {}, {}}
                                        : ApiError{404, {"resource_not_found", {}}, {}, {}});
  }
  // "a|b": any of X-Road's permissions (the handler checks the one the request needs).
  const bool allowed = permits_any(request.caller.roles, route->permission);
  if (!allowed) {
    log::info("admin API: permission denied",
              {{"user", request.caller.user}, {"path", route->path}, {"permission", route->permission}});
    if (route->changes && !route->event.empty()) {
      log::Fields context = {
          {"auth", auth_name(request.caller.auth)}, {"url", "/api/v1" + request.path}, {"reason", "permission_denied"}};
      if (!request.caller.address.empty()) context["ipaddress"] = request.caller.address;
      log::audit(route->event + " failed", request.caller.user, log::Fields::object(), context);
    }
    co_return error_response(ApiError{403, {"permission_denied", {route->permission}}, {}, {}});
  }
  if (route->changes && secondary_) {
    co_return error_response(ApiError{403, {"node_is_secondary", {}}, {}, {}});
  }
  HandlerResult result = ApiError{500, {"internal_error", {}}, {}, "the handler did not answer"};
  std::string unreadable;
  if (!route->binary_upload && !request.body.empty() && !request.json_body(&unreadable)) {
    // A handler reads an absent member as its default; a body it cannot read must not look
    // like an empty one.
    result = bad_request("invalid_request_body", {}, unreadable);
  } else {
    try {
      result = co_await route->handler(request);
    } catch (const std::exception& e) {
      result = ApiError{500, {"internal_error", {}}, {}, e.what()};
    }
  }
  const ApiError* failed = std::get_if<ApiError>(&result);
  if (failed && failed->status >= 500) {
    log::error("admin API: request failed",
               {{"user", request.caller.user}, {"path", request.path}, {"error", failed->detail}});
  } else if (failed) {
    log::info("admin API: request refused", {{"user", request.caller.user},
                                             {"path", request.path},
                                             {"code", failed->error.code},
                                             {"detail", failed->detail}});
  }
  if (route->changes && !route->event.empty()) {
    log::Fields context = {{"auth", auth_name(request.caller.auth)}, {"url", "/api/v1" + request.path}};
    if (!request.caller.address.empty()) context["ipaddress"] = request.caller.address;
    if (failed) {
      context["reason"] = failed->error.code;
      if (failed->error.code == "warnings_detected") context["warning"] = true;
    }
    log::audit(failed ? route->event + " failed" : route->event, request.caller.user, request.audit, context);
  }
  co_return failed ? error_response(*failed) : std::get<Response>(std::move(result));
}

}  // namespace roadside::admin
