#include "base/log.h"

#include <algorithm>
#include <cctype>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "base/errors.h"
#include "base/thread_annotations.h"

namespace roadside::log {
namespace {

struct Loggers {
  std::shared_ptr<spdlog::logger> main;
  std::shared_ptr<spdlog::logger> audit;
};

// Serializes init() and redirect_for_testing(), which replace the loggers. It guards no
// annotated state: write() and audit() read the loggers without it, as before, since both
// replacements happen before other threads log (at start-up, in a test's set-up).
Mutex g_mu;

std::shared_ptr<spdlog::logger> make_logger(const std::string& name, spdlog::sink_ptr sink) {
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  logger->set_pattern("%v");
  logger->flush_on(spdlog::level::info);
  return logger;
}

Loggers& loggers() {
  static Loggers l = [] {
    auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    Loggers out{make_logger("roadside", sink), make_logger("audit", sink)};
    out.main->set_level(spdlog::level::info);
    out.audit->set_level(spdlog::level::info);
    return out;
  }();
  return l;
}

spdlog::level::level_enum to_spd(Level l) {
  switch (l) {
    case Level::trace: return spdlog::level::trace;
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::string render(std::string_view level, std::string_view msg, const Fields& fields, const char* log_name) {
  nlohmann::ordered_json line;
  line["time"] = format_rfc3339(Clock::system().now());
  line["level"] = level;
  if (log_name) line["log"] = log_name;
  line["msg"] = msg;
  if (fields.is_object()) {
    for (const auto& [k, v] : fields.items()) line[k] = v;
  } else if (!fields.is_null()) {
    line["data"] = fields;
  }
  // Replace invalid UTF-8 instead of throwing: log lines may quote untrusted input.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Result<Level> parse_level(std::string_view text) {
  std::string up(text);
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
  if (up == "TRACE" || up == "ALL") return Level::trace;
  if (up == "DEBUG") return Level::debug;
  if (up == "INFO") return Level::info;
  if (up == "WARN" || up == "WARNING") return Level::warn;
  if (up == "ERROR") return Level::error;
  if (up == "OFF") return Level::off;
  return make_error(base::errc::invalid_argument,
                    "unknown log level \"" + std::string(text) + "\" (expected TRACE, DEBUG, INFO, WARN, ERROR, ALL or OFF)");
}

std::string_view to_string(Level level) noexcept {
  switch (level) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::off: return "off";
  }
  return "info";
}

Status init(Level lvl, const std::string& audit_target) {
  MutexLock lock(g_mu);
  Loggers& l = loggers();
  l.main->set_level(to_spd(lvl));
  if (audit_target != "stdout" && !audit_target.empty()) {
    try {
      auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(audit_target, /*truncate=*/false);
      l.audit = make_logger("audit", sink);
    } catch (const spdlog::spdlog_ex& e) {
      return make_error(base::errc::io_error, "cannot open audit log \"" + audit_target + "\": " + e.what());
    }
  }
  return {};
}

void set_level(Level lvl) { loggers().main->set_level(to_spd(lvl)); }

Level level() {
  switch (loggers().main->level()) {
    case spdlog::level::trace: return Level::trace;
    case spdlog::level::debug: return Level::debug;
    case spdlog::level::info: return Level::info;
    case spdlog::level::warn: return Level::warn;
    case spdlog::level::err:
    case spdlog::level::critical: return Level::error;
    default: return Level::off;
  }
}

void redirect_for_testing(std::ostream& out) {
  MutexLock lock(g_mu);
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out, /*force_flush=*/true);
  Loggers& l = loggers();
  const auto lvl = l.main->level();
  l.main = make_logger("roadside", sink);
  l.main->set_level(lvl);
  l.audit = make_logger("audit", sink);
}

void write(Level lvl, std::string_view msg, const Fields& fields) {
  auto& logger = loggers().main;
  const auto spd = to_spd(lvl);
  if (!logger->should_log(spd)) return;
  logger->log(spd, render(to_string(lvl), msg, fields, nullptr));
}

void audit(std::string_view event, std::string_view user, const Fields& data, const Fields& context) {
  Fields f = Fields::object();
  f["event"] = event;
  f["user"] = user;
  if (context.is_object()) {
    for (const auto& [k, v] : context.items()) f[k] = v;
  }
  f["data"] = data;
  loggers().audit->info(render("info", event, f, "audit"));
}

void access(std::string_view msg, const Fields& fields) {
  loggers().main->log(spdlog::level::critical, render("info", msg, fields, "access"));
}

void flush() {
  loggers().main->flush();
  loggers().audit->flush();
}

}  // namespace roadside::log
