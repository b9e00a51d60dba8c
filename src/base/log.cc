#include "base/log.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include <poll.h>
#include <spdlog/common.h>
#include <spdlog/details/periodic_worker.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/errors.h"
#include "base/thread_annotations.h"

namespace roadside::log {
namespace {

// Whole lines, kept in a buffer of its own and handed to fd 1 in one write(2) each time the
// sink is flushed or its buffer would overflow: a write never splits a line (the testbed points
// stdout and stderr at one file). stdio's stdout buffer goes first, so what a command printed
// with std::cout keeps its place before the lines.
class LineBufferSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    if (buffer_.size() + line.size() > kBufferBytes) flush_();
    buffer_.append(line.data(), line.size());
    if (buffer_.size() >= kBufferBytes) flush_();  // one line longer than the buffer
  }
  void flush_() override {
    std::fflush(stdout);
    std::size_t at = 0;
    while (at < buffer_.size()) {
      const auto n = ::write(STDOUT_FILENO, buffer_.data() + at, buffer_.size() - at);
      if (n > 0) {
        at += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {  // a non-blocking stdout, full
        pollfd out{STDOUT_FILENO, POLLOUT, 0};
        if (::poll(&out, 1, kWriteWaitMs) <= 0) break;
      } else {
        break;
      }
    }
    // Nowhere to report it: what is left is dropped, as stdio would. A line cut short is ended,
    // so the next one starts on a line of its own.
    if (at > 0 && at < buffer_.size() && buffer_[at - 1] != '\n') {
      [[maybe_unused]] const auto ended = ::write(STDOUT_FILENO, "\n", 1);
    }
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kBufferBytes = 64 * 1024;
  static constexpr int kWriteWaitMs = 1000;
  std::string buffer_;
};

constexpr std::chrono::seconds kAccessFlushEvery{1};

struct Loggers {
  std::shared_ptr<spdlog::logger> main;   // flushes every line
  std::shared_ptr<spdlog::logger> audit;  // flushes every line
  // Access lines, on the main stream's sink. It flushes every line until init() starts the
  // periodic flush, and none after: its lines then go out with the next line of the main log or the audit log on
  // stdout, or at most kAccessFlushEvery later.
  std::shared_ptr<spdlog::logger> access;
  spdlog::sink_ptr stdout_sink;
  std::unique_ptr<spdlog::details::periodic_worker> flusher;  // started by init()
};

// Serializes init() and redirect_for_testing(), which replace the loggers. It guards no
// annotated state: write() and audit() read the loggers without it, as before, since both
// replacements happen before other threads log (at start-up, in a test's set-up).
Mutex g_mu;

std::shared_ptr<spdlog::logger> make_logger(const std::string& name, spdlog::sink_ptr sink,
                                            spdlog::level::level_enum flush = spdlog::level::trace) {
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  logger->set_pattern("%v");
  logger->flush_on(flush);
  return logger;
}

void use_sink(Loggers& l, const spdlog::sink_ptr& sink) {
  const auto lvl = l.main ? l.main->level() : spdlog::level::info;
  l.main = make_logger("roadside", sink);
  l.main->set_level(lvl);
  l.audit = make_logger("audit", sink);
  l.audit->set_level(spdlog::level::info);
  l.access = make_logger("access", sink, l.flusher ? spdlog::level::off : spdlog::level::trace);
}

Loggers& loggers() {
  static Loggers l = [] {
    Loggers out;
    out.stdout_sink = std::make_shared<LineBufferSink>();
    use_sink(out, out.stdout_sink);
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
  if (!l.flusher) {
    // Flushes the stdout sink only: a sink put in by redirect_for_testing flushes every line.
    l.flusher = std::make_unique<spdlog::details::periodic_worker>([sink = l.stdout_sink] { sink->flush(); },
                                                                   kAccessFlushEvery);
    l.access->flush_on(spdlog::level::off);
  }
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
  use_sink(loggers(), std::make_shared<spdlog::sinks::ostream_sink_mt>(out, /*force_flush=*/true));
}

void stdout_for_testing() {
  MutexLock lock(g_mu);
  Loggers& l = loggers();
  use_sink(l, l.stdout_sink);
}

void write(Level lvl, std::string_view msg, const Fields& fields) {
  auto& logger = loggers().main;
  const auto spd = to_spd(lvl);
  if (!logger->should_log(spd)) return;
  logger->log(spd, render(to_string(lvl), msg, fields, nullptr));
}

namespace {
Mutex g_audit_mu;
AuditObserver g_audit_observer GUARDED_BY(g_audit_mu);
}  // namespace

void observe_audit(AuditObserver observer) {
  MutexLock lock(g_audit_mu);
  g_audit_observer = std::move(observer);
}

void audit(std::string_view event, std::string_view user, const Fields& data, const Fields& context) {
  const auto now = Clock::system().now();
  Fields f = Fields::object();
  f["event"] = event;
  f["user"] = user;
  if (context.is_object()) {
    for (const auto& [k, v] : context.items()) f[k] = v;
  }
  f["data"] = data;
  loggers().audit->info(render("info", event, f, "audit"));
  MutexLock lock(g_audit_mu);
  if (g_audit_observer) g_audit_observer(now, f);
}

void access(std::string_view msg, const json::Members& fields) {
  Loggers& l = loggers();
  if (l.main->level() == spdlog::level::off) return;
  // The members render() writes first, then the fields as they are.
  std::string line =
      R"({"time":")" + format_rfc3339(Clock::system().now()) + R"(","level":"info","log":"access","msg":)";
  json::append_string(line, msg);
  if (!fields.empty()) {
    line += ',';
    line += fields.text();
  }
  line += '}';
  l.access->log(spdlog::level::info, line);
}

void flush() {
  loggers().main->flush();
  loggers().audit->flush();
  loggers().access->flush();
}

}  // namespace roadside::log
