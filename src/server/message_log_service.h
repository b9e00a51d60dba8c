// The message log as a component (variant full; a slim server has none): the writer's own
// database connection, the group-commit writer on its thread, and the logger the proxies
// write through. Message bodies are sealed when messagelog.encryption_enabled (the key file
// messagelog.encryption_keys_file, messagelog/sealer.h).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "config/config.h"
#include "messagelog/group_writer.h"
#include "messagelog/logger.h"
#include "messagelog/sealer.h"
#include "metrics/metrics.h"
#include "server/component.h"
#include "server/database.h"

namespace roadside::server {

struct MessageLogOptions {
  bool enabled = true;  // variant full
  messagelog::LoggerOptions logger;
  bool encryption_enabled = false;
  std::filesystem::path encryption_keys_file;

  static MessageLogOptions from(const config::Config& config);
};

class MessageLogService final : public Component {
 public:
  // `can_log`: the time-stamping state's verdict for each message (none: always ok).
  MessageLogService(MessageLogOptions options, DatabaseOptions database, std::function<Status()> can_log,
                    metrics::Registry& metrics);
  ~MessageLogService() override;

  std::string_view name() const override { return "messagelog"; }
  // Opens the writer's connection and starts its thread; the key file is read and checked here.
  Status start() override;
  // Commits what is queued and stops the writer (the proxies have drained by then).
  boost::asio::awaitable<void> stop() override;

  // What the proxies log through; null on a slim server or before start.
  messagelog::MessageLog* log() { return logger_.get(); }
  // The sealer of message bodies, or null (the archiver and /asic read with it).
  const messagelog::Sealer* sealer() const { return sealer_ ? &*sealer_ : nullptr; }

 private:
  MessageLogOptions options_;
  DatabaseOptions database_;
  std::function<Status()> can_log_;
  metrics::Registry& metrics_;
  std::optional<messagelog::Sealer> sealer_;
  std::unique_ptr<messagelog::GroupWriter> writer_;
  std::unique_ptr<messagelog::Logger> logger_;
};

}  // namespace roadside::server
