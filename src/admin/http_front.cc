#include "admin/http_front.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"
#include "base/random.h"
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

HttpFront::HttpFront(const Api& api, ApiKeys& keys, Administrators& administrators, FrontOptions options,
                     boost::asio::any_io_executor work)
    : api_(api),
      keys_(keys),
      administrators_(administrators),
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
  const std::string password = decoded->substr(colon + 1);
  std::fill(decoded->begin(), decoded->end(), '\0');
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
    log::warn("admin API: Basic authentication failed", {{"user", name}, {"address", address}});
    co_return refusal(401, "authentication_failed", "wrong user name or password");
  }
  // An administrator manages keys as X-Road's system administrator does.
  co_return Caller{name, Roles().add(Role::system_administrator), AuthKind::http_basic, address};
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
  for (const auto& [name, value] : answer.headers) res.set(name, value);
  res.set("x-road-ui-correlation-id", id);
  res.set(http::field::cache_control, "no-store");
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
  if (!limiter_.allow(address)) {
    log::info("admin API: rate limit", {{"address", address}, {"correlation_id", id}});
    co_return error_response(refusal(429, "too_many_requests", "rate limit"));
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

  // Who is calling, asked of the database on the work thread.
  const std::string authorization(req[http::field::authorization]);
  std::variant<Caller, ApiError> caller;
  if (key_management) {
    caller = co_await administrator(authorization, address);
  } else {
    caller = co_await boost::asio::co_spawn(
        work_,
        [&]() -> boost::asio::awaitable<std::variant<Caller, ApiError>> {
          std::string_view token = credentials(authorization, "X-Road-ApiKey");
          if (!token.starts_with("token=")) co_return refusal(401, "authentication_required", "no X-Road-ApiKey token");
          token.remove_prefix(6);
          auto key = keys_.authenticate(token);
          if (!key.ok()) co_return internal_error(key.error());
          if (!*key) {
            log::warn("admin API: unknown API key", {{"address", address}});
            co_return refusal(401, "authentication_failed", "unknown API key");
          }
          co_return Caller{"api-key-" + std::to_string((*key)->id), (*key)->roles, AuthKind::api_key, address};
        },
        boost::asio::use_awaitable);
  }
  if (auto* refused = std::get_if<ApiError>(&caller)) {
    Response r = error_response(*refused);
    if (refused->status == 401 && key_management)
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"roadside\"");
    co_return r;
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
  if (!body.ok()) {
    if (body.error().code() == net::errc::too_large) {
      co_return error_response(refusal(413, "payload_too_large", "over " + std::to_string(limit) + " bytes"));
    }
    co_return error_response(refusal(408, "request_timeout", body.error().detail()));
  }
  request.body = std::move(*body);
  co_return co_await boost::asio::co_spawn(work_, api_.handle(request), boost::asio::use_awaitable);
}

}  // namespace roadside::admin
