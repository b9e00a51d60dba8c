// The global configuration inside a running server: loads the cached configuration at start
// (so a restart works offline until it expires), then downloads it every refresh interval.
// Counts results in /metrics and says in /readyz whether a valid configuration is loaded.
//   roadside_globalconf_updates_total{result="ok|failed"}
//   roadside_globalconf_expires_timestamp_seconds   expiry of the configuration in use (0: none)
//   roadside_globalconf_version                     configuration version in use (0: none)
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/clock.h"
#include "base/thread_annotations.h"
#include "config/config.h"
#include "globalconf/client.h"
#include "globalconf/parameters.h"
#include "metrics/metrics.h"
#include "net/http_client.h"
#include "server/component.h"
#include "server/readiness.h"

namespace roadside::server {

struct GlobalconfOptions {
  std::string anchor_file;  // globalconf.anchor; empty: none configured (never ready)
  std::filesystem::path cache_dir;
  std::chrono::seconds refresh_interval{};

  static GlobalconfOptions from(const config::Config& config);
};

class GlobalconfService final : public Component {
 public:
  // Registers the "globalconf" readiness check and the metrics.
  // `clock` says when the configuration in use has expired.
  GlobalconfService(boost::asio::io_context& io, GlobalconfOptions options, metrics::Registry& metrics,
                    Readiness& readiness, const Clock& clock = Clock::system());

  std::string_view name() const override { return "globalconf"; }
  // Reads the anchor (an unreadable one stops the start; none configured is logged and the
  // server runs without trust), loads the cache and starts the refresh loop on the io_context.
  Status start() override;
  // What start() does without the refresh loop: the anchor and the cached configuration, for
  // a command that reads them once (the CLI without a running server).
  Status open_cached();
  // After open_cached(), without a valid cached configuration: one download with the anchor,
  // run to its end on the io_context (which nothing else runs). For a command that needs the
  // configuration once on a host that has none yet (backup verify and restore).
  Status download_once();
  boost::asio::awaitable<void> stop() override;
  // std::nullopt when a valid configuration is loaded, else why not.
  std::optional<std::string> not_ready() const;
  // The anchor's instance identifier ("" without an anchor). Set by start().
  const std::string& instance() const { return instance_; }
  // The own instance's shared parameters while the configuration is valid, else null.
  std::shared_ptr<const globalconf::SharedParameters> shared() const;
  // The private parameters (the management service's addresses) under the same rule; null
  // when the configuration has none or is not valid.
  std::shared_ptr<const globalconf::PrivateParameters> private_params() const;
  // The monitoring client the MONITORING part names, under the same rule; std::nullopt when
  // the part is absent, names none, or cannot be read (logged).
  std::optional<XRoadId> monitoring_client() const;
  // Reads the anchor file again (it was replaced: PUT /system/anchor) and downloads with it at
  // once; an unusable anchor, or one of another instance, is logged and the previous stays.
  // Safe from any thread.
  void reload_anchor();
  // The download loop's last round: when it began, when the next is due, its error ("" if it
  // worked). No times before the first round.
  struct Round {
    std::optional<Clock::time_point> last, next;
    std::string error;
  };
  Round last_round() const;
  // Puts a verified snapshot in use: its shared parameters and its expiry. When its shared
  // parameters cannot be read, nothing changes: the previous ones stay with their own expiry.
  void take(const globalconf::Snapshot& snap);

 private:
  boost::asio::awaitable<void> loop();
  Result<globalconf::Anchor> read_anchor() const;
  // The MONITORING part's monitoring client, read again only when its hash changed.
  void take_monitoring(const globalconf::Snapshot& snap);
  // On the loop's strand, between downloads: a new client with the anchor file's anchor.
  void use_new_anchor();

  // What is in use; GUARDED_BY(mu_).
  struct InUse {
    std::shared_ptr<const globalconf::SharedParameters> shared;
    std::string shared_hash;  // the directory's hash of the part `shared` was read from
    std::shared_ptr<const globalconf::PrivateParameters> private_params;
    std::string private_hash;  // the directory's hash of the part `private_params` was read from
    std::optional<XRoadId> monitoring_client;
    std::string monitoring_hash;  // likewise, of the MONITORING part ("" when there is none)
    std::string last_error;
    std::optional<Clock::time_point> last_attempt, next_attempt;
  };
  struct Metrics {
    metrics::Counter& ok;
    metrics::Counter& failed;
    metrics::Gauge& expires;
    metrics::Gauge& version;
  };

  const GlobalconfOptions options_;
  const Clock& clock_;
  net::HttpClient http_;
  std::unique_ptr<globalconf::ConfigurationClient> client_;  // made at start, from the anchor
  std::string instance_;                                     // the anchor's, set at start
  boost::asio::steady_timer timer_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> reload_anchor_{false};
  std::atomic<std::int64_t> expires_{0};  // seconds since the epoch, 0: none
  mutable Mutex mu_;
  InUse in_use_ GUARDED_BY(mu_);
  Metrics metrics_;
};

}  // namespace roadside::server
