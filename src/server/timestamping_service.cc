#include "server/timestamping_service.h"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "admin/timestamping.h"
#include "base/log.h"
#include "messagelog/timestamper.h"

namespace roadside::server {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

net::ClientOptions client_options(const TimestampingServiceOptions& o) {
  net::ClientOptions c;
  c.connect_timeout = o.connect_timeout;
  c.request_timeout = o.read_timeout;
  c.max_response_body_bytes = messagelog::kMaxTimestampReplyBytes;
  c.max_idle_per_host = 2;
  return c;
}

}  // namespace

TimestampingServiceOptions TimestampingServiceOptions::from(const config::Config& c) {
  TimestampingServiceOptions o;
  o.records_limit = static_cast<std::size_t>(c.integer("messagelog.timestamp_records_limit"));
  o.failure_period = seconds(c.integer("messagelog.timestamp_failure_period_s"));
  o.interval_override = seconds(c.integer("messagelog.timestamping_interval_s"));
  o.retry_delay = seconds(c.integer("messagelog.timestamp_retry_delay_s"));
  o.immediately = c.boolean("messagelog.timestamp_immediately");
  o.connect_timeout = milliseconds(c.integer("messagelog.timestamper_connect_timeout_ms"));
  o.read_timeout = milliseconds(c.integer("messagelog.timestamper_read_timeout_ms"));
  return o;
}

TimestampingService::TimestampingService(asio::io_context& db_io, Connect connect, bool clustered,
                                         storage::Store& store, GlobalconfService& globalconf,
                                         TimestampingServiceOptions options, metrics::Registry& metrics,
                                         Readiness& readiness, const Clock& clock)
    : db_io_(db_io),
      connect_(std::move(connect)),
      clustered_(clustered),
      store_(store),
      globalconf_(globalconf),
      options_(options),
      clock_(clock),
      health_(options_.failure_period, options_.immediately),
      http_(db_io.get_executor(), client_options(options_)),
      timer_(db_io),
      waiting_(metrics.gauge("roadside_messagelog_records_waiting", "Message-log records waiting for a time-stamp")),
      failures_(metrics.counter("roadside_messagelog_timestamp_failures_total",
                                "Time-stamping rounds of this node that no time-stamping service answered")) {
  metrics.gauge_fn("roadside_messagelog_last_timestamp_seconds",
                   "Unix time of the last successful time-stamping round (0: none yet)", [this] {
                     const auto t = health_.last_success();
                     return t ? std::chrono::duration<double>(t->time_since_epoch()).count() : 0.0;
                   });
  metrics.gauge_fn("roadside_timestamping_lease_held",
                   "1 while this node time-stamps the message log (for its cluster)",
                   [this] { return lease_held_ ? 1.0 : 0.0; });
  readiness.add("timestamping", [this] { return health_.problem(clock_.now()); });
}

Status TimestampingService::start() {
  ROADSIDE_TRY(auto conn, connect_());
  log_ = std::make_unique<messagelog::LogStore>(std::move(conn));
  if (clustered_) {
    ROADSIDE_TRY(auto lease_conn, connect_());
    lease_ = std::make_unique<storage::Lease>(std::move(lease_conn), storage::kTimestampLeaseKey);
  }
  job_ = std::make_unique<messagelog::Timestamping>(*log_, http_, health_,
                                                    messagelog::TimestampingOptions{options_.records_limit}, clock_);
  // Before the loop runs: the first message is judged by the database's state.
  refresh();
  asio::co_spawn(timer_.get_executor(), loop(), asio::detached);
  return {};
}

asio::awaitable<void> TimestampingService::stop() {
  stopped_ = true;
  asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
  co_return;
}

void TimestampingService::run_now() {
  again_ = true;
  asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

messagelog::TsaSetup TimestampingService::setup() const {
  std::vector<messagelog::TsaService> services;
  {
    MutexLock lock(mu_);
    services = services_;
  }
  const auto shared = globalconf_.shared();
  return messagelog::TsaSetup::of(std::move(services), shared.get());
}

seconds TimestampingService::delay(bool failing) const {
  // X-Road takes its minimum (60 s) when the interval cannot be read.
  const auto priv = globalconf_.private_params();
  const seconds interval(priv ? priv->timestamping_interval_seconds : 60);
  return messagelog::timestamping_delay(interval, options_.interval_override, options_.retry_delay, failing);
}

void TimestampingService::refresh() {
  std::string problem;
  if (auto tsps = admin::configured_tsps(store_); tsps.ok()) {
    std::vector<messagelog::TsaService> services;
    services.reserve(tsps->size());
    for (const auto& t : *tsps) services.push_back({t.name, t.url});
    health_.set_configured(!services.empty());
    MutexLock lock(mu_);
    services_ = std::move(services);
  } else {
    problem = tsps.error().to_string();
  }
  if (auto st = job_->refresh_health(); !st.ok()) problem = st.error().to_string();
  if (auto n = log_->pending_count(); n.ok()) {
    waiting_.set(*n);
  } else {
    problem = n.error().to_string();
  }
  // What was read last stays in use while the database does not answer; said once.
  if (!problem.empty() && !refresh_failed_) log::warn("cannot read the time-stamping state", {{"error", problem}});
  if (problem.empty() && refresh_failed_) log::info("time-stamping state read again");
  refresh_failed_ = !problem.empty();

  const bool held = !lease_ || lease_->hold();
  if (held != lease_held_.exchange(held) && lease_) {
    log::info(held ? "this node now time-stamps the cluster's message log"
                   : "another node time-stamps the cluster's message log");
  }
}

asio::awaitable<void> TimestampingService::loop() {
  using steady = std::chrono::steady_clock;
  auto due = steady::now();  // the first round at once
  while (!stopped_) {
    const bool asked = again_.exchange(false);
    refresh();
    const bool mine = lease_held_;
    if (mine && (asked || steady::now() >= due)) {
      const bool was_failing = health_.failing_since().has_value();
      // While failing, X-Road's retry mode: one record at a time until a service answers.
      const messagelog::TimestampRound round = co_await job_->run_once(setup(), was_failing);
      if (round.outcome == messagelog::TimestampRound::Outcome::failed) failures_.inc();
      if (auto n = log_->pending_count(); n.ok()) waiting_.set(*n);
      const bool failing = health_.failing_since().has_value();
      // X-Road's onSuccess (back from failing: a full round at once), and a full batch (more
      // are probably waiting): the next round now.
      if (!stopped_ && ((was_failing && !failing) || round.full)) {
        again_ = true;
        continue;
      }
      due = steady::now() + delay(failing);
    }
    if (stopped_) break;
    milliseconds wait = options_.state_refresh;
    if (mine) wait = std::clamp(std::chrono::duration_cast<milliseconds>(due - steady::now()), milliseconds(0), wait);
    if (again_) continue;
    timer_.expires_after(wait);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<Status> TimestampingService::timestamp_now(std::int64_t record_id, std::string signature) {
  co_return co_await asio::co_spawn(db_io_, job_->timestamp_record(setup(), record_id, std::move(signature)),
                                    asio::use_awaitable);
}

}  // namespace roadside::server
