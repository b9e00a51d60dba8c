// What the control socket (control.h) does in a running server:
//   token-login PIN      logs in to the token; the server proxy starts once the
//                        authentication key is open (`roadside token login`)
//   token-logout         logs the token out: signing refuses with token_not_active, /readyz
//                        and X-Road's health check report the token (`roadside token logout`)
//   maintenance on|off   /readyz and X-Road's health check (xroad_health.h) answer 503 on
//                        purpose while on (`roadside maintenance`)
//   api REQUEST          an admin API request of the CLI (admin/local_calls.h) from the
//                        socket's user, answered by the admin API's route table
// Commands run on the database thread: a login reads and writes the database.
//
// Readiness "maintenance": not in maintenance mode (X-Road's health check reads it too).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "server/admin_api.h"
#include "server/component.h"
#include "server/control.h"
#include "server/proxies.h"
#include "server/readiness.h"
#include "server/token_service.h"

namespace roadside::server {

class ControlCommands final : public Component {
 public:
  // The socket at `path` is served on `db_io` (the database thread).
  ControlCommands(boost::asio::io_context& db_io, std::filesystem::path path, TokenService& token, Proxies& proxies,
                  Readiness& readiness, AdminApi& admin);
  // The same with what starts the server proxy after a login given as a function (tests).
  ControlCommands(boost::asio::io_context& db_io, std::filesystem::path path, TokenService& token,
                  std::function<Status()> start_server_proxy, Readiness& readiness);

  std::string_view name() const override { return "control"; }
  // Binds the socket (errors name its path).
  Status start() override;
  // Stops accepting and removes the socket's path, before the listeners drain: no login
  // starts a server proxy during a stop.
  void close() override;

  // Answers one command: "ok: ..." or "error: ...".
  boost::asio::awaitable<std::string> answer(ControlRequest request);

 private:
  std::string login(const std::string& pin);
  // "ID\nPIN" and "ID": a hardware token's login and logout.
  std::string login_hardware(const std::string& argument);
  std::string logout_hardware(const std::string& token_id);
  std::string logout();
  std::string maintenance(const std::string& argument);

  TokenService& token_;
  std::function<Status()> start_server_proxy_;
  AdminApi* admin_ = nullptr;
  std::atomic<bool> maintenance_{false};
  ControlSocket socket_;
};

}  // namespace roadside::server
