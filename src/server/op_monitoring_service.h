// Operational monitoring as a component (opmon/): the recorder on a database connection of
// its own, which the proxies hand each message's operational data to, and the health data
// kept in memory. On in both variants unless opmon.enabled is false; X-Road's op-monitor
// parameters set its buffer, retention and the answers' limits.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "config/config.h"
#include "metrics/metrics.h"
#include "opmon/health.h"
#include "opmon/op_store.h"
#include "opmon/recorder.h"
#include "server/component.h"
#include "server/database.h"

namespace roadside::server {

struct OpMonitoringOptions {
  bool enabled = true;
  opmon::RecorderOptions recorder;
  std::chrono::seconds health_period{600};
  std::size_t max_records_in_payload = 10'000;
  std::int64_t records_available_offset_s = 60;

  static OpMonitoringOptions from(const config::Config& config);
};

class OpMonitoringService final : public Component {
 public:
  OpMonitoringService(OpMonitoringOptions options, DatabaseOptions database, metrics::Registry& metrics);
  ~OpMonitoringService() override;

  std::string_view name() const override { return "opmon"; }
  // Opens the recorder's connection and starts its thread (nothing when off).
  Status start() override;
  // Writes what is buffered and stops the recorder's thread; records handed to it later are
  // dropped and counted.
  boost::asio::awaitable<void> stop() override;

  // What the proxies hand each message's record to (ProxyContext::op_monitor); null when off.
  std::function<void(opmon::OpRecord)> monitor();
  const OpMonitoringOptions& options() const { return options_; }
  // Null when off.
  const opmon::HealthData* health() const { return health_.get(); }
  // A store on a connection of its own, for one query.
  Result<std::unique_ptr<opmon::OpStore>> open_store() const;

 private:
  OpMonitoringOptions options_;
  DatabaseOptions database_;
  metrics::Registry& metrics_;
  std::unique_ptr<opmon::HealthData> health_;
  std::unique_ptr<opmon::Recorder> recorder_;
};

}  // namespace roadside::server
