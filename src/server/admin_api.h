// The admin API as a component: X-Road's Security Server admin API over HTTPS (admin.port,
// 4000) on the instance's internal TLS certificate, its requests run on the database thread
// (admin/http_front.h). A secondary node of a cluster answers reads and refuses changes.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "admin/administrators.h"
#include "admin/api.h"
#include "admin/api_keys.h"
#include "admin/context.h"
#include "admin/http_front.h"
#include "admin/local_calls.h"
#include "config/config.h"
#include "server/component.h"
#include "server/listeners.h"
#include "storage/store.h"

namespace roadside::server {

struct AdminOptions {
  std::string address;
  unsigned short port = 4000;
  std::optional<admin::ConfiguredAdministrator> configured_administrator;  // admin.user + admin.password_hash
  admin::FrontOptions front;
  std::string node_role;  // node.role

  // Errors name the option at fault (a whitelist entry that is no address).
  static Result<AdminOptions> from(const config::Config& config);
};

// A management request posted to this server's own client proxy at `url`
// (Proxies::client_proxy_url), on `executor`: the answer's content type and body.
// Errors: base::errc::unavailable-like io errors when `url` is empty (no client proxy) or it
// cannot be reached.
boost::asio::awaitable<Result<std::pair<std::string, std::string>>> post_to_client_proxy(
    boost::asio::any_io_executor executor, std::string url, std::string content_type, std::string body);

class AdminApi final : public Component {
 public:
  // `state`: what the routes work on (the token, the global configuration, ...).
  AdminApi(AdminOptions options, admin::ServerState state, boost::asio::io_context& work, Listeners& listeners);
  ~AdminApi() override;

  std::string_view name() const override { return "admin_api"; }
  // Serves the API and starts following: every 5 s the token's keys and certificates are read
  // again (a cluster's other nodes see what the primary changed) and, on a primary or a
  // standalone node, the authentication certificates' states and the clients' statuses are
  // brought in line with global configuration (admin/cert_states.h, admin/client_states.h).
  Status start() override;
  boost::asio::awaitable<void> stop() override;
  // A request of a local caller (admin/local_calls.h: one line of JSON) through the same route
  // table; on the database thread, like the HTTPS front's requests.
  boost::asio::awaitable<admin::Response> call_local(std::string_view line, admin::Caller caller);

 private:
  AdminOptions options_;
  admin::ServerState state_;
  storage::Store& store_;
  boost::asio::io_context& work_;
  Listeners& listeners_;
  std::unique_ptr<admin::ApiKeys> keys_;
  std::unique_ptr<admin::Administrators> administrators_;
  admin::Sessions sessions_;  // the console's, in memory: a restart logs everybody out
  std::unique_ptr<admin::Api> api_;
  std::unique_ptr<admin::HttpFront> front_;
  boost::asio::steady_timer timer_;  // on the work thread
  std::atomic<bool> stopped_{false};
  bool follower_only_ = false;  // a secondary: reload the token, change no state

  boost::asio::awaitable<void> follow();
};

}  // namespace roadside::server
