// /system/anchor: the configuration anchor named by globalconf.anchor, as X-Road's admin API
// shows, previews and replaces it. A replacement must be of this server's instance; it is
// written over the file (write_file_atomically: a temporary file of its own, flushed, renamed;
// readers see the old file or the new one, also after a crash), and the running
// server's configuration download takes it at once (ServerState::anchor_replaced). X-Road
// first downloads the configuration with the new anchor and keeps the old one when that
// fails; Roadside takes it and the next download says whether it works (/diagnostics/globalconf).
#include "admin/anchor_file.h"
#include "admin/endpoints.h"
#include "base/clock.h"
#include "base/files.h"
#include "globalconf/parts.h"

namespace roadside::admin {

namespace {

// The configured anchor file's bytes; an ApiError when there is none or it cannot be read.
std::variant<std::string, ApiError> configured_anchor(const ServerState& state) {
  if (state.anchor_file.empty())
    return ApiError{404, {"anchor_not_found", {}}, {}, "no configuration anchor (globalconf.anchor)"};
  auto bytes = globalconf::read_conf_file(state.anchor_file, kMaxAnchorBytes);
  if (!bytes.ok()) return ApiError{404, {"anchor_not_found", {}}, {}, bytes.error().to_string()};
  return std::move(bytes).value();
}

// The uploaded anchor, checked as X-Road checks it: well-formed, and (when `instance` is not
// empty) of that instance.
std::variant<AnchorFile, ApiError> uploaded_anchor(const Request& r, const std::string& instance) {
  auto file = read_anchor(r.body);
  if (!file.ok()) return bad_request("malformed_anchor", {}, file.error().detail());
  if (!instance.empty() && file->anchor.instance != instance) {
    return bad_request("internal_anchor_upload_invalid_instance_id", {file->anchor.instance, instance},
                       "the anchor is of instance " + file->anchor.instance + ", this server of " + instance);
  }
  return std::move(file).value();
}

nlohmann::json anchor_json(const AnchorFile& file) {
  return {{"hash", file.hash}, {"created_at", file.created_at}};
}

void audit_anchor(Request& r, const AnchorFile& file) {
  r.audit = {{"anchorFileHash", file.hash}, {"anchorFileHashAlgorithm", "SHA-224"}, {"generatedAt", file.created_at}};
}

// The file name X-Road gives a downloaded anchor: configuration_anchor_UTC_2024-01-02_03_04_05.xml.
std::string download_name(const AnchorFile& file) {
  std::string stamp = file.created_at.substr(0, 19);  // 2024-01-02T03:04:05
  for (char& c : stamp) {
    if (c == 'T') c = '_';
    if (c == ':') c = '_';
  }
  return "configuration_anchor_UTC_" + stamp + ".xml";
}

}  // namespace

void add_anchor_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/system/anchor", "view_anchor",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             auto bytes = configured_anchor(state);
             if (auto* e = std::get_if<ApiError>(&bytes)) co_return *e;
             auto file = read_anchor(std::get<std::string>(bytes));
             if (!file.ok()) co_return internal_error(file.error());
             co_return json_response(200, anchor_json(*file));
           },
           false, "", false, "the configuration anchor in use: its hash and when it was made"});
  api.add({Verb::get, "/system/anchor/download", "download_anchor",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             auto bytes = configured_anchor(state);
             if (auto* e = std::get_if<ApiError>(&bytes)) co_return *e;
             auto file = read_anchor(std::get<std::string>(bytes));
             if (!file.ok()) co_return internal_error(file.error());
             Response answer{200, "application/xml", std::move(std::get<std::string>(bytes)), {}};
             answer.headers.emplace_back("Content-Disposition",
                                         "attachment; filename=\"" + download_name(*file) + "\"");
             co_return answer;
           },
           false, "", false, "the configuration anchor file"});
  api.add({Verb::post, "/system/anchor/previews", "upload_anchor|init_config",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             // X-Road validates the instance unless told not to (a new server has none yet).
             const auto flag = r.query.find("validate_instance");
             const bool validate = flag == r.query.end() || flag->second != "false";
             auto file = uploaded_anchor(r, validate ? state.instance() : std::string());
             if (auto* e = std::get_if<ApiError>(&file)) co_return *e;
             co_return json_response(201, anchor_json(std::get<AnchorFile>(file)));
           },
           false, "", true, "the hash and creation time of an uploaded anchor, checked, not saved"});
  api.add({Verb::put, "/system/anchor", "upload_anchor",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             if (state.anchor_file.empty() || state.instance().empty())
               co_return ApiError{404, {"anchor_not_found", {}}, {}, "no configuration anchor to replace"};
             auto file = uploaded_anchor(r, state.instance());
             if (auto* e = std::get_if<ApiError>(&file)) co_return *e;
             audit_anchor(r, std::get<AnchorFile>(file));
             if (auto st = write_file_atomically(state.anchor_file, r.body); !st.ok())
               co_return ApiError{500, {"anchor_upload_failed", {}}, {}, st.error().to_string()};
             state.anchor_replaced();
             co_return empty_response(201);
           },
           true, "Upload configuration anchor", true,
           "replace the configuration anchor with one of the same instance"});
  api.add({Verb::post, "/system/anchor", "init_config",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             if (!state.instance().empty()) co_return ApiError{409, {"anchor_already_exists", {}}, {}, {}};
             auto file = uploaded_anchor(r, {});
             if (auto* e = std::get_if<ApiError>(&file)) co_return *e;
             audit_anchor(r, std::get<AnchorFile>(file));
             // Where a new server's anchor goes is the globalconf.anchor option; without one
             // configured there is no file to write, and the download starts with the server.
             if (state.anchor_file.empty()) {
               co_return ApiError{400,
                                  {"anchor_upload_failed", {}},
                                  {},
                                  "set globalconf.anchor to the file the anchor is to be written to"};
             }
             if (auto st = write_file_atomically(state.anchor_file, r.body); !st.ok())
               co_return ApiError{500, {"anchor_upload_failed", {}}, {}, st.error().to_string()};
             co_return empty_response(201);
           },
           true, "Initialize anchor", true,
           "a new server's first anchor, written to globalconf.anchor; the server uses it from its next start"});
}

}  // namespace roadside::admin
