// Every HTTP listener of the server process (health, client proxy over HTTP and HTTPS, server
// proxy, OCSP responder), started as they are added and stopped together: on stop, all close
// at once, their requests in flight drain under one deadline, and what is left on any of them
// is cut together (net::HttpServer::stop_all). One after another, a stop took one drain
// deadline per listener.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "base/thread_annotations.h"
#include "base/result.h"
#include "metrics/metrics.h"
#include "net/http_server.h"

namespace roadside::server {

class Listeners {
 public:
  Listeners(boost::asio::io_context& io, metrics::Registry& metrics);

  // Starts a listener (errors name it and its address) and keeps it until stop(). Returns the
  // port it listens on. Refused once stop() has begun. Safe from any thread.
  Result<unsigned short> add(net::ServerOptions options, net::Handler handler);
  // Whether a listener of that name is running.
  bool has(const std::string& name) const;
  // The base URL of each listener ("https://..." for TLS ones), in the order they were added.
  std::vector<std::pair<std::string, std::string>> endpoints() const;
  // Closes every listener, drains all their requests until `drain` has passed, cuts what is
  // left together.
  boost::asio::awaitable<void> stop(std::chrono::milliseconds drain);
  // Ends a stop's drain now (a second stop signal): what is left is cut without waiting.
  void hurry() { hurry_ = true; }

 private:
  struct Entry {
    std::unique_ptr<net::HttpServer> server;
    std::string url;
  };

  boost::asio::io_context& io_;
  metrics::Registry& metrics_;
  mutable Mutex mu_;
  std::vector<Entry> entries_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::atomic<bool> hurry_{false};
};

}  // namespace roadside::server
