#include "messagelog/logger.h"

#include "messagelog/zip.h"

namespace roadside::messagelog {

Logger::Logger(GroupWriter& writer, std::function<Status()> can_log, LoggerOptions options)
    : writer_(writer), can_log_(std::move(can_log)), options_(options) {}

Status Logger::check_can_log() const {
  return can_log_ ? can_log_() : Status{};
}

boost::asio::awaitable<Status> Logger::log(LogEntry entry) {
  if (auto st = check_can_log(); !st.ok()) co_return st;
  auto record = loggable_record(options_, std::move(entry));
  if (!record.ok()) co_return record.error();
  auto id = co_await writer_.write(*record);
  if (!id.ok()) co_return id.error();
  co_return Status{};
}

Result<MessageRecordInput> loggable_record(const LoggerOptions& options, LogEntry entry) {
  MessageRecordInput r = std::move(entry.record);
  r.body_logged = options.body_logging;
  if (!r.body_logged) {
    r.attachments.clear();
    return r;
  }
  for (auto& a : r.attachments) {
    if (a.size() <= options.max_loggable_body_bytes) continue;
    if (!options.truncated_body_allowed) {
      return Error(make_error_code(errc::body_too_large),
                   "a message body of " + std::to_string(a.size()) + " bytes is over the largest loggable size (" +
                       std::to_string(options.max_loggable_body_bytes) + " bytes)");
    }
    a = a.slice(0, options.max_loggable_body_bytes);
  }
  return r;
}

}  // namespace roadside::messagelog
