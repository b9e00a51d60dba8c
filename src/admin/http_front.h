// The admin API over HTTPS, as X-Road's Security Server serves it on port 4000:
//   - every answer carries `x-road-ui-correlation-id` (also in the log lines of the request);
//   - requests past the rate limit of the caller's address get 429 (rate_limiter.h);
//   - /api/v1/api-keys... (X-Road's key management) takes HTTP Basic authentication of an
//     administrator (administrators.h), only from the key-management whitelist (loopback by
//     default); every other path takes `Authorization: X-Road-ApiKey token=<key>`
//     (api_keys.h) from the regular whitelist (anywhere by default); 401 without valid
//     credentials, 403 from an address outside the whitelist;
//   - the admin console's files (console/assets.h) at / and /console/..., to any address of the
//     regular whitelist, without the rate limit or a login;
//   - a change (any method but GET and HEAD) a browser says another site asks for
//     (Sec-Fetch-Site) gets 403 cross_site_request, whatever its credentials;
//   - the admin console's browser sessions (sessions.h): POST /api/v1/login (JSON or a form)
//     opens one, with an API key (from the regular whitelist) or an administrator's name and
//     password (only from the key-management whitelist: the password opens key management
//     too). A request with a JSESSIONID cookie and no X-Road-ApiKey header is that session's;
//     one that may change something must echo the session's XSRF token. A key's session is
//     checked against the key on every request (revoked: 401; its roles as they are now).
//     POST or DELETE /api/v1/logout ends it; GET /api/v1/user tells any caller its name,
//     roles and permissions (X-Road's User). A session an administrator opened may manage API
//     keys, as Basic may; one an API key opened may not, as the key may not;
//   - every answer carries console::kContentSecurityPolicy, nosniff, X-Frame-Options DENY and
//     no-referrer; API answers Cache-Control no-store;
//   - bodies over X-Road's limits get 413: 50 KB, or 10 MB for the routes that upload files;
//   - the rest is the Api's (api.h), run on `work`: the thread for work that waits on the
//     database, so a slow database never holds up the proxies' threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "admin/address_list.h"
#include "admin/administrators.h"
#include "admin/api.h"
#include "admin/api_keys.h"
#include "admin/rate_limiter.h"
#include "admin/sessions.h"
#include "net/errors.h"
#include "net/http_server.h"

namespace roadside::admin {

struct FrontOptions {
  std::size_t regular_body_limit = 50 * 1024;        // X-Road's request-size-limit-regular, 50KB (1 KB = 1024)
  std::size_t upload_body_limit = 10 * 1024 * 1024;  // request-size-limit-binary-upload, 10MB
  RateLimits rate;
  AddressList key_management_whitelist;  // X-Road's key-management-api-whitelist
  AddressList regular_whitelist;         // regular-api-whitelist
};

// What the front reads of a request before anything else (untrusted bytes):
// the query, "a=1&b=x%20y" -> {a: 1, b: "x y"}; nullopt for a bad escape, a NUL or more than
// kMaxQueryParameters parameters.
inline constexpr std::size_t kMaxQueryParameters = 64;
std::optional<std::map<std::string, std::string>> parse_query(std::string_view query);
// The credentials of an Authorization header of `scheme` ("Basic", "X-Road-ApiKey"), or empty.
std::string_view credentials(std::string_view header, std::string_view scheme);

class HttpFront {
 public:
  static constexpr int kMaxPasswordChecks = 4;

  HttpFront(const Api& api, ApiKeys& keys, Administrators& administrators, Sessions& sessions, FrontOptions options,
            boost::asio::any_io_executor work);

  // At a stop, before the listeners drain: refuses new password checks (503) and waits for those
  // running or waiting (a few PBKDF2s), so none outlives the connection waiting for it.
  void finish_password_checks();

  // The listener's handler.
  boost::asio::awaitable<void> serve(net::ServerExchange& exchange);
  net::Handler handler();

 private:
  boost::asio::awaitable<Response> answer(net::ServerExchange& exchange, const std::string& correlation_id);
  // The administrator an HTTP Basic header names, or why not (401; 429 when checks are busy).
  boost::asio::awaitable<std::variant<Caller, ApiError>> administrator(const std::string& authorization,
                                                                       const std::string& address);
  // The administrator `name` and `password` are, with `roles`, or why not.
  boost::asio::awaitable<std::variant<Caller, ApiError>> check_password(std::string name, std::string password,
                                                                        Roles roles, std::string address);
  // The holder of API key `token` (its id in `*key_id` when not null), or why not (401).
  boost::asio::awaitable<std::variant<Caller, ApiError>> key_holder(std::string token, std::string address,
                                                                    std::optional<std::int64_t>* key_id);
  // The caller of session `session_id`, or why not: 401 (none, expired, its key revoked), 403
  // (no XSRF token on a change; key management in a key's session).
  boost::asio::awaitable<std::variant<Caller, ApiError>> session_caller(std::string session_id, std::string xsrf,
                                                                        bool reads, bool key_management,
                                                                        std::string address);
  // /login and /logout.
  boost::asio::awaitable<Response> login(net::ServerExchange& exchange, std::string address);
  Response logout(const net::ServerExchange& exchange, const std::string& address);

  const Api& api_;
  ApiKeys& keys_;
  Administrators& administrators_;
  Sessions& sessions_;
  FrontOptions options_;
  boost::asio::any_io_executor work_;
  RateLimiter limiter_;
  // Passwords are checked here, one at a time, not on the database's thread; with
  // kMaxPasswordChecks running or waiting, a further Basic request is refused with 429 at once.
  boost::asio::thread_pool password_checks_{1};
  std::atomic<int> checking_{0};
  std::atomic<bool> finishing_{false};
};

}  // namespace roadside::admin
