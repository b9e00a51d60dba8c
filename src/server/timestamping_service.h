// The message log's time-stamping as a component (messagelog/timestamping.h holds the logic).
// A loop on the database thread runs a round when one is due, X-Road's TimestamperJob:
//   - every interval (global configuration's timeStampingIntervalSeconds held to [60, 86400],
//     or messagelog.timestamping_interval_s), the oldest waiting records, up to
//     messagelog.timestamp_records_limit, in one time-stamp; a full batch is followed by
//     another at once;
//   - while time-stamping fails, one record every timestamp-retry-delay; at the first success
//     back to the interval, with a full round at once (X-Road's onSuccess). So traffic that
//     the failure stopped resumes within one retry delay (at most one interval) of a TSA
//     answering again, without a restart.
// In a cluster, only the node holding the time-stamping lease (a PostgreSQL advisory lock on a
// connection of its own) runs rounds; every node reads the shared failure state, the
// configured services and the waiting count from the database every few seconds, and decides
// by them whether its proxies take messages (health(), check()).
//
// Readiness "timestamping": not ready while messages are refused (no service configured, or
// time-stamping failing past messagelog.timestamp_failure_period_s); X-Road's health check
// reports it too (xroad_health.h). Metrics:
//   roadside_messagelog_records_waiting            records without a time-stamp (whole database)
//   roadside_messagelog_last_timestamp_seconds     unix time of the last successful round (0: none yet)
//   roadside_messagelog_timestamp_failures_total   rounds of this node that no service answered
//   roadside_timestamping_lease_held               1 while this node time-stamps for its cluster
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/clock.h"
#include "base/thread_annotations.h"
#include "config/config.h"
#include "messagelog/timestamping.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "server/component.h"
#include "server/globalconf_service.h"
#include "server/readiness.h"
#include "storage/cluster.h"
#include "storage/store.h"

namespace roadside::server {

struct TimestampingServiceOptions {
  std::size_t records_limit = 10'000;                 // messagelog.timestamp_records_limit
  std::chrono::seconds failure_period{14'400};        // messagelog.timestamp_failure_period_s
  std::chrono::seconds interval_override{0};          // messagelog.timestamping_interval_s (0: global configuration's)
  std::chrono::seconds retry_delay{60};               // messagelog.timestamp_retry_delay_s
  bool immediately = false;                           // messagelog.timestamp_immediately
  std::chrono::milliseconds connect_timeout{20'000};  // messagelog.timestamper_connect_timeout_ms
  std::chrono::milliseconds read_timeout{60'000};     // messagelog.timestamper_read_timeout_ms
  // How often every node reads the shared state (and a node off the lease asks for it).
  std::chrono::milliseconds state_refresh{5'000};

  static TimestampingServiceOptions from(const config::Config& config);
};

class TimestampingService final : public Component {
 public:
  using Connect = std::function<Result<std::unique_ptr<storage::Connection>>()>;

  // `db_io` runs the loop, its database work and its TSA requests (the database thread).
  // `connect` opens connections to the server's database (open_database): one for the job and,
  // on a cluster node (`clustered`), one that holds the lease. `store` is the Database's, where
  // the configured time-stamping services are (admin/timestamping.h). Registers the readiness
  // check and the metrics.
  TimestampingService(boost::asio::io_context& db_io, Connect connect, bool clustered, storage::Store& store,
                      GlobalconfService& globalconf, TimestampingServiceOptions options, metrics::Registry& metrics,
                      Readiness& readiness, const Clock& clock = Clock::system());

  std::string_view name() const override { return "timestamping"; }
  // Opens the connections (an error stops the start), reads the shared state once, so the
  // first message is judged by it, and starts the loop.
  Status start() override;
  // Ends the loop; a round in flight finishes first, within the TSA timeouts (the database
  // thread's stop waits for it, as for an OCSP fetch).
  boost::asio::awaitable<void> stop() override;

  // For the proxies, before a message is taken (X-Road's verifyCanLogMessage): ok, or
  // messagelog::errc::no_timestamping_provider / timestamping_failed. Thread-safe and cheap
  // (atomics only); never waits.
  Status check() const { return health_.check(clock_.now()); }
  const messagelog::TimestampingHealth& health() const { return health_; }

  // messagelog.timestamp_immediately: whether the logger calls timestamp_now() for each record.
  bool timestamp_immediately() const { return options_.immediately; }
  // Time-stamps record `record_id` (its signature document `signature`) at once, alone; for the
  // logger after it committed the record, from any executor (the work runs on the database
  // thread). errc::timestamping_failed when no service gave a token: the message then fails.
  // REQUIRES: start() succeeded (the application starts this component before the proxies).
  boost::asio::awaitable<Status> timestamp_now(std::int64_t record_id, std::string signature);

  // Starts a round now if this node holds the lease; safe from any thread.
  void run_now();

 private:
  boost::asio::awaitable<void> loop();
  // Reads what every node reads: the configured services, the shared state, the waiting
  // count; and whether this node holds the lease.
  void refresh();
  messagelog::TsaSetup setup() const;
  std::chrono::seconds delay(bool failing) const;

  boost::asio::io_context& db_io_;
  Connect connect_;
  const bool clustered_;
  storage::Store& store_;
  GlobalconfService& globalconf_;
  const TimestampingServiceOptions options_;
  const Clock& clock_;
  messagelog::TimestampingHealth health_;
  net::HttpClient http_;  // on the database thread
  std::unique_ptr<messagelog::LogStore> log_;
  std::unique_ptr<storage::Lease> lease_;  // a cluster node's; null: always time-stamps
  std::unique_ptr<messagelog::Timestamping> job_;
  boost::asio::steady_timer timer_;  // on the database thread
  std::atomic<bool> stopped_{false};
  std::atomic<bool> again_{false};
  std::atomic<bool> lease_held_{false};
  bool refresh_failed_ = false;  // the last refresh could not read everything (on the database thread)
  mutable Mutex mu_;
  std::vector<messagelog::TsaService> services_ GUARDED_BY(mu_);
  metrics::Gauge& waiting_;
  metrics::Counter& failures_;
};

}  // namespace roadside::server
