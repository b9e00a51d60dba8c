#include "server/token_service.h"

#include "base/log.h"

namespace roadside::server {

TokenOptions TokenOptions::from(const config::Config& c) {
  return {c.str("token.import_dir"), c.str("token.pin"), c.str("node.role") == "secondary"};
}

TokenService::TokenService(storage::Store& store, TokenOptions options, Readiness& readiness)
    : token_(store), options_(std::move(options)), readiness_(readiness) {}

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
  if (!options_.pin.empty()) {
    (void)login(options_.pin, "");
  } else {
    log::warn("no token PIN: the server cannot sign until the token is logged in (set XROAD_TOKEN_PIN)");
  }
  readiness_.add("token", [this] { return token_.not_ready(); });
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
