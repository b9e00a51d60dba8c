#include "server/local_admin.h"

#include <cerrno>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "admin/api_keys.h"
#include "admin/endpoints.h"
#include "server/backup_service.h"
#include "server/control.h"
#include "server/database.h"
#include "server/globalconf_service.h"
#include "server/proxies.h"
#include "signer/token.h"

namespace roadside::server {

namespace {

namespace asio = boost::asio;

// Whether a control request failed only because no server listens on the socket.
bool no_server(const Error& e) {
  return e.code() == std::error_code(ENOENT, std::generic_category()) ||
         e.code() == std::error_code(ECONNREFUSED, std::generic_category());
}

// Answers `line` on the database in this process.
Result<admin::Response> in_process(const config::Config& config, const std::string& line) {
  const DatabaseOptions options = DatabaseOptions::from(config);
  ROADSIDE_TRY(auto opened, open_store(options));
  storage::Store& store = *opened;

  asio::io_context io;
  metrics::Registry metrics;
  Readiness readiness;
  GlobalconfService globalconf(io, GlobalconfOptions::from(config), metrics, readiness);
  ROADSIDE_TRY_STATUS(globalconf.open_cached());
  signer::SoftToken token(store);
  if (const std::string& pin = config.str("token.pin"); !pin.empty()) (void)token.login(pin);

  admin::ServerState state{store, token};
  state.shared = [&globalconf] { return globalconf.shared(); };
  state.private_params = [&globalconf] { return globalconf.private_params(); };
  state.instance = [&globalconf] { return globalconf.instance(); };
  state.server_id = [&store] { return admin::stored_server_id(store); };
  // No loops run here: the diagnostics say "unknown"; a new internal TLS key or anchor is
  // used by the server from its next start.
  state.anchor_file = config.str("globalconf.anchor");
  state.internal_tls = [&store] { return internal_tls(store); };
  state.new_internal_tls = [&store] { return replace_internal_tls(store); };
  state.store_internal_tls = [&store](const std::string& pem) { return store_internal_tls(store, pem); };
  auto backups = BackupServiceOptions::from(config);
  if (!backups.ok()) return backups.error();
  state.backups = backups->backups;
  admin::ApiKeys keys(store);
  admin::Api api(options.secondary());
  admin::add_all_routes(api, state, keys, admin::SystemFacts::of_role(options.role));

  ROADSIDE_TRY(auto request, admin::decode_request(line, admin::local_caller()));
  std::optional<admin::Response> answer;
  bool failed = false;
  asio::co_spawn(io, api.handle(request), [&](const std::exception_ptr& e, admin::Response r) {
    failed = e != nullptr;
    answer = std::move(r);
  });
  io.run();
  if (failed) return Error(std::make_error_code(std::errc::operation_canceled), "the admin API failed");
  if (!answer) return Error(std::make_error_code(std::errc::operation_canceled), "the admin API gave no answer");
  return std::move(*answer);
}

}  // namespace

Result<LocalAnswer> call_admin_api(const config::Config& config, const admin::LocalRequest& request) {
  const std::string line = admin::encode_request(request);
  const auto socket = std::filesystem::path(config.str("data_dir")) / "control.sock";
  auto answer = control_request(socket, "api", line, std::chrono::seconds(120));
  if (!answer.ok()) {
    if (!no_server(answer.error())) return answer.error();
    ROADSIDE_TRY(auto response, in_process(config, line));
    return LocalAnswer{std::move(response), true};
  }
  if (answer->rfind("ok: ", 0) != 0) {
    return Error(std::make_error_code(std::errc::protocol_error),
                 "the running server answered: " + answer->substr(0, 300));
  }
  ROADSIDE_TRY(auto response, admin::decode_response(std::string_view(*answer).substr(4)));
  return LocalAnswer{std::move(response), false};
}

}  // namespace roadside::server
