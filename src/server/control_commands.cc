#include "server/control_commands.h"

#include "base/log.h"

namespace roadside::server {

ControlCommands::ControlCommands(boost::asio::io_context& db_io, std::filesystem::path path, TokenService& token, Proxies& proxies,
                                 Readiness& readiness)
    : token_(token),
      proxies_(proxies),
      socket_(db_io, std::move(path), [this](const std::string& command, const std::string& argument) {
        return answer(command, argument);
      }) {
  readiness.add("maintenance", [this]() -> std::optional<std::string> {
    if (!maintenance_) return std::nullopt;
    return std::string("maintenance mode (roadside maintenance off)");
  });
}

Status ControlCommands::start() { return socket_.start(); }

void ControlCommands::close() { socket_.stop(); }

std::string ControlCommands::answer(const std::string& command, const std::string& argument) {
  if (command == "maintenance") return maintenance(argument);
  if (command == "token-login") return login(argument);
  return "error: unknown command \"" + command.substr(0, 64) + "\"";
}

std::string ControlCommands::maintenance(const std::string& argument) {
  if (argument != "on" && argument != "off") return "error: maintenance takes on or off";
  const bool on = argument == "on";
  if (maintenance_.exchange(on) != on) {
    log::audit(on ? "Enable maintenance mode" : "Disable maintenance mode", "control socket");
    log::info(on ? "maintenance mode: /readyz answers 503" : "maintenance mode off");
  }
  return on ? "ok: maintenance mode on: /readyz answers 503 until `roadside maintenance off`" : "ok: maintenance mode off";
}

std::string ControlCommands::login(const std::string& pin) {
  if (pin.empty()) return "error: no PIN given";
  if (auto st = token_.login(pin, "control socket"); !st.ok()) return "error: " + st.error().detail();
  if (auto st = proxies_.start_server_proxy(); !st.ok()) {
    log::error("server proxy cannot start", {{"error", st.error().detail()}});
    return "error: logged in, but the server proxy cannot start: " + st.error().detail();
  }
  return "ok: token logged in";
}

}  // namespace roadside::server
