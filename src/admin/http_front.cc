#include "admin/http_front.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"
#include "base/random.h"
#include "base/text.h"
#include "console/assets.h"
#include "crypto/encoding.h"

namespace roadside::admin {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view kBase = "/api/v1";

ApiError refusal(unsigned status, std::string code, std::string detail) {
  return ApiError{status, {std::move(code), {}}, {}, std::move(detail)};
}

std::string correlation_id() {
  return crypto::to_hex(Random::system().bytes(8));
}

// Whether If-None-Match names `etag` (RFC 9110 13.1.2: a list of tags, each maybe weak, or "*").
bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    std::string_view tag = trim_blanks(if_none_match.substr(0, comma));
    if_none_match = comma == std::string_view::npos ? std::string_view() : if_none_match.substr(comma + 1);
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
  }
  return false;
}

// A console file; 304 when the browser holds this version (its entity tag).
Response asset_response(const console::Asset& asset, std::string_view if_none_match) {
  if (etag_matches(if_none_match, asset.etag)) {
    Response r = empty_response(304);
    r.headers.emplace_back("ETag", std::string(asset.etag));
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }
  Response r{200, std::string(asset.content_type), std::string(asset.body), {}};
  r.headers.emplace_back("ETag", std::string(asset.etag));
  // Kept, but asked about each time: a new version shows at once after an upgrade.
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

// Why a request's body could not be read within `limit`: 413 past it, 408 when it was slow.
ApiError unreadable_body(const Error& e, std::size_t limit) {
  if (e.code() == net::errc::too_large)
    return refusal(413, "payload_too_large", "over " + std::to_string(limit) + " bytes");
  return refusal(408, "request_timeout", e.detail());
}

// The audit record of a console login or logout (X-Road's "Log in user", "Log out user").
void audit_session(const std::string& event, std::string_view user, std::string_view path, const std::string& address,
                   std::string_view reason = {}) {
  log::Fields context = {
      {"auth", auth_name(AuthKind::session)}, {"url", std::string(kBase) + std::string(path)}, {"ipaddress", address}};
  if (!reason.empty()) context["reason"] = reason;
  log::audit(event, user, log::Fields::object(), context);
}

// X-Road's User: the caller's name, roles and the permissions they grant.
nlohmann::json user_json(const Caller& who) {
  return {{"username", who.user}, {"roles", who.roles.names()}, {"permissions", permissions_of(who.roles)}};
}

bool is_key_management(std::string_view path) {
  return path == "/api-keys" || path.starts_with("/api-keys/");
}

}  // namespace

std::optional<std::map<std::string, std::string>> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    if (out.size() >= kMaxQueryParameters) return std::nullopt;
    const auto amp = query.find('&');
    std::string pair(query.substr(0, amp));
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    for (char& c : pair) {
      if (c == '+') c = ' ';
    }
    const auto eq = pair.find('=');
    auto name = percent_decode(std::string_view(pair).substr(0, eq));
    auto value = percent_decode(eq == std::string::npos ? std::string_view() : std::string_view(pair).substr(eq + 1));
    if (!name || !value) return std::nullopt;
    if (!name->empty()) out[*name] = std::move(*value);
  }
  return out;
}

std::string_view credentials(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || header.substr(0, scheme.size()) != scheme || header[scheme.size()] != ' ')
    return {};
  header.remove_prefix(scheme.size() + 1);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  return header;
}

HttpFront::HttpFront(const Api& api, ApiKeys& keys, Administrators& administrators, Sessions& sessions,
                     FrontOptions options, boost::asio::any_io_executor work)
    : api_(api),
      keys_(keys),
      administrators_(administrators),
      sessions_(sessions),
      options_(std::move(options)),
      work_(std::move(work)),
      limiter_(options_.rate) {}

