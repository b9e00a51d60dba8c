#include "server/control_commands.h"

#include "base/log.h"

namespace roadside::server {

ControlCommands::ControlCommands(boost::asio::io_context& db_io, std::filesystem::path path, TokenService& token,
                                 Proxies& proxies, Readiness& readiness, AdminApi& admin)
    : ControlCommands(
          db_io, std::move(path), token, [&proxies] { return proxies.start_server_proxy(); }, readiness) {
  admin_ = &admin;
}

ControlCommands::ControlCommands(boost::asio::io_context& db_io, std::filesystem::path path, TokenService& token,
                                 std::function<Status()> start_server_proxy, Readiness& readiness)
    : token_(token),
      start_server_proxy_(std::move(start_server_proxy)),
      socket_(
          db_io, std::move(path), [this](ControlRequest request) { return answer(std::move(request)); },
          std::chrono::seconds(5), admin::kMaxLocalLine + 64) {
  readiness.add("maintenance", [this]() -> std::optional<std::string> {
    if (!maintenance_) return std::nullopt;
    return std::string("maintenance mode (roadside maintenance off)");
  });
}

Status ControlCommands::start() {
  return socket_.start();
}

void ControlCommands::close() {
  socket_.stop();
}

boost::asio::awaitable<std::string> ControlCommands::answer(ControlRequest request) {
  const std::string& command = request.command;
  if (command == "maintenance") co_return maintenance(request.argument);
  if (command == "token-login") co_return login(request.argument);
  if (command == "token-logout") co_return logout();
  if (command == "hardware-token-login") co_return login_hardware(request.argument);
  if (command == "hardware-token-logout") co_return logout_hardware(request.argument);
  if (command == "api" && admin_ != nullptr) {
    const admin::Response response = co_await admin_->call_local(request.argument, admin::local_caller(request.uid));
    co_return "ok: " + admin::encode_response(response);
  }
  co_return "error: unknown command \"" + command.substr(0, 64) + "\"";
}

std::string ControlCommands::maintenance(const std::string& argument) {
  if (argument != "on" && argument != "off") return "error: maintenance takes on or off";
  const bool on = argument == "on";
  if (maintenance_.exchange(on) != on) {
    log::audit(on ? "Enable maintenance mode" : "Disable maintenance mode", "control socket");
    log::info(on ? "maintenance mode: /readyz and X-Road's health check answer 503" : "maintenance mode off");
  }
  return on ? "ok: maintenance mode on: /readyz and X-Road's health check answer 503 until `roadside maintenance off`"
            : "ok: maintenance mode off";
}

std::string ControlCommands::login(const std::string& pin) {
  if (pin.empty()) return "error: no PIN given";
  if (auto st = token_.login(pin, "control socket"); !st.ok()) return "error: " + st.error().detail();
  if (auto st = start_server_proxy_(); !st.ok()) {
    log::error("server proxy cannot start", {{"error", st.error().detail()}});
    return "error: logged in, but the server proxy cannot start: " + st.error().detail();
  }
  return "ok: token logged in";
}

std::string ControlCommands::login_hardware(const std::string& argument) {
  const auto newline = argument.find('\n');
  if (newline == std::string::npos || newline == 0 || newline + 1 == argument.size())
    return "error: a hardware token login takes the token id and the PIN";
  const std::string token_id = argument.substr(0, newline);
  if (auto st = token_.login_hardware(token_id, argument.substr(newline + 1), "control socket"); !st.ok())
    return "error: " + st.error().detail();
  if (auto st = start_server_proxy_(); !st.ok()) {
    log::error("server proxy cannot start", {{"error", st.error().detail()}});
    return "error: logged in, but the server proxy cannot start: " + st.error().detail();
  }
  return "ok: token " + token_id + " logged in";
}

std::string ControlCommands::logout_hardware(const std::string& token_id) {
  if (auto st = token_.logout_hardware(token_id, "control socket"); !st.ok()) return "error: " + st.error().detail();
  return "ok: token " + token_id +
         " logged out: its keys refuse with token_not_active until `roadside token login "
         "--token " +
         token_id + "`";
}

std::string ControlCommands::logout() {
  if (!token_.logout("control socket")) return "ok: the token was not logged in";
  return "ok: token logged out: signing refuses with token_not_active, and /readyz and X-Road's health check report "
         "the token, until `roadside token login`";
}

}  // namespace roadside::server
