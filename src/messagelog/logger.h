// The message log the proxies write through (MessageLog): checks that messages may be taken
// (the time-stamping state), applies the logging policy to a message (which body is logged,
// the largest loggable body) and writes its record through the group-commit writer.
#pragma once

#include <cstdint>
#include <functional>

#include "messagelog/group_writer.h"
#include "messagelog/message_log.h"

namespace roadside::messagelog {

struct LoggerOptions {
  bool body_logging = true;                          // X-Road's message-body-logging
  std::uint64_t max_loggable_body_bytes = 10 << 20;  // X-Road's max-loggable-message-body-size
  bool truncated_body_allowed = false;               // X-Road's truncated-body-allowed
};

class Logger final : public MessageLog {
 public:
  // `can_log`: the time-stamping state's verdict (ok, timestamping_failed,
  // no_timestamping_provider). `writer` must outlive the logger.
  Logger(GroupWriter& writer, std::function<Status()> can_log, LoggerOptions options);

  Status check_can_log() const override;
  boost::asio::awaitable<Status> log(LogEntry entry) override;

 private:
  GroupWriter& writer_;
  std::function<Status()> can_log_;
  LoggerOptions options_;
};

// The record to write for `entry` under `options`: body_logged set; without the body, the
// attachments dropped; a body over the largest loggable size truncated to it (a slice, never
// read into memory) or refused (errc::body_too_large).
Result<MessageRecordInput> loggable_record(const LoggerOptions& options, LogEntry entry);

}  // namespace roadside::messagelog