boost::asio::awaitable<std::variant<Caller, ApiError>> HttpFront::administrator(const std::string& authorization,
                                                                                const std::string& address) {
  const std::string_view encoded = credentials(authorization, "Basic");
  auto decoded = crypto::base64_decode(encoded);
  const auto colon = decoded.ok() ? decoded->find(':') : std::string::npos;
  if (encoded.empty() || colon == std::string::npos) {
    co_return refusal(401, "authentication_required", "no Basic credentials");
  }
  const std::string name = decoded->substr(0, colon);
  std::string password = decoded->substr(colon + 1);
  std::fill(decoded->begin(), decoded->end(), '\0');
  // An administrator manages keys as X-Road's system administrator does.
  Roles roles;
  roles.add(Role::system_administrator);
  auto caller = co_await check_password(name, password, roles, address);
  std::fill(password.begin(), password.end(), '\0');
  co_return caller;
}

boost::asio::awaitable<std::variant<Caller, ApiError>> HttpFront::check_password(std::string name, std::string password,
                                                                                 Roles roles, std::string address) {
  auto pending = co_await boost::asio::co_spawn(
      work_,
      [&]() -> boost::asio::awaitable<Result<Administrators::Pending>> {
        co_return administrators_.lookup(name, password);
      },
      boost::asio::use_awaitable);
  if (!pending.ok()) co_return internal_error(pending.error());
  // A password check takes a PBKDF2 of 600,000 rounds: a few at a time, never on the database's
  // thread, so a flood of Basic requests costs callers their answers, not the server its work.
  // One checked in the last minute needs none, and waits for none.
  bool ok = pending->remembered;
  if (!ok) {
    if (finishing_) co_return refusal(503, "service_unavailable", "the server is stopping");
    if (checking_.fetch_add(1) >= kMaxPasswordChecks) {
      --checking_;
      log::warn("admin API: too many password checks at once", {{"address", address}});
      co_return refusal(429, "too_many_requests", "password checks busy");
    }
    struct Done {
      std::atomic<int>& n;
      ~Done() { --n; }
    } done{checking_};
    ok = co_await boost::asio::co_spawn(
        password_checks_,
        [&]() -> boost::asio::awaitable<bool> { co_return administrators_.verify(*pending, name, password); },
        boost::asio::use_awaitable);
  }
  if (!ok) {
    log::warn("admin API: password authentication failed", {{"user", name}, {"address", address}});
    co_return refusal(401, "authentication_failed", "wrong user name or password");
  }
  co_return Caller{name, roles, AuthKind::http_basic, address};
}

boost::asio::awaitable<std::variant<Caller, ApiError>> HttpFront::key_holder(std::string token, std::string address,
                                                                             std::optional<std::int64_t>* key_id) {
  auto check = [&]() -> boost::asio::awaitable<std::variant<Caller, ApiError>> {
    auto key = keys_.authenticate(token);
    if (!key.ok()) co_return internal_error(key.error());
    if (!*key) {
      log::warn("admin API: unknown API key", {{"address", address}});
      co_return refusal(401, "authentication_failed", "unknown API key");
    }
    if (key_id) *key_id = (*key)->id;
    co_return Caller{"api-key-" + std::to_string((*key)->id), (*key)->roles, AuthKind::api_key, address};
  };
  co_return co_await boost::asio::co_spawn(work_, check, boost::asio::use_awaitable);
}

boost::asio::awaitable<std::variant<Caller, ApiError>> HttpFront::session_caller(std::string session_id,
                                                                                 std::string xsrf, bool reads,
                                                                                 bool key_management,
                                                                                 std::string address) {
  auto used = sessions_.use(session_id, xsrf, !reads);
  if (!used.caller) {
    if (used.refusal == Sessions::Refusal::xsrf)
      co_return refusal(403, "invalid_xsrf_token", "no X-XSRF-TOKEN header of the session's token");
    co_return refusal(401, used.refusal == Sessions::Refusal::expired ? "session_expired" : "authentication_required",
                      "no live session");
  }
  if (key_management && used.key_id) {
    co_return ApiError{403, {"permission_denied", {}}, {}, "a session an API key opened manages no API keys"};
  }
  Caller caller = std::move(*used.caller);
  caller.address = address;
  if (used.key_id) {
    // The key as it is now: revoked, it ends the session; its roles changed, they apply.
    const std::int64_t key_id = *used.key_id;
    auto lookup = [&]() -> boost::asio::awaitable<Result<std::optional<ApiKey>>> { co_return keys_.get(key_id); };
    auto key = co_await boost::asio::co_spawn(work_, lookup, boost::asio::use_awaitable);
    if (!key.ok()) co_return internal_error(key.error());
    if (!*key) {
      sessions_.close(session_id);
      log::info("admin console: a session ended with its revoked API key", {{"user", caller.user}});
      co_return refusal(401, "session_expired", "the session's API key was revoked");
    }
    caller.roles = (*key)->roles;
  }
  co_return caller;
}

