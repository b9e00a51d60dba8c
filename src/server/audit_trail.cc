#include "server/audit_trail.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"

namespace roadside::server {

// Records stored or deleted in one statement at most.
constexpr std::size_t kCleanBatch = 10'000;

AuditTrailOptions AuditTrailOptions::from(const config::Config& config) {
  AuditTrailOptions o;
  o.retention_days = static_cast<int>(config.integer("admin.audit_log_retention_days"));
  return o;
}

AuditTrail::AuditTrail(AuditTrailOptions options, storage::Store& store, boost::asio::io_context& db_io,
                       metrics::Registry& metrics)
    : options_(options),
      store_(store),
      db_io_(db_io),
      stored_(metrics.counter("roadside_audit_trail_stored_total", "Audit records stored in the database")),
      dropped_(metrics.counter("roadside_audit_trail_dropped_total",
                               "Audit records the database did not take (they are in the audit stream)")),
      timer_(db_io) {}

AuditTrail::~AuditTrail() { log::observe_audit({}); }

Status AuditTrail::start() {
  log::observe_audit([this](Clock::time_point time, const nlohmann::json& record) { take(time, record); });
  boost::asio::co_spawn(db_io_, run(), boost::asio::detached);
  return {};
}

void AuditTrail::take(Clock::time_point time, const nlohmann::json& record) {
  MutexLock lock(mu_);
  if (queue_.size() >= options_.max_queued) {
    dropped_.inc();  // (not logged here: the observer runs under the audit stream's lock)
    return;
  }
  queue_.push_back({time, record});
}

void AuditTrail::flush() {
  MutexLock order(flush_mu_);
  std::vector<admin::AuditLine> batch;
  {
    MutexLock lock(mu_);
    batch.swap(queue_);
  }
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
  if (options_.retention_days <= 0) return;
  const auto now = Clock::system().now();
  if (now < next_clean_) return;
  next_clean_ = now + options_.clean_every;
  const auto before = now - std::chrono::hours(24) * options_.retention_days;
  auto deleted = admin::delete_audit_lines_before(store_, before, kCleanBatch);
  if (!deleted.ok()) {
    log::warn("cannot delete old audit records", {{"error", deleted.error().detail()}});
  } else if (*deleted > 0) {
    log::info("old audit records deleted", {{"records", *deleted}, {"retention_days", options_.retention_days}});
    // More than one batch old: the next round goes on at once.
    if (*deleted == kCleanBatch) next_clean_ = now;
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
  log::observe_audit({});
  stopped_ = true;
  boost::asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
  flush();  // what came in since the last round
  co_return;
}

}  // namespace roadside::server
