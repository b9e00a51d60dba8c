#include "admin/local_calls.h"

#include <system_error>

#include <pwd.h>
#include <unistd.h>

#include "crypto/encoding.h"

namespace roadside::admin {

namespace {

constexpr std::size_t kMaxPath = 2048;
constexpr std::size_t kMaxQuery = 64;

Error invalid(std::string what) {
  return Error(std::make_error_code(std::errc::invalid_argument), "local admin request: " + std::move(what));
}

// The line as a JSON object, or why not (no exception leaves).
Result<nlohmann::json> parse_object(std::string_view line) {
  if (line.size() > kMaxLocalLine) return invalid("longer than " + std::to_string(kMaxLocalLine) + " bytes");
  std::string why;
  auto json = parse_json(line, &why);
  if (!json) return invalid(why);
  if (!json->is_object()) return invalid("not a JSON object");
  return std::move(json).value();
}

Result<std::string> body_of(const nlohmann::json& object) {
  const std::string encoded = json_string(object, "body");
  if (encoded.empty()) return std::string();
  auto body = crypto::base64_decode(encoded);
  if (!body.ok()) return invalid("its body is not base64");
  return std::move(body).value();
}

}  // namespace

std::string encode_request(const LocalRequest& request) {
  nlohmann::json query = nlohmann::json::object();
  for (const auto& [name, value] : request.query) query[name] = value;
  return nlohmann::json{{"method", std::string(boost::beast::http::to_string(request.method))},
                        {"path", request.path},
                        {"query", std::move(query)},
                        {"content_type", request.content_type},
                        {"body", crypto::base64_encode(request.body)}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<Request> decode_request(std::string_view line, Caller caller) {
  ROADSIDE_TRY(auto json, parse_object(line));
  Request r;
  r.method = boost::beast::http::string_to_verb(json_string(json, "method"));
  if (r.method == Verb::unknown) return invalid("no known method");
  r.path = json_string(json, "path");
  if (r.path.empty() || r.path.front() != '/' || r.path.size() > kMaxPath)
    return invalid("no path, or a path not from /");
  const auto& query = json_member(json, "query");
  if (!query.is_null() && (!query.is_object() || query.size() > kMaxQuery))
    return invalid("a query that is no small object");
  if (query.is_object()) {
    for (const auto& [name, value] : query.items()) {
      if (!value.is_string()) return invalid("query parameter " + name.substr(0, 64) + " is not a string");
      r.query[name] = value.get<std::string>();
    }
  }
  r.content_type = json_string(json, "content_type");
  ROADSIDE_TRY(r.body, body_of(json));
  r.caller = std::move(caller);
  return r;
}

std::string encode_response(const Response& response) {
  return nlohmann::json{{"status", response.status},
                        {"content_type", response.content_type},
                        {"body", crypto::base64_encode(response.body)}}
      .dump();
}

Result<Response> decode_response(std::string_view line) {
  ROADSIDE_TRY(auto json, parse_object(line));
  const auto& status = json_member(json, "status");
  if (!status.is_number_unsigned() || status.get<unsigned>() < 100 || status.get<unsigned>() > 599) {
    return invalid("an answer without an HTTP status");
  }
  Response r;
  r.status = status.get<unsigned>();
  r.content_type = json_string(json, "content_type");
  ROADSIDE_TRY(r.body, body_of(json));
  return r;
}

Caller local_caller(unsigned uid) {
  Caller caller;
  caller.roles = Roles::all();
  caller.auth = AuthKind::local;
  passwd entry{};
  passwd* found = nullptr;
  char buffer[1024];
  if (::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) {
    caller.user = found->pw_name;
  } else {
    caller.user = "uid " + std::to_string(uid);
  }
  return caller;
}

Caller local_caller() {
  return local_caller(::getuid());
}

}  // namespace roadside::admin
