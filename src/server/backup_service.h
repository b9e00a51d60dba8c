// The automatic backup as a component: X-Road's proxy-configuration-backup-cron (backup.cron,
// daily at 03:15 UTC unless set) makes an ss-automatic-backup-* of the configuration and keys
// (serverbackup::back_up), then deletes automatic backups older than backup.keep_days. On a
// thread of its own: an encrypted backup waits on gpg. In a cluster one node backs up at a time
// (storage::kBackupLeaseKey; on SQLite the lease is always held). A round that fails (the token
// logged out, a full disk) is logged and counted, and the next one comes at its time.
//
//   roadside_backups_total{result="ok|failed"}    automatic backups made, and those that failed
//   roadside_backups_pruned_total                 automatic backups deleted for their age
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "config/config.h"
#include "messagelog/cron.h"
#include "metrics/metrics.h"
#include "server/component.h"
#include "serverbackup/backups.h"
#include "signer/token.h"
#include "storage/cluster.h"

namespace roadside::server {

struct BackupServiceOptions {
  serverbackup::BackupOptions backups;
  std::optional<messagelog::CronSchedule> schedule;  // none: no automatic backups
  std::chrono::hours keep{24 * 30};

  // The backup.* options (backup.dir defaults to <data_dir>/backups); an error names the option
  // at fault (a cron expression that does not parse).
  static Result<BackupServiceOptions> from(const config::Config& config);
};

class BackupService final : public Component {
 public:
  using OpenConnection = std::function<Result<std::unique_ptr<storage::Connection>>()>;

  BackupService(BackupServiceOptions options, storage::Store& store, const signer::KeySource& keys,
                OpenConnection open_lease, metrics::Registry& metrics);
  ~BackupService() override;

  std::string_view name() const override { return "backups"; }
  // Opens the lease's connection and starts the thread (nothing when no schedule is set).
  Status start() override;
  boost::asio::awaitable<void> stop() override;

  // One automatic backup and pruning, now, on the caller's thread (tests, an operator).
  Result<std::filesystem::path> back_up_now();

 private:
  void run();

  BackupServiceOptions options_;
  storage::Store& store_;
  const signer::KeySource& keys_;
  OpenConnection open_lease_;
  std::unique_ptr<storage::Lease> lease_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopped_ = false;  // guarded by mu_
  std::thread thread_;
  metrics::Counter& ok_;
  metrics::Counter& failed_;
  metrics::Counter& pruned_;
};

}  // namespace roadside::server
