// /diagnostics: what the running server knows of its background work, as X-Road's admin API
// reports it: the global configuration download's last round (GlobalconfService), the OCSP
// refresher's last round for the own certificates (one state for every responder: Roadside
// fetches them in one round), the message log's time-stamping, the add-ons Roadside runs (its
// message log and operational monitoring) and how the message log is encrypted, whether backups
// are encrypted (backup.encrypt_to); and, Roadside's own, the node's readiness with its reasons. Without a running
// server (the CLI on its own) a round's state is unknown: WAITING, error_code_uninitialized. Error codes are X-Road's
// DiagnosticsErrorCodes names, lower case.
#include <fstream>
#include <set>

#include <unistd.h>

#include "admin/anchor_file.h"
#include "admin/endpoints.h"
#include "admin/timestamping.h"
#include "base/clock.h"
#include "globalconf/parts.h"
#include "serverconf/revisions.h"

namespace roadside::admin {

namespace {

nlohmann::json code(const std::string& name, const std::string& detail = {}) {
  nlohmann::json c = {{"code", name}, {"metadata", nlohmann::json::array()}};
  if (!detail.empty()) c["metadata"].push_back(detail.substr(0, 1000));
  return c;
}

std::string time_or_now(const std::optional<Clock::time_point>& t) {
  return format_rfc3339(t.value_or(Clock::system().now()));
}

// A round's DiagnosticStatusClass and error: OK when it worked, WAITING before the first (or
// where no server runs), FAIL with `failure` and the reason otherwise.
std::pair<std::string, nlohmann::json> round_status(const JobStatus& job, const std::string& failure) {
  if (!job.known) return {"WAITING", code("error_code_uninitialized", "no running server: unknown")};
  if (!job.last) return {"WAITING", code("error_code_uninitialized")};
  if (!job.error.empty()) return {"FAIL", code(failure, job.error)};
  return {"OK", nullptr};
}

nlohmann::json globalconf_json(const ServerState& state) {
  const JobStatus job = state.globalconf_status();
  auto [status, error] = round_status(job, "error_code_cannot_download_conf");
  nlohmann::json out = {
      {"status_class", status}, {"prev_update_at", time_or_now(job.last)}, {"next_update_at", time_or_now(job.next)}};
  if (!error.is_null()) out["error"] = error;
  return out;
}

// One entry per source of the anchor: the last round's connection state.
nlohmann::json globalconf_connections_json(const ServerState& state) {
  nlohmann::json out = nlohmann::json::array();
  if (state.anchor_file.empty()) return out;
  auto xml = globalconf::read_conf_file(state.anchor_file, kMaxAnchorBytes);
  auto anchor = xml.ok() ? globalconf::Anchor::parse(*xml) : Result<globalconf::Anchor>(xml.error());
  if (!anchor.ok()) return out;
  auto [status, error] = round_status(state.globalconf_status(), "error_code_cannot_download_conf");
  if (error.is_null()) error = code("ok");
  for (const auto& source : anchor->sources) {
    out.push_back({{"download_url", source.download_url.substr(0, 255)},
                   {"connection_status", {{"status_class", status}, {"error", error}}}});
  }
  return out;
}

nlohmann::json ocsp_json(const ServerState& state) {
  nlohmann::json out = nlohmann::json::array();
  const auto shared = state.shared();
  if (!shared) return out;
  const JobStatus job = state.ocsp_round();
  auto [status, error] = round_status(job, "error_code_ocsp_response_invalid");
  for (const auto& ca : shared->approved_cas) {
    nlohmann::json responders = nlohmann::json::array();
    for (const auto& r : ca.top.ocsp) {
      nlohmann::json one = {{"url", r.url.substr(0, 255)},
                            {"status_class", status},
                            {"next_update_at", time_or_now(job.next)},
                            {"cost_type", r.cost_type.empty() ? std::string("UNDEFINED") : r.cost_type}};
      if (job.last) one["prev_update_at"] = format_rfc3339(*job.last);
      if (!error.is_null()) one["error"] = error;
      responders.push_back(std::move(one));
    }
    out.push_back({{"distinguished_name", ca.top.cert.subject().substr(0, 255)}, {"ocsp_responders", responders}});
  }
  return out;
}

// The message log's time-stamping (one job for every configured service, as X-Road's
// TimestamperJob tries them in turn): OK since its last success, FAIL while failing,
// WAITING before the first round or without a message log.
Result<nlohmann::json> timestamping_json(const ServerState& state) {
  ROADSIDE_TRY(auto tsps, configured_tsps(state.store));
  const TimestampingState job = state.timestamping();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : tsps) {
    nlohmann::json one = {{"url", t.url}};
    if (!job.running) {
      one["status_class"] = "WAITING";
      one["error"] = code("error_code_timestamp_uninitialized", "no message log runs here");
    } else if (job.failing_since) {
      one["status_class"] = "FAIL";
      one["error"] = code("error_code_internal", job.problem.empty() ? "time-stamping fails" : job.problem);
    } else if (job.last_success) {
      one["status_class"] = "OK";
    } else {
      one["status_class"] = "WAITING";
      one["error"] = code("error_code_timestamp_uninitialized");
    }
    one["prev_update_at"] = time_or_now(job.last_success);
    out.push_back(std::move(one));
  }
  return out;
}

// The management service (authCertReg's address in the private parameters): whether global
// configuration names one; Roadside does not test the connection.
nlohmann::json auth_cert_req_json(const ServerState& state) {
  const auto priv = state.private_params();
  if (!priv || priv->auth_cert_reg_service_address.empty())
    return {{"status_class", "FAIL"}, {"error", code("error_code_missing_private_params")}};
  return {{"status_class", "WAITING"}, {"error", code("not_tested", priv->auth_cert_reg_service_address)}};
}

// X-Road's members of message-log archive encryption: each member of the server's clients
// ("INSTANCE/CLASS/CODE", X-Road's short form) with the keys its archives are encrypted to; none
// unless archives are encrypted and grouped.
Result<nlohmann::json> archive_members(const ServerState& state) {
  nlohmann::json out = nlohmann::json::array();
  if (!state.archive_keys) return out;
  auto latest = serverconf::load_latest(state.store);
  if (!latest.ok()) return latest.error();
  std::set<std::string> members;
  auto add = [&members](const XRoadId& id) {
    members.insert(std::string(id.instance()) + "/" + std::string(id.member_class()) + "/" +
                   std::string(id.member_code()));
  };
  if (latest->conf && !latest->conf->server_code.empty()) {
    add(latest->conf->owner);
    for (const auto& c : latest->conf->clients) add(c.id);
  }
  for (const auto& m : members) {
    ROADSIDE_TRY(ArchiveKeys keys, state.archive_keys(m));
    out.push_back({{"member_id", m}, {"keys", keys.keys}, {"default_key_used", keys.default_used}});
  }
  return out;
}

// This process's memory as X-Road reports its proxy's JVM heap: in bytes; the limit is the
// machine's memory.
nlohmann::json memory_json() {
  long pages = 0, resident = 0;
  std::ifstream statm("/proc/self/statm");
  statm >> pages >> resident;
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const double physical = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * page;
  const double used = static_cast<double>(resident) * page;
  const double percent = physical > 0 ? used * 100.0 / physical : 0.0;
  return {{"max_memory", physical},
          {"total_memory", static_cast<double>(pages) * page},
          {"used_memory", used},
          {"usage_percent", percent},
          {"is_used_over_threshold", false}};
}

Handler fixed(nlohmann::json body) {
  return [body = std::move(body)](Request&) -> asio::awaitable<HandlerResult> { co_return json_response(200, body); };
}

}  // namespace

