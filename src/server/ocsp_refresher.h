// OCSP responses for the server's own certificates, as a component. A loop on the database
// thread fetches them every ocsp.check_interval_s, and until all are fresh tries again soon
// (after 250 ms, doubling to every 2 s). The responses are kept in a cache (on disk, so a
// restarted node signs before its responder answers) that the signer staples from and the
// OCSP responder listener serves to peers.
//
// In a cluster, one node at a time fetches (it holds the OCSP lease) and puts the responses
// in the database; every node takes them from there into its cache, verified before use.
//
// Readiness "ocsp": own certificates have fresh responses. Metric roadside_ocsp_lease_held:
// 1 while this node fetches for its cluster.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/thread_annotations.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "server/component.h"
#include "server/globalconf_service.h"
#include "server/readiness.h"
#include "server/token_service.h"
#include "signer/ocsp.h"
#include "storage/cluster.h"

namespace roadside::server {

struct OcspOptions {
  std::filesystem::path cache_dir;
  std::chrono::seconds check_interval{};

  static OcspOptions from(const config::Config& config);
};

// The cluster's shared OCSP responses: the ocsp_responses table and the lease that says which
// node writes it.
class SharedOcspResponses {
 public:
  SharedOcspResponses(storage::Store& store, std::unique_ptr<storage::Lease> lease) : store_(store), lease_(std::move(lease)) {}
  // Takes the rows for `own` into `cache` (a response is verified before use, like a fetched one).
  void import_into(signer::OcspCache& cache, const std::vector<crypto::Certificate>& own);
  // Writes the cached responses of `own` (unchanged rows are left alone).
  void export_from(const signer::OcspCache& cache, const std::vector<crypto::Certificate>& own);
  // Whether this node fetches now: it takes or keeps the lease (a change is logged).
  bool fetcher();
  bool held() const { return held_; }

 private:
  storage::Store& store_;
  std::unique_ptr<storage::Lease> lease_;
  std::atomic<bool> held_{false};
};

// The readiness problem after a round that fetched (`fetch`) and then found `stale`, the
// first own certificate without a fresh response ("" when every one has one): empty while
// every response is fresh, even when the fetch failed (X-Road's health check asks its cache);
// else the fetch's error, or the staleness when the fetch worked.
std::string own_ocsp_problem(const Status& fetch, const std::string& stale);

class OcspRefresher final : public Component {
 public:
  // `db_io` runs the loop and its fetches (the database thread). `shared` is a cluster
  // node's, null for a standalone node.
  OcspRefresher(boost::asio::io_context& db_io, TokenService& token, GlobalconfService& globalconf, OcspOptions options,
                std::unique_ptr<SharedOcspResponses> shared, metrics::Registry& metrics, Readiness& readiness,
                const Clock& clock = Clock::system());

  std::string_view name() const override { return "ocsp"; }
  // Loads the cache and starts the loop.
  Status start() override;
  boost::asio::awaitable<void> stop() override;

  signer::OcspManager& manager() { return own_.manager; }
  signer::OcspCache& cache() { return own_.cache; }
  // The last round: when it ended, when the next is due, and what is wrong ("" when every own
  // certificate has a fresh response). No times before the first round.
  struct Round {
    std::optional<Clock::time_point> last, next;
    std::string problem;
  };
  Round last_round() const;
  // Starts the next round now (a certificate was imported or activated); safe from any thread.
  void refresh_now();

 private:
  boost::asio::awaitable<void> loop();
  // One round: fetch (or, off the lease, check what the fetching node shared); sets problem_.
  boost::asio::awaitable<void> refresh();
  std::string problem() const;

  TokenService& token_;
  GlobalconfService& globalconf_;
  const OcspOptions options_;
  // Own responses: fetched over `http` (on the database thread), kept in `cache`, handed out
  // fresh by `manager`.
  struct Own {
    Own(boost::asio::io_context& db_io, const std::filesystem::path& dir, const Clock& clock)
        : http(db_io.get_executor()), cache(dir), manager(http, cache, clock) {}
    net::HttpClient http;
    signer::OcspCache cache;
    signer::OcspManager manager;
  };
  Own own_;
  const Clock& clock_;
  std::unique_ptr<SharedOcspResponses> shared_;
  boost::asio::steady_timer timer_;  // on the database thread
  std::atomic<bool> stopped_{false};
  std::atomic<bool> again_{false};  // refresh_now() during a round: start the next at once
  mutable Mutex mu_;
  std::string problem_ GUARDED_BY(mu_) = "not checked yet";
  std::optional<Clock::time_point> last_round_ GUARDED_BY(mu_), next_round_ GUARDED_BY(mu_);
};

}  // namespace roadside::server
