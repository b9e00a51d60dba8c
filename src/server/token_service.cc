#include "server/token_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unistd.h>

#include "base/log.h"
#include "signer/devices.h"

namespace roadside::server {

namespace asio = boost::asio;

std::map<std::string, std::string> hardware_token_pins(const char* const* environment) {
  constexpr std::string_view kPrefix = "XROAD_TOKEN_", kSuffix = "_PIN";
  std::map<std::string, std::string> out;
  for (const char* const* e = environment; e && *e; ++e) {
    const std::string_view entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = entry.substr(0, eq);
    if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix) || name.size() <= kPrefix.size() + kSuffix.size())
      continue;
    const std::string_view id = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
    if (id.empty()) continue;
    out.emplace(std::string(id), std::string(entry.substr(eq + 1)));
  }
  return out;
}

TokenOptions TokenOptions::from(const config::Config& c) {
  TokenOptions o;
  o.import_dir = c.str("token.import_dir");
  o.pin = c.str("token.pin");
  o.secondary = c.str("node.role") == "secondary";
  o.devices_file = c.str("signer.devices");
  o.module_update_interval = std::chrono::seconds(c.integer("signer.module_manager_update_interval_s"));
  o.hardware_pins = hardware_token_pins(environ);
  return o;
}

TokenService::TokenService(storage::Store& store, TokenOptions options, Readiness& readiness)
    : token_(store), options_(std::move(options)), readiness_(readiness) {}

TokenService::~TokenService() {
  stopped_ = true;
  asio::post(device_io_, [this] { timer_.cancel(); });
  device_work_.reset();
  if (device_thread_.joinable()) device_thread_.join();
}

Status TokenService::start() {
  // A secondary only reads what the primary put in the database.
  if (const std::string& dir = options_.import_dir; !dir.empty() && options_.secondary) {
    log::info("token.import_dir is imported by the primary; this secondary uses the keys in the database", {{"folder", dir}});
  } else if (!dir.empty()) {
    // With the PIN at hand the keys are sealed as they come in, and their .p12 never reaches
    // the database.
    auto added = token_.import_folder(dir, options_.pin);
    if (!added.ok()) return Error(added.error().code(), "token.import_dir " + dir + ": " + added.error().detail());
    log::info("software token imported", {{"folder", dir}, {"keys_added", *added}});
  }
  if (!options_.devices_file.empty()) {
    auto conf = signer::read_devices_ini(options_.devices_file);
    if (!conf.ok()) return Error(conf.error().code(), "signer.devices: " + conf.error().detail());
    for (const auto& warning : conf->warnings) log::warn("devices.ini: " + warning, {{"file", options_.devices_file}});
    hardware_ = signer::HardwareTokens::open(*conf);
    token_.attach(hardware_.get());
    // The first logins on the device thread too: it alone logs tokens in by itself.
    asio::co_spawn(device_io_, refresh_loop(), asio::detached);
    device_thread_ = std::thread([this] { device_io_.run(); });
  }
  if (!options_.pin.empty()) {
    (void)login(options_.pin, "");
  } else if (!hardware_) {
    log::warn("no token PIN: the server cannot sign until the token is logged in (set XROAD_TOKEN_PIN)");
  }
  readiness_.add("token", [this] { return token_.not_ready(); });
  return {};
}

asio::awaitable<void> TokenService::stop() {
  stopped_ = true;
  asio::post(device_io_, [this] { timer_.cancel(); });
  device_work_.reset();
  co_return;
}

asio::awaitable<void> TokenService::refresh_loop() {
  autologin_hardware();
  while (!stopped_) {
    timer_.expires_after(options_.module_update_interval);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    // A token back, or one seen for the first time, has keys to sign with again.
    if (hardware_->refresh()) (void)token_.reload();
    autologin_hardware();
  }
}

void TokenService::autologin_hardware() {
  for (const auto& t : hardware_->tokens()) {
    if (!t->available() || autologin_tried_.contains(t->id())) continue;
    autologin_tried_.insert(t->id());
    auto pin = options_.hardware_pins.find(t->id());
    if (pin == options_.hardware_pins.end()) {
      log::warn("no PIN for a hardware token: it signs once logged in (set XROAD_TOKEN_" + t->id() + "_PIN)",
                {{"token", t->id()}});
      continue;
    }
    (void)login_hardware(t->id(), pin->second, "");
  }
}

Status TokenService::login_hardware(const std::string& token_id, const std::string& pin, const std::string& via) {
  const bool autologin = via.empty();
  auto token = hardware_ ? hardware_->token(token_id) : nullptr;
  if (!token) {
    return Error(make_error_code(signer::errc::token_not_available),
                 "no hardware token " + token_id + (hardware_ ? " is listed by the devices" : " (no signer.devices)"));
  }
  if (auto st = token->login(pin); !st.ok()) {
    log::Fields fields = {{"token", token_id}, {"code", st.error().fault_code()}, {"error", st.error().detail()}};
    if (!autologin) fields["via"] = via;
    log::error("hardware token login failed", fields);
    return st;
  }
  log::audit("Log in to token", autologin ? "system" : via,
             autologin ? log::Fields{{"token", token_id}, {"autologin", true}} : log::Fields{{"token", token_id}});
  return {};
}

Status TokenService::logout_hardware(const std::string& token_id, const std::string& via) {
  auto token = hardware_ ? hardware_->token(token_id) : nullptr;
  if (!token) return Error(make_error_code(signer::errc::token_not_available), "no hardware token " + token_id);
  token->logout();
  log::audit("Log out from token", via, {{"token", token_id}});
  log::warn("hardware token logged out: its keys cannot sign until it is logged in again",
            {{"token", token_id}, {"via", via}});
  return {};
}

Status TokenService::login(const std::string& pin, const std::string& via) {
  const bool autologin = via.empty();
  auto st = token_.login(pin);
  if (!st.ok()) {
    log::Fields fields = {{"code", st.error().fault_code()}, {"error", st.error().detail()}};
    if (autologin) {
      log::error("token login failed", fields);
    } else {
      fields["via"] = via;
      log::warn("token login failed", fields);
    }
    return st;
  }
  if (autologin) {
    log::audit("Log in to token", "system", {{"token", "0"}, {"autologin", true}});
    log::info("token logged in", {{"keys", certificates().size()}});
  } else {
    log::audit("Log in to token", via, {{"token", "0"}});
    log::info("token logged in", {{"keys", certificates().size()}, {"via", via}});
  }
  return {};
}

bool TokenService::logout(const std::string& via) {
  const bool was_active = token_.logout();
  log::audit("Log out from token", via, {{"token", "0"}});
  if (was_active) {
    log::warn("token logged out: the server cannot sign until it is logged in again", {{"via", via}});
  } else {
    log::info("token logout: it was not logged in", {{"via", via}});
  }
  return was_active;
}

std::vector<crypto::Certificate> TokenService::certificates() const {
  std::vector<crypto::Certificate> out;
  if (auto keys = token_.keys(); keys.ok()) {
    for (const auto& k : *keys) out.push_back(k.cert);
  }
  return out;
}

}  // namespace roadside::server
