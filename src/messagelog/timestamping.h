// The message log's time-stamping (X-Road's TaskQueue, Timestamper and TimestamperJob): the
// records the logger wrote get RFC 3161 time-stamps from the configured TSAs, in rounds.
//
//   one record pending   a single time-stamp over the raw bytes of its ds:SignatureValue
//                        (SingleTimestampRequest); stored without a hash-chain result, so
//                        container_of() embeds it in the signature (xades:SignatureTimeStamp)
//   several              one batch time-stamp over ts-hashchainresult.xml, each record keeping
//                        its ts-hashchain.xml (BatchTimestampRequest)
//
// The services are asked in the configured order (X-Road's timestamping-prioritization-strategy
// NONE) and the first whose token verifies against global configuration's approved TSAs wins.
// When every one fails while records wait, time-stamping is failing: the failure's start is
// kept in messagelog_state, where every node of a cluster reads it, and once it is older than
// acceptable-timestamp-failure-period the proxies take no message (TimestampingHealth). The
// first success clears it. This file holds the logic; server/timestamping_service.h runs it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "base/clock.h"
#include "base/result.h"
#include "crypto/crypto.h"
#include "globalconf/parameters.h"
#include "messagelog/log_store.h"
#include "net/http_client.h"

namespace roadside::messagelog {

// X-Road's TaskQueue.TIMESTAMPED_RECORDS_RATIO_THRESHOLD: a batch over this share of
// timestamp-records-limit is warned about.
inline constexpr double kRecordsLimitWarnRatio = 0.7;
// Keys of the shared state in messagelog_state (values RFC 3339 UTC).
inline constexpr std::string_view kFailingSinceKey = "timestamping.failing_since";
inline constexpr std::string_view kLastSuccessKey = "timestamping.last_success";

// A configured time-stamping service (X-Road's TSP), in priority order.
struct TsaService {
  std::string name;
  std::string url;
};

// What a round asks and trusts: the configured services and the approved TSAs' certificates
// of the global configuration in use (empty when it is not valid: nothing is asked then).
struct TsaSetup {
  std::vector<TsaService> services;
  std::vector<crypto::Certificate> approved;
  bool globalconf_valid = true;

  // The approved TSAs of `shared` (null: no valid global configuration). A token is accepted
  // when one of them signed it, whichever configured URL it came from: X-Road's
  // TimestampVerifier finds the signer among all getTspCertificates().
  static TsaSetup of(std::vector<TsaService> services, const globalconf::SharedParameters* shared);
};

// The time-stamping state a node decides by. Every node keeps one; the job updates it.
// Reads and writes are lock-free (atomics), so the proxies ask it on every message.
class TimestampingHealth {
 public:
  // `failure_period`: acceptable-timestamp-failure-period (0 disables the check).
  // `immediately`: timestamp-immediately (the period is not checked: every message is
  // time-stamped before it is answered, or fails).
  TimestampingHealth(std::chrono::seconds failure_period, bool immediately);

  // X-Road's LogManager.verifyCanLogMessage: errc::no_timestamping_provider when no service
  // is configured; errc::timestamping_failed once now - failing_since > the period.
  Status check(Clock::time_point now) const;
  // The readiness reason: why check() refuses now; std::nullopt when it does not.
  std::optional<std::string> problem(Clock::time_point now) const;

  void set_configured(bool any);
  void set_failing_since(std::optional<Clock::time_point> t);
  void set_last_success(std::optional<Clock::time_point> t);
  bool configured() const { return configured_.load(); }
  std::optional<Clock::time_point> failing_since() const { return load(failing_since_ms_); }
  std::optional<Clock::time_point> last_success() const { return load(last_success_ms_); }
  std::chrono::seconds failure_period() const { return period_; }

 private:
  static std::optional<Clock::time_point> load(const std::atomic<std::int64_t>& ms);
  static void store(std::atomic<std::int64_t>& ms, std::optional<Clock::time_point> t);

