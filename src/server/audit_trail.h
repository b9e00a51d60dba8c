// The audit trail: every audit record this process writes (log::audit) also stored in the
// database (admin/audit_log.h), where the console reads it.
//
//   AuditQueue  observes log::audit from its construction, before any component starts (so the
//               records of the server's own start are kept too), and holds at most `max`
//               records until they are taken; the rest it counts as dropped.
//   AuditTrail  the component: on the database thread, each second, stores what the queue holds
//               in one transaction; each hour deletes records older than
//               admin.audit_log_retention_days and all but the newest
//               admin.audit_log_max_records. At its stop, the stopping thread stores what is left.
//
// The audit stream (log.audit) is written first, whatever happens here: a record the database
// did not take is still there, and is counted (roadside_audit_trail_dropped_total) and logged.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
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

class AuditQueue {
 public:
  explicit AuditQueue(std::size_t max = 10'000);
  // Stops observing.
  ~AuditQueue();
  AuditQueue(const AuditQueue&) = delete;
  AuditQueue& operator=(const AuditQueue&) = delete;

  // What waits, oldest first; the queue is then empty.
  std::vector<admin::AuditLine> take();
  // Records dropped since the last call (the queue was full).
  std::uint64_t take_dropped();

 private:
  const std::size_t max_;
  Mutex mu_;
  std::vector<admin::AuditLine> lines_ GUARDED_BY(mu_);
  std::uint64_t dropped_ GUARDED_BY(mu_) = 0;
};

struct AuditTrailOptions {
  int retention_days = 180;  // 0: kept for ever
  std::size_t max_records = 1'000'000;
  std::chrono::milliseconds every{1000};  // how often the queue is stored
  std::chrono::milliseconds clean_every{3'600'000};

  static AuditTrailOptions from(const config::Config& config);
};

class AuditTrail final : public Component {
 public:
  // `db_io`: the database thread, where the queue is stored.
  AuditTrail(AuditTrailOptions options, AuditQueue& queue, storage::Store& store, boost::asio::io_context& db_io,
             metrics::Registry& metrics);

  std::string_view name() const override { return "audit_trail"; }
  // Starts the loop that stores the queue.
  Status start() override;
  // Ends the loop and stores what is queued.
  boost::asio::awaitable<void> stop() override;

 private:
  // Stores what is queued; one flush at a time.
  void flush();
  void clean();
  boost::asio::awaitable<void> run();

  AuditTrailOptions options_;
  AuditQueue& queue_;
  storage::Store& store_;
  boost::asio::io_context& db_io_;
  metrics::Counter& stored_;
  metrics::Counter& dropped_;
  Mutex flush_mu_;  // held while a batch is stored, so batches keep their order
  boost::asio::steady_timer timer_;
  std::atomic<bool> stopped_{false};
  Clock::time_point next_clean_{};  // (the database thread's)
};

}  // namespace roadside::server
