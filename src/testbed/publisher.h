// The configuration publisher: what a Central Server does for its Security Servers.
//
// publish() writes, for each configuration version, X-Road's public layout:
//   <public>/V<N>/internalconf             the signed directory (replaced atomically)
//   <public>/V<N>/<generation>/<file>      its parts, at their Content-location
// Directories expire `validity` after signing; due() says when to sign again (at half the
// validity), so a server that fetches on time never sees an expired one. The previous
// generation stays on disk for clients that are still downloading its parts.
//
// PublisherServer serves the folder as a Central Server's web server does:
//   GET /internalconf?version=N   V<N>/internalconf, 404 for a version not published
//   GET /internalconf             Version 2 (X-Road's compatibility rule)
//   GET /V<N>/<generation>/<file> a part
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "crypto/crypto.h"
#include "metrics/metrics.h"
#include "net/http_server.h"

namespace roadside::testbed {

struct ConfigurationPart {
  std::string content_identifier;  // SHARED-PARAMETERS, PRIVATE-PARAMETERS, ...
  std::string file_name;           // shared-params.xml, ...
  std::string bytes;
};

struct PublisherConfig {
  std::filesystem::path public_dir;
  std::string instance;
  std::vector<int> versions = {2, 3, 4, 5, 6};
  std::chrono::seconds validity{600};  // X-Road's confExpireIntervalSeconds default
  std::vector<ConfigurationPart> parts;
};

class ConfigurationPublisher {
 public:
  ConfigurationPublisher(PublisherConfig config, crypto::PrivateKey key, crypto::Certificate cert);

  Status publish(std::chrono::system_clock::time_point now);
  bool due(std::chrono::system_clock::time_point now) const;
  // Replaces the parts (for example new shared parameters); the next publish() uses them.
  void set_parts(std::vector<ConfigurationPart> parts);
  const PublisherConfig& config() const { return config_; }

 private:
  PublisherConfig config_;
  crypto::PrivateKey key_;
  crypto::Certificate cert_;
  mutable std::mutex mu_;
  std::optional<std::chrono::system_clock::time_point> signed_at_;
};

class PublisherServer {
 public:
  // Publishes at once, then again whenever due (checked every `tick`).
  PublisherServer(boost::asio::io_context& io, ConfigurationPublisher& publisher, net::ServerOptions options,
                  metrics::Registry& metrics, std::chrono::milliseconds tick = std::chrono::seconds(5));
  Status start();
  void stop_blocking(std::chrono::milliseconds grace);
  unsigned short port() const;
  std::string url() const;  // http://127.0.0.1:PORT/internalconf
  std::size_t publications() const { return publications_; }

 private:
  boost::asio::awaitable<void> handle(net::ServerExchange& ex);
  void schedule();

  ConfigurationPublisher& publisher_;
  std::chrono::milliseconds tick_;
  boost::asio::steady_timer timer_;
  std::atomic<std::size_t> publications_{0};
  std::atomic<bool> stopped_{false};
  net::HttpServer server_;
};

}  // namespace roadside::testbed
