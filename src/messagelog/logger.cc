#include "messagelog/logger.h"

namespace roadside::messagelog {

Logger::Logger(GroupWriter& writer, CanLog can_log, LoggingPolicy policy, TimestampNow timestamp_now)
    : writer_(writer),
      can_log_(std::move(can_log)),
      policy_(std::move(policy)),
      timestamp_now_(std::move(timestamp_now)) {}

Status Logger::check_can_log() const {
  return can_log_ ? can_log_() : Status{};
}

boost::asio::awaitable<Status> Logger::log(LogEntry entry) {
  if (auto st = check_can_log(); !st.ok()) co_return st;
  auto record = loggable_record(policy_, std::move(entry));
  if (!record.ok()) co_return record.error();
  std::string signature = timestamp_now_ ? record->signature : std::string();
  auto id = co_await writer_.write(std::move(record).value());
  if (!id.ok()) co_return id.error();
  if (timestamp_now_) co_return co_await timestamp_now_(*id, std::move(signature));
  co_return Status{};
}

}  // namespace roadside::messagelog
