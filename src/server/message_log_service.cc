#include "server/message_log_service.h"

#include "base/errors.h"
#include "base/log.h"
#include "messagelog/container.h"
#include "messagelog/retrieval.h"
#include "messagelog/zip.h"

namespace roadside::server {

MessageLogOptions MessageLogOptions::from(const config::Config& c) {
  MessageLogOptions o;
  o.enabled = c.str("variant") == "full";
  o.logging.body_logging = c.boolean("messagelog.body_logging");
  o.logging.enabled_local_producers = c.str("messagelog.enabled_body_logging_local_producer_subsystems");
  o.logging.enabled_remote_producers = c.str("messagelog.enabled_body_logging_remote_producer_subsystems");
  o.logging.disabled_local_producers = c.str("messagelog.disabled_body_logging_local_producer_subsystems");
  o.logging.disabled_remote_producers = c.str("messagelog.disabled_body_logging_remote_producer_subsystems");
  o.logging.max_loggable_body_bytes = static_cast<std::uint64_t>(c.integer("messagelog.max_loggable_body_bytes"));
  o.logging.truncated_body_allowed = c.boolean("messagelog.truncated_body_allowed");
  o.encryption_enabled = c.boolean("messagelog.encryption_enabled");
  o.encryption_keys_file = c.str("messagelog.encryption_keys_file");
  return o;
}

MessageLogService::MessageLogService(MessageLogOptions options, DatabaseOptions database,
                                     messagelog::Logger::CanLog can_log, messagelog::Logger::TimestampNow timestamp_now,
                                     metrics::Registry& metrics)
    : options_(std::move(options)),
      database_(std::move(database)),
      can_log_(std::move(can_log)),
      timestamp_now_(std::move(timestamp_now)),
      metrics_(metrics) {}

MessageLogService::~MessageLogService() = default;

Status MessageLogService::start() {
  if (!options_.enabled) {
    log::info("message log off (variant slim)");
    return {};
  }
  ROADSIDE_TRY(messagelog::LoggingPolicy policy, messagelog::LoggingPolicy::from_options(options_.logging));
  if (options_.encryption_enabled) {
    if (options_.encryption_keys_file.empty()) {
      return Error(make_error_code(messagelog::errc::malformed),
                   "messagelog.encryption_enabled needs messagelog.encryption_keys_file (docs/message-log.md)");
    }
    ROADSIDE_TRY(messagelog::Sealer sealer, messagelog::Sealer::from_file(options_.encryption_keys_file));
    sealer_.emplace(std::move(sealer));
  }
  ROADSIDE_TRY(auto conn, open_database(database_));
  auto store = std::make_unique<messagelog::LogStore>(std::move(conn), sealer());
  writer_ = std::make_unique<messagelog::GroupWriter>(std::move(store), metrics_);
  logger_ = std::make_unique<messagelog::Logger>(*writer_, can_log_, std::move(policy), timestamp_now_);
  log::info("message log on", {{"body_logging", options_.logging.body_logging},
                               {"encryption", options_.encryption_enabled},
                               {"max_loggable_body_bytes", options_.logging.max_loggable_body_bytes},
                               {"timestamp_immediately", static_cast<bool>(timestamp_now_)}});
  return {};
}

Result<std::unique_ptr<messagelog::LogStore>> MessageLogService::open_store() const {
  ROADSIDE_TRY(auto conn, open_database(database_));
  return std::make_unique<messagelog::LogStore>(std::move(conn), sealer());
}

Result<std::vector<messagelog::RecordSummary>> MessageLogService::find(const std::string& query_id,
                                                                       std::size_t limit) const {
  ROADSIDE_TRY(auto store, open_store());
  return store->summaries_by_query_id(query_id, limit);
}

Result<std::optional<MessageLogService::Container>> MessageLogService::container(std::int64_t id,
                                                                                 std::uint64_t max_bytes) const {
  ROADSIDE_TRY(auto store, open_store());
  ROADSIDE_TRY(auto record, store->record(id));
  if (!record) return std::optional<Container>();
  if (!record->timestamp_id)
    return Error(std::make_error_code(std::errc::resource_unavailable_try_again),
                 "record " + std::to_string(id) + " waits for its time-stamp");
  auto made = messagelog::container_of(*store, *record, max_bytes);
  if (!made.ok() && made.error().code() == messagelog::errc::too_large)
    return Error(make_error_code(base::errc::too_large), made.error().detail());
  if (!made.ok()) return made.error();
  ROADSIDE_TRY(std::string bytes, made->write());
  return std::optional<Container>(
      Container{messagelog::asic_file_name(record->query_id, record->response, record->id), std::move(bytes)});
}

boost::asio::awaitable<void> MessageLogService::stop() {
  logger_.reset();
  writer_.reset();  // joins the writer's thread after it commits what is queued
  co_return;
}

}  // namespace roadside::server
