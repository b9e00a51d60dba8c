// The admin API as X-Road's Security Server admin API (base path /api/v1) defines it,
// independent of how a request arrives: over HTTPS (http_front.h), or from the CLI through the
// owner-only control socket or in its own process (local_calls.h); one table for all. One route table;
// each route names its method, its path template (X-Road's, with {parameters}), the X-Road
// permission it needs (roles.h), whether it changes anything (refused on a cluster's
// secondaries) and, for a change, X-Road's audit event name. After a change, one audit record
// is written with who did it, from where, and what changed (the handler's audit data, never a
// secret); a change that fails is recorded with the reason.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "admin/roles.h"
#include "base/result.h"

namespace roadside::admin {

namespace asio = boost::asio;
using Verb = boost::beast::http::verb;

// How the caller proved who it is (X-Road's audit "auth": ApiKey, HttpBasicPam, Session).
enum class AuthKind { api_key, http_basic, local, session };
std::string_view auth_name(AuthKind kind) noexcept;

struct Caller {
  std::string user;  // "api-key-<id>", the administrator's name, or the local user
  Roles roles;
  AuthKind auth = AuthKind::api_key;
  std::string address;  // the remote IP address; empty for local callers
};

// Arrays and objects nested deeper are refused (json::parse_untrusted says why).
inline constexpr std::size_t kMaxJsonDepth = 64;

// `text` as JSON, or nullopt (and `why`) when it is not JSON or nests deeper than kMaxJsonDepth.
std::optional<nlohmann::json> parse_json(std::string_view text, std::string* why = nullptr);

struct Request {
  Verb method = Verb::get;
  std::string path;                          // after /api/v1, percent-encoded as sent
  std::map<std::string, std::string> query;  // decoded
  std::string content_type;
  std::string body;
  Caller caller;
  std::map<std::string, std::string> params;        // the path template's {parameters}, decoded
  nlohmann::json audit = nlohmann::json::object();  // what a change changed, for its audit record

  // The body as JSON (parse_json); nullopt (and `why`) when it is not JSON.
  std::optional<nlohmann::json> json_body(std::string* why = nullptr) const;
  const std::string& param(const std::string& name) const;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

Response json_response(unsigned status, const nlohmann::json& body);

// Reading request bodies without a type error: a member of a JSON object by reference (a copy
// of a deeply nested one would recurse), or null; a string member, or `fallback` when it is
// absent or of another type.
const nlohmann::json& json_member(const nlohmann::json& object, const std::string& name);
std::string json_string(const nlohmann::json& object, const std::string& name, std::string fallback = {});
Response empty_response(unsigned status = 204);

// One warning or error of X-Road's error body: a code and its metadata.
struct CodeWithDetails {
  std::string code;
  std::vector<std::string> metadata;
};

// An error as X-Road's API answers it: {"status":S,"error":{"code":...,"metadata":[...]},
// "warnings":[...]}. `detail` goes to the log and the audit record, not to the caller.
struct ApiError {
  unsigned status = 400;
  CodeWithDetails error;
  std::vector<CodeWithDetails> warnings;
  std::string detail;
};
Response error_response(const ApiError& e);
// Shorthands for the common ones.
ApiError bad_request(std::string code, std::vector<std::string> metadata = {}, std::string detail = {});
ApiError not_found(std::string what);
ApiError conflict(std::string code, std::vector<std::string> metadata = {});
// An internal failure: 500 with X-Road's code "internal_error"; the cause is logged.
ApiError internal_error(const Error& cause);

// A handler answers with a Response, or an ApiError as X-Road's error body.
using HandlerResult = std::variant<Response, ApiError>;
using Handler = std::function<asio::awaitable<HandlerResult>(Request&)>;

struct Route {
  Verb method;
  std::string path;        // X-Road's template: "/tokens/{id}/login"
  std::string permission;  // X-Road's permission (roles.h); "a|b": any of them
  Handler handler;
  bool changes = false;        // refused on secondaries; audited
  std::string event;           // X-Road's audit event name, for changes
  // The body is a file, under the larger limit (X-Road's request-size-limit-binary-upload); any
  // other route's body, when there is one, is JSON.
  bool binary_upload = false;
  std::string summary;         // one line, for /openapi.yaml
  bool addition = false;       // Roadside's own, not in X-Road's API (marked in /openapi.yaml)
};

class Api {
 public:
  // `secondary`: this node follows a primary and refuses changes (403, node_is_secondary).
  explicit Api(bool secondary = false) : secondary_(secondary) {}

  // Adds a route; a route of the same method and path replaces nothing (programming error).
  void add(Route route);
  // The route `method` and `path` match, with the template's parameters (each percent-decoded,
  // not empty, without NUL or '/'); nullptr when none.
  // `path_matches` tells a path known for another method (405) from an unknown one (404).
  const Route* match(Verb method, std::string_view path, std::map<std::string, std::string>* params,
                     bool* path_matches = nullptr) const;

  // Routes the request, checks the caller's permission and the node's role, runs the handler,
  // writes the audit record of a change. A body that is not JSON within kMaxJsonDepth, for a
  // route that is not a binary upload, is 400 invalid_request_body and no handler runs. Never throws; an exception of a
  // handler is a 500.
  asio::awaitable<Response> handle(Request& request) const;

  const std::vector<Route>& routes() const { return routes_; }
  bool secondary() const { return secondary_; }

 private:
  bool secondary_;
  std::vector<Route> routes_;
};

// Roadside's description of the API it serves (/openapi.yaml): OpenAPI 3.0 with the routes of
// `api`, X-Road's paths unchanged, Roadside's additions marked `x-roadside-addition: true`.
std::string openapi_document(const Api& api);

// A whole number above 0 in decimal digits only (an id or a count in a path or query), or
// nullopt.
std::optional<std::int64_t> positive_number(std::string_view text);

// Percent-decoding of one path segment or query value; nullopt for a bad escape or a NUL.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace roadside::admin
