#include "server/op_monitoring_service.h"

#include "base/log.h"

namespace roadside::server {

OpMonitoringOptions OpMonitoringOptions::from(const config::Config& c) {
  OpMonitoringOptions o;
  o.enabled = c.boolean("opmon.enabled");
  o.recorder.buffer = static_cast<std::size_t>(c.integer("opmon.buffer_size"));
  o.recorder.keep = std::chrono::hours(24 * c.integer("opmon.keep_records_for_days"));
  o.health_period = std::chrono::seconds(c.integer("opmon.health_statistics_period_seconds"));
  o.max_records_in_payload = static_cast<std::size_t>(c.integer("opmon.max_records_in_payload"));
  o.records_available_offset_s = c.integer("opmon.records_available_timestamp_offset_seconds");
  return o;
}

OpMonitoringService::OpMonitoringService(OpMonitoringOptions options, DatabaseOptions database,
                                         metrics::Registry& metrics)
    : options_(options), database_(std::move(database)), metrics_(metrics) {}

OpMonitoringService::~OpMonitoringService() = default;

Status OpMonitoringService::start() {
  if (!options_.enabled || options_.recorder.buffer == 0) {
    log::info("operational monitoring off");
    return {};
  }
  ROADSIDE_TRY(auto conn, open_database(database_));
  health_ = std::make_unique<opmon::HealthData>(options_.health_period);
  recorder_ =
      std::make_unique<opmon::Recorder>(std::make_unique<opmon::OpStore>(std::move(conn)), metrics_, options_.recorder);
  log::info("operational monitoring on", {{"buffer_size", options_.recorder.buffer},
                                          {"keep_records_for_days", options_.recorder.keep.count() / 24}});
  return {};
}

boost::asio::awaitable<void> OpMonitoringService::stop() {
  // Writes what is buffered and joins the thread; the recorder itself lives on with the
  // component, so a session the drain deadline cut short can still hand it a record (dropped
  // and counted).
  if (recorder_) recorder_->stop();
  co_return;
}

std::function<void(opmon::OpRecord)> OpMonitoringService::monitor() {
  if (!recorder_) return {};
  return [recorder = recorder_.get(), health = health_.get()](opmon::OpRecord r) {
    health->add(r);
    recorder->record(std::move(r));
  };
}

Result<std::unique_ptr<opmon::OpStore>> OpMonitoringService::open_store() const {
  ROADSIDE_TRY(auto conn, open_database(database_));
  return std::make_unique<opmon::OpStore>(std::move(conn));
}

}  // namespace roadside::server
