#include "server/audit_trail.h"

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"

namespace roadside::server {

// Records deleted in one statement at most.
constexpr std::size_t kCleanBatch = 10'000;

AuditQueue::AuditQueue(std::size_t max) : max_(max) {
  log::observe_audit([this](Clock::time_point time, const nlohmann::json& record) {
    MutexLock lock(mu_);
    // (Nothing is logged here: the observer runs under the audit stream's lock.)
    if (lines_.size() >= max_) {
      ++dropped_;
      return;
    }
    lines_.push_back({time, record});
  });
}

AuditQueue::~AuditQueue() {
  log::observe_audit({});
}

std::vector<admin::AuditLine> AuditQueue::take() {
  std::vector<admin::AuditLine> out;
  MutexLock lock(mu_);
  out.swap(lines_);
  return out;
}

std::uint64_t AuditQueue::take_dropped() {
  MutexLock lock(mu_);
  return std::exchange(dropped_, 0);
}

AuditTrailOptions AuditTrailOptions::from(const config::Config& config) {
  AuditTrailOptions o;
  o.retention_days = static_cast<int>(config.integer("admin.audit_log_retention_days"));
  o.max_records = static_cast<std::size_t>(config.integer("admin.audit_log_max_records"));
  return o;
}

AuditTrail::AuditTrail(AuditTrailOptions options, AuditQueue& queue, storage::Store& store,
                       boost::asio::io_context& db_io, metrics::Registry& metrics)
    : options_(options),
      queue_(queue),
      store_(store),
      db_io_(db_io),
      stored_(metrics.counter("roadside_audit_trail_stored_total", "Audit records stored in the database")),
      dropped_(metrics.counter("roadside_audit_trail_dropped_total",
                               "Audit records the database did not take (they are in the audit stream)")),
      timer_(db_io) {}

Status AuditTrail::start() {
  boost::asio::co_spawn(db_io_, run(), boost::asio::detached);
  return {};
}

void AuditTrail::flush() {
  MutexLock order(flush_mu_);
  if (const auto full = queue_.take_dropped(); full > 0) {
    dropped_.inc(full);
    log::warn("audit records not stored in the database: its queue was full (they are in the audit stream)",
              {{"records", full}});
  }
  const auto batch = queue_.take();
  if (batch.empty()) return;
  if (auto st = admin::append_audit_lines(store_, batch); !st.ok()) {
    dropped_.inc(batch.size());
    log::warn("audit records not stored in the database (they are in the audit stream)",
              {{"records", batch.size()}, {"error", st.error().detail()}});
    return;
  }
  stored_.inc(batch.size());
}

void AuditTrail::clean() {
  const auto now = Clock::system().now();
  if (now < next_clean_) return;
  next_clean_ = now + options_.clean_every;
  std::size_t deleted = 0;
  if (options_.retention_days > 0) {
    auto old =
        admin::delete_audit_lines_before(store_, now - std::chrono::hours(24) * options_.retention_days, kCleanBatch);
    if (!old.ok()) log::warn("cannot delete old audit records", {{"error", old.error().detail()}});
    deleted += old.value_or(0);
  }
  auto beyond = admin::delete_audit_lines_beyond(store_, options_.max_records, kCleanBatch);
  if (!beyond.ok()) log::warn("cannot delete audit records past the most kept", {{"error", beyond.error().detail()}});
  deleted += beyond.value_or(0);
  if (deleted > 0) {
    log::info(
        "audit records deleted from the database",
        {{"records", deleted}, {"retention_days", options_.retention_days}, {"max_records", options_.max_records}});
    // A full batch: more may be due, the next round goes on at once.
    if (deleted >= kCleanBatch) next_clean_ = now;
  }
}

boost::asio::awaitable<void> AuditTrail::run() {
  while (!stopped_) {
    flush();
    clean();
    if (stopped_) break;  // (stop() set it before posting the cancel this wait would miss)
    timer_.expires_after(options_.every);
    boost::system::error_code ec;
    co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
}

boost::asio::awaitable<void> AuditTrail::stop() {
  stopped_ = true;
  boost::asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
  flush();  // what came in since the last round
  co_return;
}

}  // namespace roadside::server
