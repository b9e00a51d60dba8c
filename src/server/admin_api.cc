#include "server/admin_api.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "admin/cert_states.h"
#include "admin/client_states.h"
#include "admin/endpoints.h"
#include "base/log.h"
#include "net/http_client.h"
#include "server/proxies.h"

namespace roadside::server {

Result<AdminOptions> AdminOptions::from(const config::Config& c) {
  AdminOptions o;
  o.address = c.str("admin.address");
  o.port = static_cast<unsigned short>(c.integer("admin.port"));
  if (c.is_set("admin.password_hash")) {
    if (!c.is_set("admin.user")) {
      return Error(std::make_error_code(std::errc::invalid_argument),
                   "admin.password_hash (XROAD_ADMIN_PWD_HASH) is set without admin.user (XROAD_ADMIN_USER) to name "
                   "its administrator");
    }
    o.configured_administrator = admin::ConfiguredAdministrator{c.str("admin.user"), c.str("admin.password_hash")};
  }
  auto keys = admin::AddressList::parse(c.str("admin.key_management_whitelist"));
  if (!keys.ok()) return Error(keys.error()).context("admin.key_management_whitelist");
  auto regular = admin::AddressList::parse(c.str("admin.regular_whitelist"));
  if (!regular.ok()) return Error(regular.error()).context("admin.regular_whitelist");
  o.front.key_management_whitelist = std::move(*keys);
  o.front.regular_whitelist = std::move(*regular);
  o.front.rate.per_second = static_cast<double>(c.integer("admin.rate_limit_requests_per_second"));
  o.front.rate.per_minute = static_cast<double>(c.integer("admin.rate_limit_requests_per_minute"));
  o.front.regular_body_limit = static_cast<std::size_t>(c.integer("admin.request_size_limit_regular"));
  o.front.upload_body_limit = static_cast<std::size_t>(c.integer("admin.request_size_limit_binary_upload"));
  o.node_role = c.str("node.role");
  return o;
}

AdminApi::AdminApi(AdminOptions options, admin::ServerState state, boost::asio::io_context& work, Listeners& listeners)
    : options_(std::move(options)),
      state_(std::move(state)),
      store_(state_.store),
      work_(work),
      listeners_(listeners),
      timer_(work.get_executor()) {}

AdminApi::~AdminApi() = default;

namespace {

// An HTTPS POST to the Central Server whose TLS certificate must be `pinned` (X-Road: the one
// the private parameters give), on `executor`.
boost::asio::awaitable<Result<std::pair<std::string, std::string>>> post_pinned(boost::asio::any_io_executor executor,
                                                                                std::string url,
                                                                                crypto::Certificate pinned,
                                                                                std::string content_type,
                                                                                std::string body) {
  net::ClientOptions options;
  net::TlsClientConfig tls;
  tls.verify_server = false;  // the certificate is pinned instead
  tls.verify_hostname = false;
  tls.check_server = [der = pinned.to_der()](const net::PeerChain& chain, const std::string&) {
    return !chain.empty() && chain.front() == der
               ? std::string()
               : std::string("the server's TLS certificate is not the Central Server's in global configuration");
  };
  options.tls = std::move(tls);
  options.max_response_body_bytes = 1 << 20;
  net::HttpClient client(executor, std::move(options));
  auto response = co_await client.post(std::move(url), std::move(content_type), std::move(body));
  if (!response.ok()) co_return response.error();
  co_return std::make_pair(std::string(response->message[boost::beast::http::field::content_type]),
                           std::move(response->message.body()));
}

// A service description read over HTTP(S): X-Road's limits (10 MiB, MAX_DESCRIPTION_SIZE) and
// its trust (any server certificate: the description is checked, not its server); the
// request is bounded in time so that a route waiting for it ends.
boost::asio::awaitable<Result<std::string>> fetch_description(boost::asio::any_io_executor executor, std::string url) {
  net::ClientOptions options;
  options.connect_timeout = std::chrono::seconds(10);
  options.request_timeout = std::chrono::seconds(30);
  options.max_response_body_bytes = 10 * 1024 * 1024;
  net::TlsClientConfig tls;
  tls.verify_server = false;
  tls.verify_hostname = false;
  options.tls = std::move(tls);
  net::HttpClient client(executor, std::move(options));
  auto response = co_await client.get(std::move(url));
  if (!response.ok()) co_return response.error();
  const unsigned status = response->message.result_int();
  if (status < 200 || status > 299) {
    co_return Error(std::make_error_code(std::errc::io_error), "the server answered HTTP " + std::to_string(status));
  }
  co_return std::move(response->message.body());
}

}  // namespace

boost::asio::awaitable<Result<std::pair<std::string, std::string>>> post_to_client_proxy(
    boost::asio::any_io_executor executor, std::string url, std::string content_type, std::string body) {
  if (url.empty()) {
    co_return Error(std::make_error_code(std::errc::not_connected),
                    "the client proxy does not listen (proxy.client_port): management requests go through it");
  }
  net::ClientOptions options;
  options.max_response_body_bytes = 1 << 20;
  net::HttpClient client(executor, std::move(options));
  auto response = co_await client.post(std::move(url), std::move(content_type), std::move(body));
  if (!response.ok()) co_return Error(response.error()).context("the client proxy");
  co_return std::make_pair(std::string(response->message[boost::beast::http::field::content_type]),
                           std::move(response->message.body()));
}

Status AdminApi::start() {
  auto tls = internal_tls(store_);
  if (!tls.ok()) return Error(tls.error()).context("admin API: internal TLS certificate");
  state_.post_auth_cert_reg = [executor = work_.get_executor()](std::string url, crypto::Certificate cert,
                                                                std::string content_type, std::string body) {
    return post_pinned(executor, std::move(url), std::move(cert), std::move(content_type), std::move(body));
  };
  if (!state_.fetch) {
    state_.fetch = [executor = work_.get_executor()](std::string url) {
      return fetch_description(executor, std::move(url));
    };
  }
  keys_ = std::make_unique<admin::ApiKeys>(store_);
  administrators_ = std::make_unique<admin::Administrators>(store_, options_.configured_administrator);
  const bool secondary = options_.node_role == "secondary";
  api_ = std::make_unique<admin::Api>(secondary);
  const auto facts = admin::SystemFacts::of_role(options_.node_role);
  admin::add_all_routes(*api_, state_, *keys_, facts);
  front_ = std::make_unique<admin::HttpFront>(*api_, *keys_, *administrators_, sessions_, options_.front,
                                              work_.get_executor());

  net::TlsServerConfig server_tls;
  server_tls.key_pem = tls->first;
  server_tls.cert_chain_pem = tls->second;
  // Administrators' tools (curl, browsers, scripts) speak today's TLS, not X-Road's pinned
  // policy between Security Servers.
  server_tls.policy = net::TlsPolicy{};
  net::ServerOptions listener{"admin", options_.address, options_.port, {}, server_tls};
  listener.limits.max_body_bytes = std::max(options_.front.regular_body_limit, options_.front.upload_body_limit);
  auto port = listeners_.add(std::move(listener), front_->handler());
  if (!port.ok()) return port.error();
  log::info("admin API listening", {{"address", options_.address}, {"port", *port}, {"node_type", facts.node_type}});
  follower_only_ = secondary;  // a secondary reads what the primary changes, and changes nothing
  boost::asio::co_spawn(work_, follow(), boost::asio::detached);
  return {};
}

boost::asio::awaitable<void> AdminApi::follow() {
  while (!stopped_) {
    // Another node (the primary of a cluster) may have changed the token's certificates.
    if (auto st = state_.token.reload(); !st.ok()) {
      log::warn("cannot read the token's keys and certificates again", {{"error", st.error().detail()}});
    }
    auto shared = state_.shared();
    auto server = state_.server_id();
    if (shared && server && !follower_only_) {
      auto changed = admin::follow_global_configuration(state_.token, *shared, *server);
      if (!changed.ok()) {
        log::warn("cannot bring certificate states in line with global configuration",
                  {{"error", changed.error().detail()}});
      } else if (*changed > 0) {
        state_.certificates_changed();
      }
      // The proxies follow the new revision when a status changes.
      if (auto clients = admin::follow_global_configuration(store_, *shared); !clients.ok()) {
        log::warn("cannot bring client statuses in line with global configuration",
                  {{"error", clients.error().detail()}});
      }
    }
    if (stopped_) break;  // (stop() set it before posting the cancel this wait would miss)
    timer_.expires_after(std::chrono::seconds(5));
    boost::system::error_code ec;
    co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
}

boost::asio::awaitable<admin::Response> AdminApi::call_local(std::string_view line, admin::Caller caller) {
  if (!api_) co_return admin::json_response(503, {{"status", 503}, {"error", {{"code", "admin_api_not_started"}}}});
  auto request = admin::decode_request(line, std::move(caller));
  if (!request.ok())
    co_return admin::error_response(admin::bad_request("invalid_request", {}, request.error().detail()));
  co_return co_await api_->handle(*request);
}

boost::asio::awaitable<void> AdminApi::stop() {
  stopped_ = true;
  if (front_) front_->finish_password_checks();
  boost::asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
  co_return;
}

}  // namespace roadside::server