boost::asio::awaitable<Response> HttpFront::login(net::ServerExchange& exchange, std::string address) {
  auto body = co_await exchange.read_body_all(options_.regular_body_limit);
  if (!body.ok()) co_return error_response(unreadable_body(body.error(), options_.regular_body_limit));
  // X-Road's LoginRequest as JSON, or the form its UI posts; an API key instead of the two is
  // Roadside's.
  std::string name, password, key;
  const std::string_view type = exchange.request()[http::field::content_type];
  if (type.starts_with("application/x-www-form-urlencoded")) {
    auto form = parse_query(*body);
    if (!form) co_return error_response(bad_request("invalid_request_body", {}, "the form cannot be decoded"));
    name = (*form)["username"];
    password = (*form)["password"];
    key = (*form)["api_key"];
    for (auto& [field, value] : *form) std::fill(value.begin(), value.end(), '\0');
  } else if (!type.starts_with("application/json")) {
    co_return error_response(bad_request("invalid_request_body", {}, "a login is JSON or a form"));
  } else {
    auto json = parse_json(*body);
    if (!json || !json->is_object())
      co_return error_response(bad_request("invalid_request_body", {}, "not a JSON object"));
    name = json_string(*json, "username");
    password = json_string(*json, "password");
    key = json_string(*json, "api_key");
  }
  std::fill(body->begin(), body->end(), '\0');
  constexpr std::size_t kMaxCredential = 255;  // X-Road's LoginRequest: at most 255 characters each
  if (name.size() > kMaxCredential || password.size() > kMaxCredential || key.size() > kMaxCredential ||
      (key.empty() && (name.empty() || password.empty()))) {
    co_return error_response(bad_request("invalid_request_body", {}, "a user name and password, or an API key"));
  }
  const bool administrator = key.empty();
  // The password opens key management too: it is taken only where key management is.
  if (administrator && !options_.key_management_whitelist.contains(exchange.peer().remote.address())) {
    log::warn("admin console: a password login from outside the key-management whitelist",
              {{"address", address}, {"whitelist", options_.key_management_whitelist.text()}});
    co_return error_response(refusal(403, "address_not_allowed", "a password login outside the whitelist"));
  }
  // An administrator's session may do what any role may, as X-Road's installer puts its first
  // user in every role's group; a key's session, what the key may.
  std::variant<Caller, ApiError> caller;  // (no co_await inside ?: with GCC 12: CONTRIBUTING.md)
  std::optional<std::int64_t> key_id;
  if (administrator) {
    caller = co_await check_password(name, password, Roles::all(), address);
  } else {
    caller = co_await key_holder(key, address, &key_id);
  }
  std::fill(password.begin(), password.end(), '\0');
  std::fill(key.begin(), key.end(), '\0');
  if (auto* refused = std::get_if<ApiError>(&caller)) {
    audit_session("Log in user failed", administrator ? name : "api-key", "/login", address, refused->error.code);
    co_return error_response(*refused);
  }
  const Caller& who = std::get<Caller>(caller);
  const auto opened = sessions_.open(who, key_id);
  audit_session("Log in user", who.user, "/login", address);
  Response r = json_response(200, user_json(who));
  r.headers.emplace_back("Set-Cookie", Sessions::session_cookie(opened));
  r.headers.emplace_back("Set-Cookie", Sessions::xsrf_cookie(opened));
  co_return r;
}

