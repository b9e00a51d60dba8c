// The message log as a component (variant full; a slim server has none): the writer's own
// database connection, the group-commit writer on its thread, and the logger the proxies
// write through. Message bodies are sealed when messagelog.encryption_enabled (the key file
// messagelog.encryption_keys_file, messagelog/sealer.h).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "messagelog/group_writer.h"
#include "messagelog/logger.h"
#include "messagelog/sealer.h"
#include "metrics/metrics.h"
#include "server/component.h"
#include "server/database.h"

namespace roadside::server {

struct MessageLogOptions {
  bool enabled = true;                 // variant full
  messagelog::LoggingOptions logging;  // checked at start (LoggingPolicy::from_options)
  bool encryption_enabled = false;
  std::filesystem::path encryption_keys_file;

  static MessageLogOptions from(const config::Config& config);
};

class MessageLogService final : public Component {
 public:
  // `can_log`: the time-stamping state's verdict for each message (none: always ok);
  // `timestamp_now`: timestamp-immediately's (none: records wait for the next round).
  MessageLogService(MessageLogOptions options, DatabaseOptions database, messagelog::Logger::CanLog can_log,
                    messagelog::Logger::TimestampNow timestamp_now, metrics::Registry& metrics);
  ~MessageLogService() override;

  std::string_view name() const override { return "messagelog"; }
  // Checks the logging policy, opens the writer's connection and starts its thread; the key
  // file is read and checked here.
  Status start() override;
  // Commits what is queued and stops the writer (the proxies have drained by then).
  boost::asio::awaitable<void> stop() override;

  // What the proxies log through; null on a slim server or before start.
  messagelog::MessageLog* log() { return logger_.get(); }
  // The sealer of message bodies, or null (the archiver and /asic read with it).
  const messagelog::Sealer* sealer() const { return sealer_ ? &*sealer_ : nullptr; }
  // A store on a connection of its own, for one retrieval or job; errc when the database
  // cannot be reached.
  Result<std::unique_ptr<messagelog::LogStore>> open_store() const;

  // For the admin API of a server with a message log (log() not null), each on a connection of
  // its own: the records of `query_id` without their content, oldest first, at most `limit`.
  Result<std::vector<messagelog::RecordSummary>> find(const std::string& query_id, std::size_t limit) const;
  // Record `id`'s ASiC-E container, named as /asic names it, at most `max_bytes` of
  // attachments (base::errc::too_large past them, as admin::ServerState's contract says);
  // std::nullopt when there is no such record;
  // errc::resource_unavailable_try_again while it waits for its time-stamp (X-Road's /asic
  // gives none without one either).
  struct Container {
    std::string name;
    std::string bytes;
  };
  Result<std::optional<Container>> container(std::int64_t id, std::uint64_t max_bytes) const;

 private:
  MessageLogOptions options_;
  DatabaseOptions database_;
  messagelog::Logger::CanLog can_log_;
  messagelog::Logger::TimestampNow timestamp_now_;
  metrics::Registry& metrics_;
  std::optional<messagelog::Sealer> sealer_;
  std::unique_ptr<messagelog::GroupWriter> writer_;
  std::unique_ptr<messagelog::Logger> logger_;
};

}  // namespace roadside::server
