#include "server/archiving_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unistd.h>

#include "base/errors.h"
#include "base/log.h"
#include "messagelog/s3_transfer.h"

namespace roadside::server {

namespace asio = boost::asio;
using std::chrono::system_clock;

namespace {

Error invalid(std::string detail) {
  return Error(make_error_code(config::errc::invalid_value), std::move(detail));
}

// A schedule's option, parsed; the error names the option.
Result<messagelog::CronSchedule> schedule_of(const config::Config& c, std::string_view option) {
  auto s = messagelog::CronSchedule::parse(c.str(option));
  if (!s.ok()) return invalid(std::string(option) + ": " + s.error().detail());
  if (!s->next_after(system_clock::now()))
    return invalid(std::string(option) + ": \"" + c.str(option) + "\" names no time to come");
  return s;
}

// The lag's refresh between rounds: records become time-stamped all the time.
constexpr std::chrono::seconds kLagRefresh{60};

}  // namespace

Result<ArchivingOptions> ArchivingOptions::from(const config::Config& c) {
  ROADSIDE_TRY(messagelog::CronSchedule archive, schedule_of(c, "messagelog.archive_interval"));
  ROADSIDE_TRY(messagelog::CronSchedule clean, schedule_of(c, "messagelog.clean_interval"));
  ArchivingOptions o{std::move(archive),
                     std::move(clean),
                     {},
                     static_cast<std::size_t>(c.integer("messagelog.clean_transaction_batch")),
                     static_cast<int>(c.integer("messagelog.keep_records_for_days"))};
  const std::filesystem::path data_dir = c.str("data_dir");
  messagelog::ArchiverOptions& a = o.archiver;
  a.directory = c.is_set("messagelog.archive_path") ? std::filesystem::path(c.str("messagelog.archive_path"))
                                                    : data_dir / "messagelog" / "archive";
  auto grouping = messagelog::parse_archive_grouping(c.str("messagelog.archive_grouping"));
  if (!grouping.ok()) return invalid("messagelog.archive_grouping: " + grouping.error().detail());
  a.grouping = *grouping;
  a.max_file_size = static_cast<std::uint64_t>(c.integer("messagelog.archive_max_filesize"));
  a.batch = static_cast<std::size_t>(c.integer("messagelog.archive_transaction_batch"));
  a.transfer_command = c.str("messagelog.archive_transfer_command");
  // The server's secrets stay out of gpg's and the transfer command's environment.
  for (const auto& option : config::options()) {
    if (option.secret && !option.env.empty()) a.secret_env.emplace_back(option.env);
  }
  if (c.boolean("messagelog.archive_encryption_enabled")) {
    messagelog::ArchiveEncryption e;
    e.gpg_home = c.is_set("messagelog.archive_gpg_home") ? std::filesystem::path(c.str("messagelog.archive_gpg_home"))
                                                         : data_dir / "messagelog" / "gpghome";
    e.keys_config = c.str("messagelog.archive_encryption_keys_config");
    e.default_key = c.str("messagelog.archive_default_encryption_key");
    a.encryption = std::move(e);
  }
  // Transfer to S3-compatible object storage (docs/message-log.md, Transfer to S3).
  if (c.is_set("messagelog.archive_s3_endpoint")) {
    messagelog::S3Target s3;
    s3.endpoint = c.str("messagelog.archive_s3_endpoint");
    s3.region = c.str("messagelog.archive_s3_region");
    s3.bucket = c.str("messagelog.archive_s3_bucket");
    s3.prefix = c.str("messagelog.archive_s3_prefix");
    s3.access_key_id = c.str("messagelog.archive_s3_access_key_id");
    s3.secret_access_key = c.str("messagelog.archive_s3_secret_access_key");
    s3.ca_file = c.str("messagelog.archive_s3_ca_file");
    s3.path_style = c.boolean("messagelog.archive_s3_path_style");
    s3.delete_local = c.boolean("messagelog.archive_s3_delete_local");
    if (auto st = messagelog::check_s3_target(s3); !st.ok())
      return invalid("messagelog.archive_s3_*: " + st.error().detail());
    a.transfer = messagelog::make_s3_transfer(std::move(s3));
  }
  return o;
}

ArchivingService::ArchivingService(ArchivingOptions options, OpenConnection open, const messagelog::Sealer* sealer,
                                   metrics::Registry& metrics, const Clock& clock)
    : options_(std::move(options)),
      open_(std::move(open)),
      sealer_(sealer),
      clock_(clock),
      archives_written_(
          metrics.counter("roadside_messagelog_archives_written_total", "Message-log archive files written")),
      records_archived_(metrics.counter("roadside_messagelog_records_archived_total", "Message-log records archived")),
      records_cleaned_(
          metrics.counter("roadside_messagelog_records_cleaned_total",
                          "Archived message-log records deleted from the database past keep_records_for_days")),
      archive_failures_(metrics.counter("roadside_messagelog_archive_failures_total",
                                        "Message-log archive rounds, and archive groups in them, that failed")),
      transfer_failures_(metrics.counter("roadside_messagelog_archive_transfer_failures_total",
                                         "Transfers of written message-log archives (command or upload) that failed")),
      clean_failures_(
          metrics.counter("roadside_messagelog_clean_failures_total", "Message-log cleanup rounds that failed")) {
  metrics.gauge_fn("roadside_messagelog_archive_lag_seconds",
                   "Age of the oldest time-stamped message-log record not archived yet (0 when none)", [this] {
                     const std::int64_t ms = oldest_unarchived_ms_.load();
                     if (ms < 0) return 0.0;
                     const auto age = clock_.now() - system_clock::time_point(std::chrono::milliseconds(ms));
                     return std::max(0.0, std::chrono::duration<double>(age).count());
                   });
  options_.archiver.cancelled = &stopped_;
}

ArchivingService::~ArchivingService() {
  stopped_ = true;
  join();
}

void ArchivingService::join() {
  work_.reset();
  if (thread_.joinable()) {
    asio::post(io_, [this] {
      archive_timer_.cancel();
      clean_timer_.cancel();
    });
    thread_.join();
  }
}

Status ArchivingService::start() {
  if (const auto& enc = options_.archiver.encryption) {
    if (::access(enc->gpg.c_str(), X_OK) != 0) {
      return invalid("messagelog.archive_encryption_enabled: " + enc->gpg.string() +
                     " is not there (Debian's gnupg package)");
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(enc->gpg_home, ec)) {
      return invalid("messagelog.archive_gpg_home: " + enc->gpg_home.string() +
                     " is not a directory (a GnuPG home with the signing key)");
    }
  }
  ROADSIDE_TRY(auto connection, open_());
  store_ = std::make_unique<messagelog::LogStore>(std::move(connection), sealer_);
  ROADSIDE_TRY(auto archive_lease, open_());
  archive_lease_ = std::make_unique<storage::Lease>(std::move(archive_lease), storage::kArchiveLeaseKey);
  ROADSIDE_TRY(auto clean_lease, open_());
  clean_lease_ = std::make_unique<storage::Lease>(std::move(clean_lease), storage::kCleanLeaseKey);
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
  asio::post(io_, [this] { refresh_lag(); });
  asio::co_spawn(
      io_, loop({options_.archive_interval, archive_lease_.get(), archive_timer_, [this] { (void)archive_round(); }}),
      asio::detached);
  asio::co_spawn(io_,
                 loop({options_.clean_interval, clean_lease_.get(), clean_timer_, [this] { (void)clean_round(); }}),
                 asio::detached);
  log::info("message-log archiving scheduled", {{"archive_interval", options_.archive_interval.text()},
                                                {"clean_interval", options_.clean_interval.text()},
                                                {"archive_path", options_.archiver.directory.string()}});
  return {};
}

asio::awaitable<void> ArchivingService::stop() {
  stopped_ = true;
  join();
  co_return;
}

asio::awaitable<void> ArchivingService::loop(Job job) {
  while (!stopped_) {
    const auto now = clock_.now();
    const auto next = job.schedule.next_after(now);
    if (!next) {
      log::warn("a message-log schedule names no time to come: the job stops", {{"schedule", job.schedule.text()}});
      co_return;
    }
    // Woken at least every minute to refresh the lag gauge; the round waits for its time.
    const auto wait = std::min<std::chrono::steady_clock::duration>(*next - now, kLagRefresh);
    job.timer.expires_after(wait);
    boost::system::error_code ec;
    co_await job.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    if (clock_.now() < *next) {
      refresh_lag();
      continue;
    }
    job.run();
  }
}

Result<messagelog::ArchiveRound> ArchivingService::archive_round() {
  if (!store_) return Error(make_error_code(base::errc::io_error), "the message-log archiver has not started");
  if (!archive_lease_->hold()) {
    return Error(make_error_code(base::errc::io_error),
                 "another node of the cluster archives the message log (it holds the archive lease)");
  }
  messagelog::Archiver archiver(*store_, options_.archiver, clock_);
  auto round = archiver.run();
  if (!round.ok()) {
    archive_failures_.inc();
    log::error("message-log archiving failed", {{"error", round.error().detail()}});
  } else {
    archives_written_.inc(round->files.size());
    records_archived_.inc(round->records);
    archive_failures_.inc(round->failures.size());
    transfer_failures_.inc(round->transfer_failures.size());
    if (!round->files.empty()) {
      log::info("message-log archive round done", {{"archives", round->files.size()}, {"records", round->records}});
    }
  }
  refresh_lag();
  return round;
}

Result<std::size_t> ArchivingService::clean_round() {
  if (!store_) return Error(make_error_code(base::errc::io_error), "the message-log archiver has not started");
  if (!clean_lease_->hold()) {
    return Error(make_error_code(base::errc::io_error),
                 "another node of the cluster cleans the message log (it holds the clean lease)");
  }
  const auto before = clock_.now() - std::chrono::days(options_.keep_records_for_days);
  auto cleaned = messagelog::clean_archived(*store_, before, options_.clean_batch);
  if (!cleaned.ok()) {
    clean_failures_.inc();
    log::error("message-log cleanup failed", {{"error", cleaned.error().detail()}});
    return cleaned;
  }
  records_cleaned_.inc(*cleaned);
  if (*cleaned > 0)
    log::info("message-log records cleaned",
              {{"records", *cleaned}, {"keep_records_for_days", options_.keep_records_for_days}});
  return cleaned;
}

void ArchivingService::refresh_lag() {
  if (!store_) return;
  auto oldest = store_->oldest_unarchived();
  if (!oldest.ok()) return;  // the next refresh tries again; the database's readiness check reports it
  oldest_unarchived_ms_ =
      *oldest ? std::chrono::duration_cast<std::chrono::milliseconds>((*oldest)->time_since_epoch()).count() : -1;
}

std::future<Result<messagelog::ArchiveRound>> ArchivingService::archive_now() {
  auto done = std::make_shared<std::promise<Result<messagelog::ArchiveRound>>>();
  auto future = done->get_future();
  if (stopped_ || !thread_.joinable()) {
    done->set_value(Error(make_error_code(base::errc::io_error), "the message-log archiver is not running"));
    return future;
  }
  asio::post(io_, [this, done] { done->set_value(archive_round()); });
  return future;
}

std::future<Result<std::size_t>> ArchivingService::clean_now() {
  auto done = std::make_shared<std::promise<Result<std::size_t>>>();
  auto future = done->get_future();
  if (stopped_ || !thread_.joinable()) {
    done->set_value(Error(make_error_code(base::errc::io_error), "the message-log archiver is not running"));
    return future;
  }
  asio::post(io_, [this, done] { done->set_value(clean_round()); });
  return future;
}

}  // namespace roadside::server
