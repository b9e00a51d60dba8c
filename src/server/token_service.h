// The software token as a component: at start it imports token.import_dir (a primary or
// standalone node; with the PIN at hand the keys are sealed as they come in) and logs in with
// token.pin (XROAD_TOKEN_PIN) when one is given. Later logins and logouts come from the control
// socket.
// Readiness "token": logged in.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "server/component.h"
#include "server/readiness.h"
#include "signer/token.h"

namespace roadside::server {

struct TokenOptions {
  std::string import_dir;
  std::string pin;  // secret: never logged
  bool secondary = false;

  static TokenOptions from(const config::Config& config);
};

class TokenService final : public Component {
 public:
  TokenService(storage::Store& store, TokenOptions options, Readiness& readiness);

  std::string_view name() const override { return "token"; }
  // An import that fails stops the start; a login that fails is logged and leaves the token
  // logged out (the server starts, not ready, and takes a login later).
  Status start() override;

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
  signer::SoftToken token_;
  TokenOptions options_;
  Readiness& readiness_;
};

}  // namespace roadside::server
