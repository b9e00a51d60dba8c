// The tokens as a component: at start it imports token.import_dir into the software token (a
// primary or standalone node; with the PIN at hand the keys are sealed as they come in) and
// logs in with token.pin (XROAD_TOKEN_PIN) when one is given. With signer.devices, it opens the
// PKCS#11 devices devices.ini names, logs their tokens in with XROAD_TOKEN_<token id>_PIN, and
// lists them again every signer.module_manager_update_interval_s on a thread of its own (a token
// that went away is not available; one that came back logs in again with its PIN). Later
// logins and logouts come from the control socket.
// Readiness "token": the tokens holding keys can sign (SoftToken::not_ready).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config/config.h"
#include "server/component.h"
#include "server/readiness.h"
#include "signer/hardware_tokens.h"
#include "signer/token.h"

namespace roadside::server {

struct TokenOptions {
  std::string import_dir;
  std::string pin;  // secret: never logged
  bool secondary = false;
  std::string devices_file;  // devices.ini; empty: no hardware tokens
  std::chrono::seconds module_update_interval{60};
  std::map<std::string, std::string> hardware_pins;  // by token id; secrets: never logged

  static TokenOptions from(const config::Config& config);
};

// The hardware tokens' PINs of an environment (`environ`): XROAD_TOKEN_<token id>_PIN, as
// X-Road's Sidecar names them (XROAD_TOKEN_PIN is the software token's: not one of them).
std::map<std::string, std::string> hardware_token_pins(const char* const* environment);

class TokenService final : public Component {
 public:
  TokenService(storage::Store& store, TokenOptions options, Readiness& readiness);
  ~TokenService() override;

  std::string_view name() const override { return "token"; }
  // An import that fails, or a devices.ini that cannot be read, stops the start; a login that
  // fails is logged and leaves its token logged out (the server starts, not ready, and takes a
  // login later). A device whose library cannot be loaded is logged and left out.
  Status start() override;
  boost::asio::awaitable<void> stop() override;

  // Logs hardware token `token_id` in with `pin` (kept in memory for when its device comes
  // back) or out, audited as coming `via`. errc::token_not_available for a token no device lists.
  Status login_hardware(const std::string& token_id, const std::string& pin, const std::string& via);
  Status logout_hardware(const std::string& token_id, const std::string& via);
  // The hardware tokens (none without signer.devices).
  std::shared_ptr<signer::HardwareTokens> hardware() const { return hardware_; }

  // Logs in with `pin`, logged and audited as coming `via` ("control socket").
  Status login(const std::string& pin, const std::string& via);
  // Logs the token out (X-Road's "Log out from token"), audited as coming `via`: every key
  // closes, signing refuses with token_not_active and readiness "token" reports it until the
  // next login. Returns whether it was logged in.
  bool logout(const std::string& via);
  // The certificates of the token's keys (empty when they cannot be read).
  std::vector<crypto::Certificate> certificates() const;
  signer::SoftToken& token() { return token_; }

 private:
  // Lists the devices' tokens every module_update_interval until stop().
  boost::asio::awaitable<void> refresh_loop();
  // Logs in, once each, the tokens listed now that have a PIN in the environment and were not
  // tried yet (a token whose device was absent at start is tried when it appears).
  void autologin_hardware();

  signer::SoftToken token_;
  TokenOptions options_;
  Readiness& readiness_;
  std::shared_ptr<signer::HardwareTokens> hardware_;
  // The devices' listing runs on a thread of its own: a device's calls block (a network HSM's
  // for as long as it takes to time out), and nothing else waits for them.
  boost::asio::io_context device_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> device_work_{device_io_.get_executor()};
  std::thread device_thread_;
  boost::asio::steady_timer timer_{device_io_};
  std::atomic<bool> stopped_{false};
  std::set<std::string> autologin_tried_;  // token ids; on the device thread after start()
};

}  // namespace roadside::server