Response HttpFront::logout(const net::ServerExchange& exchange, const std::string& address) {
  const auto& req = exchange.request();
  const auto id = cookie_value(req[http::field::cookie], kSessionCookie);
  // Ending a session changes something: the page must show its XSRF token. Without a live
  // session nothing is cleared (a page of another site cannot make the browser drop a cookie).
  auto used = id ? sessions_.use(*id, req[kXsrfHeader], true) : Sessions::Used{};
  if (!used.caller) {
    if (used.refusal == Sessions::Refusal::xsrf)
      return error_response(refusal(403, "invalid_xsrf_token", "logout without the session's XSRF token"));
    return error_response(refusal(401, "authentication_required", "no live session"));
  }
  if (sessions_.close(*id)) audit_session("Log out user", used.caller->user, "/logout", address);
  Response r = empty_response(204);
  r.headers.emplace_back("Set-Cookie", Sessions::cleared_session_cookie());
  r.headers.emplace_back("Set-Cookie", Sessions::cleared_xsrf_cookie());
  return r;
}

void HttpFront::finish_password_checks() {
  finishing_ = true;
  password_checks_.join();
}

net::Handler HttpFront::handler() {
  return [this](net::ServerExchange& ex) { return serve(ex); };
}

boost::asio::awaitable<void> HttpFront::serve(net::ServerExchange& exchange) {
  const std::string id = correlation_id();
  Response answer = co_await this->answer(exchange, id);
  net::StringResponse res{static_cast<http::status>(answer.status), exchange.request().version()};
  if (!answer.content_type.empty()) res.set(http::field::content_type, answer.content_type);
  for (const auto& [name, value] : answer.headers) res.insert(name, value);  // Set-Cookie comes twice
  res.set("x-road-ui-correlation-id", id);
  if (res.find(http::field::cache_control) == res.end()) res.set(http::field::cache_control, "no-store");
  // A browser shows nothing of this origin in a frame, guesses no type and runs only the
  // console's own scripts.
  res.set("Content-Security-Policy", console::kContentSecurityPolicy);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.body() = std::move(answer.body);
  res.prepare_payload();
  log::debug("admin API request", {{"method", std::string(exchange.request().method_string())},
                                   {"target", std::string(exchange.request().target())},
                                   {"status", answer.status},
                                   {"correlation_id", id}});
  // A client gone before its answer is logged by the server; nothing is left to do here.
  (void)co_await exchange.respond(std::move(res));
}

