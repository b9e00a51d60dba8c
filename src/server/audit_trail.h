// The audit trail as a component: every audit record this process writes (log::audit) is also
// stored in the database (admin/audit_log.h), where the console reads it. Records wait in a
// bounded queue and are stored by the database thread each second, in one transaction; records
// older than admin.audit_log_retention_days are deleted each hour. The audit stream (log.audit)
// is written first and whatever happens here: a record the database could not take is still
// there, and is counted (roadside_audit_trail_dropped_total) and logged.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "admin/audit_log.h"
#include "base/thread_annotations.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "server/component.h"
#include "storage/store.h"

namespace roadside::server {

struct AuditTrailOptions {
  int retention_days = 180;                       // 0: kept for ever
  std::size_t max_queued = 10'000;                // records waiting for the database at most
  std::chrono::milliseconds every{1000};          // how often the queue is stored
  std::chrono::milliseconds clean_every{3'600'000};

  static AuditTrailOptions from(const config::Config& config);
};

class AuditTrail final : public Component {
 public:
  // `db_io`: the database thread, where the queue is stored.
  AuditTrail(AuditTrailOptions options, storage::Store& store, boost::asio::io_context& db_io,
             metrics::Registry& metrics);
  ~AuditTrail() override;

  std::string_view name() const override { return "audit_trail"; }
  // Starts observing audit records and the loop that stores them.
  Status start() override;
  // Stops observing, ends the loop and stores what is queued.
  boost::asio::awaitable<void> stop() override;

 private:
  void take(Clock::time_point time, const nlohmann::json& record);
  // Stores what is queued; one flush at a time.
  void flush();
  void clean();
  boost::asio::awaitable<void> run();

  AuditTrailOptions options_;
  storage::Store& store_;
  boost::asio::io_context& db_io_;
  metrics::Counter& stored_;
  metrics::Counter& dropped_;
  Mutex mu_;
  std::vector<admin::AuditLine> queue_ GUARDED_BY(mu_);
  Mutex flush_mu_;  // held while a batch is stored, so batches keep their order
  boost::asio::steady_timer timer_;
  std::atomic<bool> stopped_{false};
  Clock::time_point next_clean_{};
};

}  // namespace roadside::server
