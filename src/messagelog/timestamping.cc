#include "messagelog/timestamping.h"

#include <algorithm>

#include "base/log.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "messagelog/batch_tree.h"
#include "messagelog/timestamper.h"
#include "messagelog/zip.h"
#include "xml/xades.h"

namespace roadside::messagelog {
namespace {

using std::chrono::seconds;

constexpr seconds kMinInterval{60}, kMaxInterval{86'400};  // X-Road's TimestamperJob bounds

Error timestamping_failed(std::string detail) {
  return Error(make_error_code(errc::timestamping_failed), std::move(detail));
}

Result<std::optional<Clock::time_point>> read_time(LogStore& store, std::string_view key) {
  ROADSIDE_TRY(auto text, store.state(key));
  if (!text) return std::optional<Clock::time_point>();
  auto t = parse_rfc3339(*text);
  if (!t) log::warn("unreadable time-stamping state, taken as unset", {{"key", key}, {"value", *text}});
  return t;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

TsaSetup TsaSetup::of(std::vector<TsaService> services, const globalconf::SharedParameters* shared) {
  TsaSetup s;
  s.services = std::move(services);
  s.globalconf_valid = shared != nullptr;
  if (shared) {
    for (const auto& t : shared->approved_tsas) s.approved.push_back(t.cert);
  }
  return s;
}

// ---- TimestampingHealth ----

TimestampingHealth::TimestampingHealth(std::chrono::seconds failure_period, bool immediately)
    : period_(failure_period), immediately_(immediately) {}

std::optional<Clock::time_point> TimestampingHealth::load(const std::atomic<std::int64_t>& ms) {
  const std::int64_t v = ms.load();
  if (v == kNone) return std::nullopt;
  return Clock::time_point(std::chrono::milliseconds(v));
}

void TimestampingHealth::store(std::atomic<std::int64_t>& ms, std::optional<Clock::time_point> t) {
  ms.store(t ? std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count() : kNone);
}

void TimestampingHealth::set_configured(bool any) {
  configured_.store(any);
}
void TimestampingHealth::set_failing_since(std::optional<Clock::time_point> t) {
  store(failing_since_ms_, t);
}
void TimestampingHealth::set_last_success(std::optional<Clock::time_point> t) {
  store(last_success_ms_, t);
}

Status TimestampingHealth::check(Clock::time_point now) const {
  if (!configured_.load()) {
    return Error(make_error_code(errc::no_timestamping_provider),
                 "Cannot time-stamp messages: no timestamping services configured");
  }
  // In timestamp-immediately mode every message is time-stamped before it is answered.
  if (immediately_ || period_.count() == 0) return {};
  const auto since = failing_since();
  if (since && now - *since > period_) {
    return timestamping_failed("Cannot time-stamp messages: time-stamping has failed since " + format_rfc3339(*since) +
                               ", longer than the acceptable " + std::to_string(period_.count()) + " s");
  }
  return {};
}

std::optional<std::string> TimestampingHealth::problem(Clock::time_point now) const {
  auto st = check(now);
  if (st.ok()) return std::nullopt;
  return st.error().detail();
}

// ---- the schedule ----

seconds timestamping_delay(seconds globalconf_interval, seconds interval_override, seconds retry_delay, bool failing) {
  const bool overridden = interval_override.count() > 0;
  seconds d = overridden ? interval_override : globalconf_interval;
  if (failing && retry_delay.count() > 0 && retry_delay < d) d = retry_delay;
  if (overridden) return std::max(d, seconds(1));
  return std::clamp(d, kMinInterval, kMaxInterval);
}

// ---- Timestamping ----

Timestamping::Timestamping(LogStore& store, net::HttpClient& http, TimestampingHealth& health,
                           TimestampingOptions options, const Clock& clock)
    : store_(store), http_(http), health_(health), options_(options), clock_(clock) {}

Status Timestamping::refresh_health() {
  ROADSIDE_TRY(auto failing, read_time(store_, kFailingSinceKey));
  ROADSIDE_TRY(auto success, read_time(store_, kLastSuccessKey));
  health_.set_failing_since(failing);
  health_.set_last_success(success);
  return {};
}

Status Timestamping::record_success() {
  const auto now = clock_.now();
  health_.set_last_success(now);
  ROADSIDE_TRY_STATUS(store_.set_state(kLastSuccessKey, format_rfc3339(now)));
  if (health_.failing_since()) log::info("time-stamping works again");
  health_.set_failing_since(std::nullopt);
  return store_.clear_state(kFailingSinceKey);
}

Status Timestamping::record_failure() {
  // The first failure's time stays: another node (or this one before a restart) may have set it.
  ROADSIDE_TRY(auto since, read_time(store_, kFailingSinceKey));
  if (!since) {
    since = clock_.now();
    ROADSIDE_TRY_STATUS(store_.set_state(kFailingSinceKey, format_rfc3339(*since)));
    log::warn("time-stamping fails; messages are refused once it has failed for the acceptable period",
              {{"period_s", health_.failure_period().count()}});
  }
  health_.set_failing_since(since);
  return {};
}

boost::asio::awaitable<Result<Timestamping::Stamped>> Timestamping::ask(const TsaSetup& tsas, std::string data) {
  if (!tsas.globalconf_valid) co_return timestamping_failed("Global configuration is not valid");
  if (tsas.services.empty()) co_return timestamping_failed("Cannot time-stamp, no TSP URLs configured");
  std::vector<std::string> failures;
  for (std::size_t i = 0; i < tsas.services.size(); ++i) {
    const std::string url = tsas.services[i].url;
    auto ts = co_await request_timestamp(http_, url, data, tsas.approved);
    if (ts.ok()) {
      // Kept with the TSA's certificate in it, as X-Road keeps tokens.
      auto token = crypto::with_timestamp_signer_certificate(ts.value().token, tsas.approved);
      if (token.ok()) co_return Stamped{std::move(token).value(), url};
      ts = token.error();
    }
    log::warn("time-stamping service failed", {{"url", url}, {"error", ts.error().to_string()}});
    failures.push_back(url + ": " + ts.error().detail());
  }
  co_return timestamping_failed("Failed to get time stamp from any time-stamping providers: " + joined(failures));
}

boost::asio::awaitable<Result<Timestamping::Stamped>> Timestamping::stamp(const TsaSetup& tsas,
                                                                          const std::vector<PendingRecord>& records,
                                                                          std::optional<std::string> signature) {
  // One record: a time-stamp of its signature value, embedded in its signature document.
  // (One whose document cannot be read gets a batch form of one, which needs no parsing.)
  if (records.size() == 1) {
    if (!signature) {
      auto stored = store_.signature(records.front().id);
      if (!stored.ok()) co_return stored.error();
      signature = std::move(stored).value();
    }
    auto sig = xml::XadesSignature::parse(signature.value_or(""));
    if (sig.ok()) {
      auto got = co_await ask(tsas, sig.value().signature_value);
      if (!got.ok()) co_return got.error();
      auto id = store_.add_timestamp({got.value().token, got.value().url, clock_.now(), std::nullopt, {}},
                                     {records.front().id});
      if (!id.ok()) co_return id.error();
      co_return got;
    }
    log::warn("a logged signature cannot be read; it gets a batch time-stamp of one",
              {{"record", records.front().id}, {"error", sig.error().detail()}});
  }
  // The leaves are the signature hashes the records keep: no signature is read again.
  NewTimestamp ts;
  ts.leaves.reserve(records.size() * kLeafBytes);
  std::vector<std::int64_t> ids;
  ids.reserve(records.size());
  for (const auto& r : records) {
    auto leaf = crypto::base64_decode(r.signature_hash);
    if (!leaf.ok() || leaf->size() != kLeafBytes) {
      // A damaged row must not stop every round: its leaf comes from the signature itself.
      log::warn("a logged record's signature hash is unusable; hashing its signature", {{"record", r.id}});
      auto stored = store_.signature(r.id);
      if (!stored.ok()) co_return stored.error();
      leaf = crypto::sha512(stored->value_or(""));
    }
    ts.leaves += leaf.value();
    ids.push_back(r.id);
  }
  auto result = batch_result(ts.leaves);
  if (!result.ok()) co_return result.error();
  auto got = co_await ask(tsas, result.value());
  if (!got.ok()) co_return got.error();
  ts.token = got.value().token;
  ts.tsa_url = got.value().url;
  ts.time = clock_.now();
  ts.hash_chain_result = std::move(result).value();
  auto id = store_.add_timestamp(ts, ids);
  if (!id.ok()) co_return id.error();
  co_return got;
}

boost::asio::awaitable<TimestampRound> Timestamping::run_once(TsaSetup tsas, bool retry) {
  TimestampRound round;
  const std::size_t limit = retry ? 1 : std::max<std::size_t>(options_.records_limit, 1);
  auto pending = store_.pending(limit);
  if (!pending.ok()) {
    log::error("cannot read the records waiting for a time-stamp", {{"error", pending.error().to_string()}});
    round.error = pending.error().detail();
    co_return round;
  }
  const std::vector<PendingRecord> records = std::move(pending).value();
  if (records.empty()) {
    round.outcome = TimestampRound::Outcome::idle;
    if (auto st = record_success(); !st.ok()) {
      log::warn("cannot record the time-stamping state", {{"error", st.error().to_string()}});
    }
    co_return round;
  }
  if (!retry && static_cast<double>(records.size()) >= kRecordsLimitWarnRatio * static_cast<double>(limit)) {
    log::warn("Number of time-stamped records is over 70 % of 'timestamp-records-limit' value",
              {{"records", records.size()}, {"limit", limit}});
  }
  const auto started = std::chrono::steady_clock::now();
  auto stamped = co_await stamp(tsas, records);
  if (stamped.ok()) {
    round.outcome = TimestampRound::Outcome::stamped;
    round.records = records.size();
    round.tsa_url = stamped.value().url;
    round.full = records.size() == limit && !retry;
    log::info(
        "time-stamped message records",
        {{"records", records.size()},
         {"tsa", round.tsa_url},
         {"ms",
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()}});
    if (auto st = record_success(); !st.ok()) {
      log::warn("cannot record the time-stamping state", {{"error", st.error().to_string()}});
    }
    co_return round;
  }
  round.outcome = TimestampRound::Outcome::failed;
  round.error = stamped.error().detail();
  log::error("time-stamping failed", {{"records", records.size()}, {"error", stamped.error().to_string()}});
  // X-Road's indicateFailure: when nothing waits any more (another node or a
  // timestamp-immediately call covered the records meanwhile), it is no failure.
  auto waiting = store_.pending_count();
  if (waiting.ok() && waiting.value() == 0) co_return round;
  if (auto st = record_failure(); !st.ok()) {
    log::warn("cannot record the time-stamping state", {{"error", st.error().to_string()}});
  }
  co_return round;
}

boost::asio::awaitable<Status> Timestamping::timestamp_record(TsaSetup tsas, std::int64_t record_id,
                                                              std::string signature) {
  const std::vector<PendingRecord> one{{record_id, clock_.now(), signature_hash(signature)}};
  auto stamped = co_await stamp(tsas, one, std::move(signature));
  if (!stamped.ok()) {
    log::error("time-stamping a record immediately failed",
               {{"record", record_id}, {"error", stamped.error().to_string()}});
    if (stamped.error().code() == make_error_code(errc::timestamping_failed)) co_return stamped.error();
    co_return timestamping_failed(stamped.error().detail());
  }
  // X-Road's LogManager.timestamp: a success clears a failure the periodic job recorded.
  if (auto st = record_success(); !st.ok()) {
    log::warn("cannot record the time-stamping state", {{"error", st.error().to_string()}});
  }
  co_return Status{};
}

}  // namespace roadside::messagelog
