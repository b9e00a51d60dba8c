// /backups as X-Road's admin API has them, over Roadside's backups (serverbackup/backups.h):
// list, create (signed with the authentication key, so the token must be logged in), download,
// delete, upload (only an intact backup, and not over an existing one unless warnings are
// ignored) and restore. A restore in a running server replaces the database's configuration and
// keys and then stops the server (ServerState::restored), as X-Road restarts its services: its
// supervisor starts it on the restored state. Names are checked before any path is made of them
// (serverbackup::valid_backup_name).
#include <fstream>

#include "admin/endpoints.h"
#include "base/clock.h"
#include "base/files.h"
#include "mime/multipart.h"
#include "serverbackup/backups.h"

namespace roadside::admin {

namespace {

namespace fs = std::filesystem;
using serverbackup::BackupKind;

nlohmann::json backup_json(const std::string& name, std::chrono::system_clock::time_point at) {
  return {{"filename", name}, {"created_at", format_rfc3339(at)}};
}

// The backup the path names, or the API's error.
std::variant<fs::path, ApiError> named_backup(const ServerState& state, const Request& r) {
  const std::string& name = r.param("filename");
  if (!serverbackup::valid_backup_name(name)) return bad_request("invalid_filename", {name.substr(0, 255)});
  const fs::path file = state.backups.dir / name;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return ApiError{404, {"backup_file_not_found", {name}}, {}, {}};
  return file;
}

HandlerResult create(ServerState& state, Request& r, bool ext) {
  auto made = serverbackup::back_up(state.store, state.token, state.backups, BackupKind::manual);
  if (!made.ok()) {
    if (made.error().code() == signer::errc::token_not_active || made.error().code() == signer::errc::key_not_found)
      return ApiError{409, {"token_not_active", {}}, {}, made.error().detail()};
    return ApiError{500, {"backup_generation_failed", {}}, {}, made.error().to_string()};
  }
  const std::string name = made->filename().string();
  r.audit = {{"backupFileName", made->string()}};
  nlohmann::json body = backup_json(name, Clock::system().now());
  if (ext) body["local_conf_present"] = true;
  return json_response(201, body);
}

// The uploaded file of a multipart/form-data body: its name and bytes.
std::variant<std::pair<std::string, std::string>, ApiError> uploaded_file(const Request& r) {
  const auto type = mime::HeaderValue::parse(r.content_type);
  const auto boundary = type.params.find("boundary");
  if (type.value != "multipart/form-data" || boundary == type.params.end())
    return bad_request("invalid_backup_file", {}, "the body is not multipart/form-data");
  auto parts = mime::parse_multipart(r.body, boundary->second, 8);
  if (!parts.ok()) return bad_request("invalid_backup_file", {}, parts.error().detail());
  for (const auto& part : *parts) {
    const auto disposition = mime::HeaderValue::parse(part.headers.get("Content-Disposition").value_or(""));
    const auto name = disposition.params.find("name");
    const auto filename = disposition.params.find("filename");
    if (name == disposition.params.end() || name->second != "file" || filename == disposition.params.end()) continue;
    return std::make_pair(filename->second, std::string(part.body));
  }
  return bad_request("invalid_backup_file", {}, "no part named file with a filename");
}

// A refused backup is the caller's 400 with the module's code; anything else (gpg, the file
// system, the database) is the server's 500.
ApiError restore_error(const Error& e, const std::string& name) {
  if (&e.code().category() == &serverbackup::serverbackup_category())
    return bad_request(std::string(e.fault_code()), {name}, e.detail());
  return internal_error(e);
}

}  // namespace

void add_backup_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/backups", "backup_configuration",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             auto listed = serverbackup::list_backups(state.backups.dir);
             if (!listed.ok()) co_return internal_error(listed.error());
             nlohmann::json out = nlohmann::json::array();
             for (const auto& b : *listed) out.push_back(backup_json(b.name, b.modified));
             co_return json_response(200, out);
           },
           false, "", false, "the backups in backup.dir, newest first"});
  api.add({Verb::post, "/backups", "backup_configuration",
           [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return create(state, r, false); }, true,
           "Back up configuration", false,
           "a backup of the configuration and keys, signed with the authentication key"});
  api.add({Verb::post, "/backups/ext", "backup_configuration",
           [&state](Request& r) -> asio::awaitable<HandlerResult> { co_return create(state, r, true); }, true,
           "Back up configuration", false, "the same, answering whether local configuration is in it (always)"});
  api.add({Verb::get, "/backups/{filename}/download", "backup_configuration",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto file = named_backup(state, r);
             if (auto* e = std::get_if<ApiError>(&file)) co_return *e;
             auto bytes = read_file_limited(std::get<fs::path>(file), std::uintmax_t{1} << 31);
             if (!bytes.ok()) co_return internal_error(bytes.error());
             Response answer{200, "application/octet-stream", std::move(bytes).value(), {}};
             answer.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + r.param("filename") + "\"");
             co_return answer;
           },
           false, "", false, "a backup file"});
  api.add({Verb::delete_, "/backups/{filename}", "backup_configuration",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto file = named_backup(state, r);
             if (auto* e = std::get_if<ApiError>(&file)) co_return *e;
             r.audit = {{"backupFileName", std::get<fs::path>(file).string()}};
             std::error_code ec;
             if (!fs::remove(std::get<fs::path>(file), ec) || ec)
               co_return internal_error(Error(make_error_code(std::errc::io_error), ec.message()));
             co_return empty_response(204);
           },
           true, "Delete backup file", false, "deletes a backup file"});
  api.add({Verb::post, "/backups/upload", "backup_configuration",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto uploaded = uploaded_file(r);
             if (auto* e = std::get_if<ApiError>(&uploaded)) co_return *e;
             auto& [name, bytes] = std::get<std::pair<std::string, std::string>>(uploaded);
             if (!serverbackup::valid_backup_name(name))
               co_return bad_request("invalid_filename", {name.substr(0, 255)});
             // Only an intact backup (its signer is checked when it is restored); an encrypted one
             // cannot be looked into here.
             if (!name.ends_with(".gpg")) {
               if (auto opened = serverbackup::read_backup(bytes); !opened.ok())
                 co_return bad_request("invalid_backup_file", {name}, opened.error().detail());
             }
             const fs::path file = state.backups.dir / name;
             std::error_code ec;
             const auto flag = r.query.find("ignore_warnings");
             const bool ignore = flag != r.query.end() && flag->second == "true";
             if (fs::exists(file, ec) && !ignore)
               co_return ApiError{400, {"warnings_detected", {}}, {{"warning_file_already_exists", {name}}}, {}};
             if (auto st = serverbackup::ensure_backup_dir(state.backups.dir); !st.ok())
               co_return internal_error(st.error());
             if (auto st = write_file_atomically(file, bytes, FileMode::secret); !st.ok())
               co_return internal_error(st.error());
             r.audit = {{"backupFileName", file.string()}};
             co_return json_response(201, backup_json(name, Clock::system().now()));
           },
           true, "Upload backup file", true, "stores an uploaded backup file in backup.dir"});
  api.add({Verb::put, "/backups/{filename}/restore", "restore_configuration",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto file = named_backup(state, r);
             if (auto* e = std::get_if<ApiError>(&file)) co_return *e;
             r.audit = {{"backupFileName", std::get<fs::path>(file).string()}};
             serverbackup::Trust trust;
             trust.shared = state.shared();
             auto own = serverbackup::authentication_certificates(state.token);
             if (!own.ok()) co_return internal_error(own.error());
             trust.own_auth_certs = std::move(own).value();
             auto verified = serverbackup::verify_backup(std::get<fs::path>(file), trust, state.backups.gpg);
             if (!verified.ok()) co_return restore_error(verified.error(), r.param("filename"));
             auto restored = serverbackup::restore_backup(state.store, *verified, {state.server_id(), false});
             if (!restored.ok()) co_return restore_error(restored.error(), r.param("filename"));
             state.restored();
             co_return json_response(200, {{"hsm_tokens_logged_out", false}});
           },
           true, "Restore configuration", false,
           "replaces the configuration and keys with the backup's; the server then stops for its supervisor to start "
           "it again"});
}

}  // namespace roadside::admin
