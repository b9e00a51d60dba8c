#include "server/ocsp_refresher.h"

#include <algorithm>
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"

namespace roadside::server {

namespace asio = boost::asio;

OcspOptions OcspOptions::from(const config::Config& c) {
  return {std::filesystem::path(c.str("data_dir")) / "ocsp", std::chrono::seconds(c.integer("ocsp.check_interval_s"))};
}

void SharedOcspResponses::import_into(signer::OcspCache& cache, const std::vector<crypto::Certificate>& own) {
  auto rows = store_.with_connection([](storage::Connection& c) { return c.query("SELECT certificate_sha1, response FROM ocsp_responses"); });
  if (!rows.ok()) {
    log::warn("cannot read the cluster's OCSP responses", {{"error", rows.error().detail()}});
    return;
  }
  std::map<std::string, std::string, std::less<>> shared;  // certificate SHA-1 hex -> DER
  for (const auto& row : *rows) {
    const auto id = storage::as_text(row[0]);
    if (const auto* der = std::get_if<storage::Blob>(&row[1]); id && der) shared.emplace(*id, der->bytes);
  }
  for (const auto& cert : own) {
    const auto it = shared.find(cert.sha1_hex());
    if (it == shared.end() || cache.get_by_hash(it->first) == it->second) continue;
    // Verified before use like a fetched one: fresh_response checks it under the rules.
    if (auto st = cache.put(cert, it->second); !st.ok()) log::warn("cannot cache an OCSP response", {{"error", st.error().detail()}});
  }
}

void SharedOcspResponses::export_from(const signer::OcspCache& cache, const std::vector<crypto::Certificate>& own) {
  for (const auto& cert : own) {
    auto der = cache.get(cert);
    if (!der) continue;
    auto done = store_.with_connection([&](storage::Connection& c) {
      const storage::Value params[] = {cert.sha1_hex(), storage::Blob{*der}};
      return c.query(
          "INSERT INTO ocsp_responses (certificate_sha1, response) VALUES (?, ?) ON CONFLICT (certificate_sha1) DO UPDATE "
          "SET response = excluded.response, updated_at = excluded.updated_at WHERE ocsp_responses.response <> excluded.response",
          params);
    });
    if (!done.ok()) log::warn("cannot share an OCSP response with the cluster", {{"error", done.error().detail()}});
  }
}

bool SharedOcspResponses::fetcher() {
  const bool now_held = lease_->hold();
  if (now_held != held_.exchange(now_held)) {
    log::info(now_held ? "this node now fetches the cluster's OCSP responses" : "another node fetches the cluster's OCSP responses");
  }
  return now_held;
}

std::string own_ocsp_problem(const Status& fetch, const std::string& stale) {
  if (stale.empty()) return {};
  return fetch.ok() ? stale : fetch.error().detail();
}

OcspRefresher::OcspRefresher(asio::io_context& db_io, TokenService& token, GlobalconfService& globalconf, OcspOptions options,
                             std::unique_ptr<SharedOcspResponses> shared, metrics::Registry& metrics, Readiness& readiness,
                             const Clock& clock)
    : token_(token),
      globalconf_(globalconf),
      options_(std::move(options)),
      own_(db_io, options_.cache_dir, clock),
      clock_(clock),
      shared_(std::move(shared)),
      timer_(db_io) {
  metrics.gauge_fn("roadside_ocsp_lease_held", "1 when this node fetches the OCSP responses (for its cluster)",
                   [this] { return shared_ && shared_->held() ? 1.0 : 0.0; });
  readiness.add("ocsp", [this]() -> std::optional<std::string> {
    std::string why = problem();
    if (why.empty()) return std::nullopt;
    return "own certificates' OCSP: " + why;
  });
}

Status OcspRefresher::start() {
  own_.cache.load();
  asio::co_spawn(timer_.get_executor(), loop(), asio::detached);
  return {};
}

asio::awaitable<void> OcspRefresher::stop() {
  stopped_ = true;
  asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
  co_return;
}

std::string OcspRefresher::problem() const {
  MutexLock lock(mu_);
  return problem_;
}

asio::awaitable<void> OcspRefresher::loop() {
  using std::chrono::milliseconds;
  const milliseconds interval = options_.check_interval;
  // Until own certificates have fresh responses (at start the global configuration is still
  // on its way), try again soon: after 250 ms, doubling to every 2 s.
  constexpr milliseconds kFirstRetry{250}, kMaxRetry{2000};
  milliseconds retry = kFirstRetry;
  while (!stopped_) {
    // A refresh_now() from here on asks for another round: the one starting may have read the
    // certificates before the new one was imported.
    again_ = false;
    co_await refresh();
    milliseconds wait = interval;
    if (problem().empty()) {
      retry = kFirstRetry;
    } else {
      wait = std::min(retry, interval);
      retry = std::min(retry * 2, kMaxRetry);
    }
    {
      MutexLock lock(mu_);
      last_round_ = clock_.now();
      next_round_ = clock_.now() + wait;
    }
    if (stopped_) break;
    if (again_) continue;  // asked while this round ran: the timer's cancel found nothing to wake
    timer_.expires_after(wait);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

OcspRefresher::Round OcspRefresher::last_round() const {
  MutexLock lock(mu_);
  return {last_round_, next_round_, problem_};
}

void OcspRefresher::refresh_now() {
  again_ = true;
  asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

asio::awaitable<void> OcspRefresher::refresh() {
  auto shared = globalconf_.shared();
  std::string problem;
  if (!shared) {
    problem = "no valid global configuration to find the CA's OCSP responders";
  } else if (!token_.token().active()) {
    problem = "the token is not logged in";
  } else {
    const auto own = token_.certificates();
    if (shared_) shared_->import_into(own_.cache, own);
    // What matters is whether every own certificate has a fresh response now (as X-Road's
    // health check asks its cache): a failed fetch while they still are is only a warning.
    auto first_stale = [&]() -> std::string {
      const auto now = clock_.now();
      for (const auto& cert : own) {
        if (auto fresh = own_.manager.fresh_response(cert, shared, now); !fresh.ok()) return fresh.error().detail();
      }
      return {};
    };
    if (!shared_ || shared_->fetcher()) {
      auto st = co_await own_.manager.refresh(own, shared);
      if (!st.ok()) log::warn("OCSP fetch failed", {{"error", st.error().detail()}});
      problem = own_ocsp_problem(st, first_stale());
      if (shared_) shared_->export_from(own_.cache, own);
    } else if (const std::string stale = first_stale(); !stale.empty()) {
      problem = "waiting for the node that fetches OCSP responses: " + stale;
    }
  }
  MutexLock lock(mu_);
  if (problem.empty() && !problem_.empty()) log::info("own certificates have fresh OCSP responses");
  problem_ = problem;
}

}  // namespace roadside::server