boost::asio::awaitable<Response> HttpFront::answer(net::ServerExchange& exchange, const std::string& id) {
  const auto& req = exchange.request();
  const auto remote = exchange.peer().remote.address();
  const std::string address = unmapped(remote).to_string();
  // The console's files: the same for everybody and kept in memory, so served to any address
  // of the regular whitelist without the rate limit or a login (the API they call has both).
  if (req.method() == http::verb::get && options_.regular_whitelist.contains(remote)) {
    const std::string_view target = req.target();
    if (auto asset = console::find_asset(target.substr(0, target.find('?'))))
      co_return asset_response(*asset, req[http::field::if_none_match]);
  }
  if (!limiter_.allow(address)) {
    log::info("admin API: rate limit", {{"address", address}, {"correlation_id", id}});
    co_return error_response(refusal(429, "too_many_requests", "rate limit"));
  }
  // A change a page of another site asks for (the browser says so) is refused whatever its
  // credentials: a browser's cached Basic credentials or a forged login must not ride on it.
  const bool reads = req.method() == http::verb::get || req.method() == http::verb::head;
  const std::string_view fetch_site = req["Sec-Fetch-Site"];
  if (!reads && !fetch_site.empty() && fetch_site != "same-origin" && fetch_site != "none") {
    log::warn("admin API: a change asked from another site", {{"address", address}, {"sec_fetch_site", fetch_site}});
    co_return error_response(refusal(403, "cross_site_request", "Sec-Fetch-Site: " + std::string(fetch_site)));
  }

  const std::string_view target = req.target();
  const auto question = target.find('?');
  std::string_view path = target.substr(0, question);
  // Roadside's own description of the API is also at /api/openapi.yaml.
  std::string api_path;
  if (path == "/api/openapi.yaml") {
    api_path = "/openapi.yaml";
  } else if (path.starts_with(kBase) && (path.size() == kBase.size() || path[kBase.size()] == '/')) {
    api_path = std::string(path.substr(kBase.size()));
  } else {
    co_return error_response(refusal(404, "resource_not_found", "not under /api/v1"));
  }
  auto query = parse_query(question == std::string_view::npos ? std::string_view() : target.substr(question + 1));
  if (!query) co_return error_response(bad_request("invalid_query", {}, "the query string cannot be decoded"));

  const bool key_management = is_key_management(api_path);
  const AddressList& whitelist = key_management ? options_.key_management_whitelist : options_.regular_whitelist;
  if (!whitelist.contains(remote)) {
    log::warn("admin API: caller outside the whitelist",
              {{"address", address}, {"path", api_path}, {"whitelist", whitelist.text()}, {"correlation_id", id}});
    co_return error_response(refusal(403, "address_not_allowed", "outside the whitelist"));
  }

  if (api_path == "/login" || api_path == "/logout") {
    const bool allowed =
        req.method() == http::verb::post || (api_path == "/logout" && req.method() == http::verb::delete_);
    if (!allowed) co_return error_response(ApiError{405, {"method_not_allowed", {}}, {}, {}});
    if (api_path == "/login") co_return co_await login(exchange, address);
    co_return logout(exchange, address);
  }

  // Who is calling: an X-Road-ApiKey header, or a session's cookie, or (key management)
  // Basic. A browser may send Basic credentials it once cached with a session's requests: the
  // session wins outside key management.
  const std::string authorization(req[http::field::authorization]);
  const auto session_id = cookie_value(req[http::field::cookie], kSessionCookie);
  const bool api_key_header = authorization.starts_with("X-Road-ApiKey");
  std::variant<Caller, ApiError> caller;
  if (session_id && (key_management ? authorization.empty() : !api_key_header)) {
    std::string session(*session_id);
    std::string xsrf(req[kXsrfHeader]);
    caller = co_await session_caller(session, xsrf, reads, key_management, address);
  } else if (key_management) {
    caller = co_await administrator(authorization, address);
  } else {
    std::string_view token = credentials(authorization, "X-Road-ApiKey");
    if (token.starts_with("token=")) {
      token.remove_prefix(6);
      std::string key(token);
      caller = co_await key_holder(key, address, nullptr);
    } else {
      caller = refusal(401, "authentication_required", "no X-Road-ApiKey token");
    }
  }
  if (auto* refused = std::get_if<ApiError>(&caller)) {
    Response r = error_response(*refused);
    if (refused->status == 401 && key_management)
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"roadside\"");
    co_return r;
  }

  // X-Road's common API: who the caller is, for the console to show what it may do.
  if (api_path == "/user" && req.method() == http::verb::get) {
    co_return json_response(200, user_json(std::get<Caller>(caller)));
  }

  Request request;
  request.method = req.method();
  request.path = std::move(api_path);
  request.query = std::move(*query);
  request.content_type = std::string(req[http::field::content_type]);
  request.caller = std::get<Caller>(std::move(caller));
  const Route* route = api_.match(request.method, request.path, nullptr);
  const std::size_t limit = route && route->binary_upload ? options_.upload_body_limit : options_.regular_body_limit;
  auto body = co_await exchange.read_body_all(limit);
  if (!body.ok()) co_return error_response(unreadable_body(body.error(), limit));
  request.body = std::move(*body);
  co_return co_await boost::asio::co_spawn(work_, api_.handle(request), boost::asio::use_awaitable);
}

}  // namespace roadside::admin
