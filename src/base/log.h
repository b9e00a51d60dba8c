// Logging: one JSON object per line on stdout, so container runtimes and log shippers
// need no parsing rules. The level comes from XROAD_LOG_LEVEL (via config).
//
//   log::info("listening", {{"component", "health"}, {"port", 5588}});
//   -> {"time":"2026-11-22T11:30:04.123Z","level":"info","msg":"listening","component":"health","port":5588}
//
// The access log (one line per message, "log":"access") goes with the main stream.
// The audit log is a separate stream of security-relevant events (logins, configuration
// changes, key operations), written as JSON lines with "log":"audit" to stdout or a file.
// Never pass secrets (PINs, passwords, keys) in fields.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/json_text.h"
#include "base/result.h"

namespace roadside::log {

enum class Level { trace, debug, info, warn, error, off };

// Accepts X-Road's names, case-insensitively: TRACE, DEBUG, INFO, WARN, ERROR, ALL (= TRACE), OFF.
Result<Level> parse_level(std::string_view text);
std::string_view to_string(Level level) noexcept;

using Fields = nlohmann::json;

// Sets the level and where the logs go, and starts the access log's periodic flush. Before it
// is called, logs go to stdout at INFO. `audit_target` is "stdout" or a file path (appended to).
Status init(Level level, const std::string& audit_target = "stdout");
void set_level(Level level);
Level level();
// Sends the main, audit and access streams to `out`, flushed every line (tests).
void redirect_for_testing(std::ostream& out);
// Sends them back to stdout, as at start-up (tests).
void stdout_for_testing();

void write(Level level, std::string_view msg, const Fields& fields = Fields::object());
inline void trace(std::string_view m, const Fields& f = Fields::object()) { write(Level::trace, m, f); }
inline void debug(std::string_view m, const Fields& f = Fields::object()) { write(Level::debug, m, f); }
inline void info(std::string_view m, const Fields& f = Fields::object()) { write(Level::info, m, f); }
inline void warn(std::string_view m, const Fields& f = Fields::object()) { write(Level::warn, m, f); }
inline void error(std::string_view m, const Fields& f = Fields::object()) { write(Level::error, m, f); }

// One audit record: what happened (X-Road's event name, also under "event"), who did it
// ("system" for the server itself), details. `context` adds top-level fields, as X-Road's
// admin API does: "ipaddress", "auth" (ApiKey, HttpBasic, Local), "url", and for a failed
// change "reason".
void audit(std::string_view event, std::string_view user, const Fields& data = Fields::object(),
           const Fields& context = Fields::object());

// Told of every audit record after it is written: its time and its fields as audit() writes
// them (event, user, the context's fields, data). For the server's audit trail in its database.
// One observer at a time; an empty function removes it. It runs on audit()'s caller's thread,
// under a lock: it must be quick, must not block, and must not write audit records itself.
using AuditObserver = std::function<void(Clock::time_point time, const Fields& record)>;
void observe_audit(AuditObserver observer);

// One access-log record: a line with "log":"access" and `msg` on the main stream, written at
// every level but OFF (the operator turns it off with its own option). Never a body or a secret.
// Once init() has run, it is not flushed at once like other lines: it reaches stdout with the
// next main or audit line written there, or within a second; a process killed outright or
// aborted loses at most that second of access lines.
// `fields` are written as JSON text, not a tree: the line is made for every message. Its own
// keys, time, level, log and msg, are not for `fields`.
void access(std::string_view msg, const json::Members& fields);

void flush();

}  // namespace roadside::log
