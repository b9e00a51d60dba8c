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

#include "globalconf/client.h"
#include "globalconf/parameters.h"
#include "metrics/metrics.h"
#include "net/http_client.h"

namespace roadside::server {

class GlobalconfService {
 public:
  GlobalconfService(boost::asio::io_context& io, globalconf::Anchor anchor, std::filesystem::path cache_dir,
                    std::chrono::seconds interval, metrics::Registry& metrics);
  // Loads the cache and starts the refresh loop on the io_context.
  void start();
  void stop();
  // std::nullopt when a valid configuration is loaded, else why not.
  std::optional<std::string> not_ready() const;
  // The own instance's shared parameters while the configuration is valid, else null.
  std::shared_ptr<const globalconf::SharedParameters> shared() const;
  // Puts a verified snapshot in use: its shared parameters and its expiry. When its shared
  // parameters cannot be read, nothing changes: the previous ones stay with their own expiry.
  void take(const globalconf::Snapshot& snap);

 private:
  boost::asio::awaitable<void> loop();

  net::HttpClient http_;
  globalconf::ConfigurationClient client_;
  std::chrono::seconds interval_;
  boost::asio::steady_timer timer_;
  std::atomic<bool> stopped_{false};
  std::atomic<std::int64_t> expires_{0};  // seconds since the epoch, 0: none
  mutable std::mutex mu_;
  std::string last_error_;
  std::shared_ptr<const globalconf::SharedParameters> shared_;  // GUARDED_BY(mu_)
  std::string shared_hash_;  // the directory's hash of the part shared_ was read from; GUARDED_BY(mu_)
  metrics::Counter& ok_;
  metrics::Counter& failed_;
  metrics::Gauge& expires_gauge_;
  metrics::Gauge& version_gauge_;
};

}  // namespace roadside::server
