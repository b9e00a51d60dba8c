#include "server/backup_service.h"

#include "base/clock.h"
#include "base/log.h"

namespace roadside::server {

namespace {

// Words of a list separated by commas or white space.
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text + ",") {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!word.empty()) out.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  return out;
}

}  // namespace

Result<BackupServiceOptions> BackupServiceOptions::from(const config::Config& c) {
  BackupServiceOptions o;
  const std::string& dir = c.str("backup.dir");
  o.backups.dir = dir.empty() ? std::filesystem::path(c.str("data_dir")) / "backups" : std::filesystem::path(dir);
  o.backups.encrypt_to = words(c.str("backup.encrypt_to"));
  o.backups.gpg.home = c.str("backup.gpg_home");
  o.backups.gpg.gpg = c.str("backup.gpg");
  if (!o.backups.encrypt_to.empty() && o.backups.gpg.home.empty())
    return Error(make_error_code(config::errc::invalid_value),
                 "backup.encrypt_to needs backup.gpg_home, the keyring with the recipients' public keys");
  if (const std::string& cron = c.str("backup.cron"); !cron.empty()) {
    auto schedule = messagelog::CronSchedule::parse(cron);
    if (!schedule.ok())
      return Error(make_error_code(config::errc::invalid_value), "backup.cron: " + schedule.error().detail());
    o.schedule = std::move(schedule).value();
  }
  o.keep = std::chrono::hours(24 * c.integer("backup.keep_days"));
  return o;
}

BackupService::BackupService(BackupServiceOptions options, storage::Store& store, const signer::KeySource& keys,
                             OpenConnection open_lease, metrics::Registry& metrics)
    : options_(std::move(options)),
      store_(store),
      keys_(keys),
      open_lease_(std::move(open_lease)),
      ok_(metrics.counter("roadside_backups_total", "Automatic backups made, by result", {{"result", "ok"}})),
      failed_(metrics.counter("roadside_backups_total", "Automatic backups made, by result", {{"result", "failed"}})),
      pruned_(metrics.counter("roadside_backups_pruned_total", "Automatic backups deleted for their age")) {}

BackupService::~BackupService() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status BackupService::start() {
  if (!options_.schedule) {
    log::info("no automatic backups (backup.cron is empty)");
    return {};
  }
  ROADSIDE_TRY(auto conn, open_lease_());
  lease_ = std::make_unique<storage::Lease>(std::move(conn), storage::kBackupLeaseKey);
  thread_ = std::thread([this] { run(); });
  return {};
}

boost::asio::awaitable<void> BackupService::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  co_return;
}

Result<std::filesystem::path> BackupService::back_up_now() {
  auto made = serverbackup::back_up(store_, keys_, options_.backups, serverbackup::BackupKind::automatic);
  if (!made.ok()) {
    failed_.inc();
    log::error("the automatic backup failed", {{"error", made.error().to_string()}});
    return made;
  }
  ok_.inc();
  log::info("automatic backup made", {{"file", made->string()}});
  auto pruned = serverbackup::prune_automatic(options_.backups.dir, options_.keep, std::chrono::system_clock::now());
  if (!pruned.ok()) {
    log::error("old automatic backups could not be deleted", {{"error", pruned.error().to_string()}});
  } else if (*pruned > 0) {
    pruned_.inc(static_cast<std::uint64_t>(*pruned));
    log::info("old automatic backups deleted", {{"count", *pruned}});
  }
  return made;
}

void BackupService::run() {
  while (true) {
    const auto next = options_.schedule->next_after(std::chrono::system_clock::now());
    if (!next) {
      log::warn("backup.cron names no time to come: no more automatic backups",
                {{"schedule", options_.schedule->text()}});
      return;
    }
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_until(lock, *next, [this] { return stopped_; })) return;
    }
    if (std::chrono::system_clock::now() < *next) continue;  // (woken early by the clock)
    if (!lease_->hold()) continue;                           // another node backs up
    (void)back_up_now();
  }
}

}  // namespace roadside::server
