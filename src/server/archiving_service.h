// The message log's archiving and cleanup as a component: X-Road's LogArchiver and
// LogCleaner jobs on their cron schedules (messagelog.archive_interval, clean_interval), run
// on a thread of the component's own with a connection of their own (messagelog/archiver.h
// does the work). Not the database thread: a round of 32 MiB archives through gpg takes
// minutes, which configuration reloads and OCSP fetches must not wait for. A stop ends a
// round after the archive it is writing. In a cluster each job runs on one node at a time: a round starts only under
// its PostgreSQL advisory lease (storage::kArchiveLeaseKey, kCleanLeaseKey); on SQLite the leases are always held.
//
//   roadside_messagelog_archive_lag_seconds        age of the oldest time-stamped record not archived yet
//   roadside_messagelog_archives_written_total     archive files written
//   roadside_messagelog_records_archived_total     records archived
//   roadside_messagelog_records_cleaned_total      archived records deleted past keep_records_for_days
//   roadside_messagelog_archive_failures_total     archive rounds, and groups in them, that failed
//   roadside_messagelog_archive_transfer_failures_total  transfers (command or hook) that failed
//   roadside_messagelog_clean_failures_total       cleanup rounds that failed
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/clock.h"
#include "config/config.h"
#include "messagelog/archiver.h"
#include "messagelog/cron.h"
#include "messagelog/sealer.h"
#include "metrics/metrics.h"
#include "server/component.h"
#include "storage/cluster.h"
#include "storage/store.h"

namespace roadside::server {

struct ArchivingOptions {
  messagelog::CronSchedule archive_interval, clean_interval;
  messagelog::ArchiverOptions archiver;
  std::size_t clean_batch = 10'000;
  int keep_records_for_days = 30;

  // The messagelog.archive_* and clean_* options; an error names the option at fault (a cron
  // expression that does not parse, an unknown grouping).
  static Result<ArchivingOptions> from(const config::Config& config);
};

class ArchivingService final : public Component {
 public:
  // A new connection to the server's database (open_database of its options).
  using OpenConnection = std::function<Result<std::unique_ptr<storage::Connection>>()>;

  // `sealer` opens sealed records (may be null when none is configured) and must outlive
  // the service.
  ArchivingService(ArchivingOptions options, OpenConnection open, const messagelog::Sealer* sealer,
                   metrics::Registry& metrics, const Clock& clock = Clock::system());
  // Joins the thread when stop() did not.
  ~ArchivingService() override;

  std::string_view name() const override { return "messagelog_archiver"; }
  // Opens the service's connections (the archiver's and the two leases'), checks that gpg
  // and its home are there when encryption is on, and starts the thread and both schedules.
  Status start() override;
  // Ends a round in progress after the archive it is writing, and joins the thread.
  boost::asio::awaitable<void> stop() override;

  // Runs an archive round now (under the lease, on the service's thread), for an operator's
  // command and tests; the schedule goes on as before. Safe from any thread. Another node
  // holding the lease: an error saying so.
  std::future<Result<messagelog::ArchiveRound>> archive_now();
  // Runs cleanup now, likewise; the number of records deleted.
  std::future<Result<std::size_t>> clean_now();

 private:
  // The job a loop runs on its schedule.
  struct Job {
    const messagelog::CronSchedule& schedule;
    storage::Lease* lease;
    boost::asio::steady_timer& timer;
    std::function<void()> run;
  };
  boost::asio::awaitable<void> loop(Job job);
  Result<messagelog::ArchiveRound> archive_round();
  Result<std::size_t> clean_round();
  void refresh_lag();
  void join();

  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
  ArchivingOptions options_;
  OpenConnection open_;
  const messagelog::Sealer* sealer_;
  const Clock& clock_;
  // Used on the service's thread only, once start() has made them.
  std::unique_ptr<messagelog::LogStore> store_;
  std::unique_ptr<storage::Lease> archive_lease_, clean_lease_;
  boost::asio::steady_timer archive_timer_{io_}, clean_timer_{io_};
  // The oldest time-stamped, unarchived record's time (ms since the epoch), -1 when none.
  std::atomic<std::int64_t> oldest_unarchived_ms_{-1};
  metrics::Counter& archives_written_;
  metrics::Counter& records_archived_;
  metrics::Counter& records_cleaned_;
  metrics::Counter& archive_failures_;
  metrics::Counter& transfer_failures_;
  metrics::Counter& clean_failures_;
};

}  // namespace roadside::server