void add_diagnostics_routes(Api& api, ServerState& state) {
  api.add(
      {Verb::get, "/diagnostics/globalconf", "diagnostics",
       [&state](Request&) -> asio::awaitable<HandlerResult> { co_return json_response(200, globalconf_json(state)); },
       false, "", false, "the global configuration download's last round"});
  api.add({Verb::get, "/diagnostics/global-conf-status", "diagnostics",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             co_return json_response(200, globalconf_connections_json(state));
           },
           false, "", false, "each configuration source of the anchor, as the last download found it"});
  api.add({Verb::get, "/diagnostics/ocsp-responders", "diagnostics",
           [&state](Request&) -> asio::awaitable<HandlerResult> { co_return json_response(200, ocsp_json(state)); },
           false, "", false, "the approved CAs' OCSP responders, as the last OCSP round found them"});
  api.add({Verb::get, "/diagnostics/timestamping-services", "diagnostics",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             auto out = timestamping_json(state);
             if (!out.ok()) co_return internal_error(out.error());
             co_return json_response(200, *out);
           },
           false, "", false, "the configured timestamping services, as the message log's last round found them"});
  api.add({Verb::get, "/diagnostics/auth-cert-req-status", "diagnostics",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             co_return json_response(200, auth_cert_req_json(state));
           },
           false, "", false, "whether global configuration names the management service"});
  api.add({Verb::get, "/diagnostics/addon-status", "diagnostics",
           fixed({{"messagelog_enabled", state.add_ons.message_log},
                  {"opmonitoring_enabled", state.add_ons.op_monitoring}}),
           false, "", false, "X-Road's add-ons: whether the message log and operational monitoring run"});
  api.add({Verb::get, "/diagnostics/backup-encryption-status", "diagnostics",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             co_return json_response(200, {{"backup_encryption_status", !state.backups.encrypt_to.empty()},
                                           {"backup_encryption_keys", state.backups.encrypt_to}});
           },
           false, "", false, "whether backups are encrypted (backup.encrypt_to), and for which keys"});
  api.add({Verb::get, "/diagnostics/message-log-encryption-status", "diagnostics",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             auto members = archive_members(state);
             if (!members.ok()) co_return internal_error(members.error());
             co_return json_response(200, {{"message_log_archive_encryption_status", state.add_ons.archive_encrypted},
                                           {"message_log_database_encryption_status", state.add_ons.database_encrypted},
                                           {"message_log_grouping_rule", state.add_ons.grouping_rule},
                                           {"members", *members}});
           },
           false, "", false, "message-log encryption: in the database, of archives, and the archives' grouping"});
  api.add({Verb::get, "/diagnostics/traffic", "diagnostics",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             const Traffic t = state.traffic();
             if (!t.known) co_return ApiError{409, {"no_running_server", {}}, {}, {}};
             co_return json_response(200, {{"since", format_rfc3339(t.since)},
                                           {"client_proxy", {{"ok", t.client_ok}, {"fault", t.client_fault}}},
                                           {"server_proxy", {{"ok", t.server_ok}, {"fault", t.server_fault}}}});
           },
           false, "", false, "the messages this node's proxies handled since it started, by outcome", true});
  api.add({Verb::get, "/diagnostics/readiness", "diagnostics",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             nlohmann::json reasons = nlohmann::json::array();
             for (const auto& r : state.readiness())
               reasons.push_back({{"component", r.component}, {"reason", r.reason}});
             co_return json_response(200, {{"ready", reasons.empty()}, {"reasons", reasons}});
           },
           false, "", false, "whether this node takes messages now, and every reason it does not (/readyz's)", true});
  api.add({Verb::get, "/diagnostics/proxy-memory-usage-status", "diagnostics",
           [](Request&) -> asio::awaitable<HandlerResult> { co_return json_response(200, memory_json()); }, false, "",
           false, "the server process's memory: resident (used), virtual (total), the machine's (max)"});
}

}  // namespace roadside::admin