  const std::chrono::seconds period_;
  const bool immediately_;
  // Until the job first read the configuration, services are taken as configured: a node
  // starting up does not refuse messages for want of a read.
  std::atomic<bool> configured_{true};
  std::atomic<std::int64_t> failing_since_ms_{kNone};  // unix ms; kNone: not failing
  std::atomic<std::int64_t> last_success_ms_{kNone};
  static constexpr std::int64_t kNone = INT64_MIN;
};

// When the next round is due (X-Road's TimestamperJob.getNextDelay). `globalconf_interval`
// is global configuration's timeStampingIntervalSeconds. `interval_override`
// (messagelog.timestamping_interval_s) replaces it when not 0; else it is clamped to
// [60, 86400] as X-Road does. While failing, `retry_delay` (timestamp-retry-delay) when it is
// not 0 and shorter than the interval, else the interval; with the interval's bounds.
std::chrono::seconds timestamping_delay(std::chrono::seconds globalconf_interval,
                                        std::chrono::seconds interval_override, std::chrono::seconds retry_delay,
                                        bool failing);

struct TimestampingOptions {
  std::size_t records_limit = 10'000;  // timestamp-records-limit
};

// What one round did.
struct TimestampRound {
  enum class Outcome {
    idle,     // nothing was waiting (a success: X-Road's indicateSuccess on an empty queue)
    stamped,  // `records` records time-stamped by `tsa_url`
    failed,   // no service gave a token that verifies (or it could not be stored), records wait
    skipped,  // the database could not be read: nothing decided (X-Road logs and returns)
  };
  Outcome outcome = Outcome::skipped;
  std::size_t records = 0;
  std::string tsa_url;
  std::string error;  // failed/skipped: why (each service's failure, "url: cause", joined)
  // stamped exactly the limit: more are probably waiting, run again at once.
  bool full = false;
};

// One node's time-stamper over its own connection. Not thread-safe: its calls run on one
// executor (`http`'s), one at a time or interleaved at their co_awaits (each database call
// is a statement or a transaction of its own).
class Timestamping {
 public:
  // `store` (its own connection), `http` and `health` outlive this object.
  Timestamping(LogStore& store, net::HttpClient& http, TimestampingHealth& health, TimestampingOptions options,
               const Clock& clock = Clock::system());

  // One round over the oldest pending records, at most records_limit (1 with `retry`: X-Road's
  // retry mode time-stamps one record until a TSA answers). A success clears the shared
  // failure and records last_success; a failure while records still wait sets failing_since
  // (when not set yet). `health` follows what it writes.
  boost::asio::awaitable<TimestampRound> run_once(TsaSetup tsas, bool retry = false);

  // timestamp-immediately: record `record_id` (whose signature document is `signature`) gets
  // a single time-stamp now. (One a round covered meanwhile keeps that round's time-stamp.)
  // errc::timestamping_failed naming each service's failure otherwise: the message then fails,
  // and failing_since is not set (X-Road's rules). A success clears the shared failure.
  boost::asio::awaitable<Status> timestamp_record(TsaSetup tsas, std::int64_t record_id, std::string signature);

  // Reads the shared state (failing_since, last_success) into `health`: what another node,
  // or this one before a restart, wrote.
  Status refresh_health();

 private:
  struct Stamped {
    std::string token, url;
  };
  // Asks the services in order for a token over `data`; the failures, one per service, else.
  boost::asio::awaitable<Result<Stamped>> ask(const TsaSetup& tsas, std::string data);
  // Time-stamps `records` (one: a single time-stamp; more: a batch) and stores it. A single
  // record's `signature` is read from the log when not given.
  boost::asio::awaitable<Result<Stamped>> stamp(const TsaSetup& tsas, const std::vector<PendingRecord>& records,
                                                std::optional<std::string> signature = std::nullopt);
  // The shared state after a success, and after a failure while records wait.
  Status record_success();
  Status record_failure();

  LogStore& store_;
  net::HttpClient& http_;
  TimestampingHealth& health_;
  const TimestampingOptions options_;
  const Clock& clock_;
};

}  // namespace roadside::messagelog
