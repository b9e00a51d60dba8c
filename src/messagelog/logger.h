// The message log the proxies write through (MessageLog): checks that messages may be taken
// (the time-stamping state), applies the logging policy to a message (loggable.h: which body
// is logged, the largest loggable body), writes its record through the group-commit writer
// and, in X-Road's timestamp-immediately mode, has it time-stamped before the message goes on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "messagelog/group_writer.h"
#include "messagelog/loggable.h"
#include "messagelog/message_log.h"

namespace roadside::messagelog {

class Logger final : public MessageLog {
 public:
  // The time-stamping state's verdict for each message (ok, timestamping_failed,
  // no_timestamping_provider); none: always ok.
  using CanLog = std::function<Status()>;
  // Time-stamps a committed record at once (timestamp-immediately): its id and signature.
  using TimestampNow = std::function<boost::asio::awaitable<Status>(std::int64_t, std::string)>;

  // `writer` must outlive the logger. `timestamp_now` null: records wait for the next round.
  Logger(GroupWriter& writer, CanLog can_log, LoggingPolicy policy, TimestampNow timestamp_now = {});

  Status check_can_log() const override;
  boost::asio::awaitable<Status> log(LogEntry entry) override;

 private:
  GroupWriter& writer_;
  CanLog can_log_;
  LoggingPolicy policy_;
  TimestampNow timestamp_now_;
};

}  // namespace roadside::messagelog
