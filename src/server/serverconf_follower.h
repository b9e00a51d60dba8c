// The server configuration in use, as a component. At start a primary or standalone node
// applies server_conf.file (a new revision when it changed); every node then loads the newest
// revision, and takes newer ones while running: by polling every server_conf.poll_interval_s,
// and at once when the primary's commit is notified (a cluster node's LISTEN connection;
// polling covers a broken one). Reloads run on the database thread.
//
// Readiness "serverconf": a configuration is applied. Metrics:
//   roadside_server_conf_revision               the revision in use
//   roadside_config_notifications_total         change notifications received (cluster nodes)
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/thread_annotations.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "server/component.h"
#include "server/readiness.h"
#include "serverconf/serverconf.h"
#include "storage/cluster.h"
#include "storage/store.h"

namespace roadside::server {

struct ServerConfOptions {
  std::string file;  // server_conf.file: applied at start by a primary or standalone node
  std::chrono::seconds poll_interval{};
  bool secondary = false;

  static ServerConfOptions from(const config::Config& config);
};

class ServerConfFollower final : public Component {
 public:
  // `db_io` runs the reloads (the database thread). `changes` is a cluster node's LISTEN
  // connection, null for a standalone node.
  ServerConfFollower(storage::Store& store, boost::asio::io_context& db_io, ServerConfOptions options,
                     std::unique_ptr<storage::ChangeListener> changes, metrics::Registry& metrics, Readiness& readiness);
  ~ServerConfFollower() override;

  std::string_view name() const override { return "serverconf"; }
  // Applies the file (an invalid one stops the start), loads the newest revision, starts
  // following.
  Status start() override;
  boost::asio::awaitable<void> stop() override;

  // The configuration in use, or null while none is applied.
  std::shared_ptr<const serverconf::ServerConf> current() const;

 private:
  // Loads the newest revision when it is not the one in use.
  void reload();
  boost::asio::awaitable<void> poll();
  // The LISTEN thread: a notification has the newest revision loaded at once.
  void follow_notifications();

  storage::Store& store_;
  const ServerConfOptions options_;
  boost::asio::steady_timer timer_;  // on the database thread
  std::unique_ptr<storage::ChangeListener> changes_;
  metrics::Counter* notifications_ = nullptr;  // with changes_
  std::thread listen_thread_;
  std::atomic<bool> stopped_{false};
  mutable Mutex mu_;
  std::shared_ptr<const serverconf::ServerConf> conf_ GUARDED_BY(mu_);
  std::int64_t revision_ GUARDED_BY(mu_) = 0;
};

}  // namespace roadside::server
