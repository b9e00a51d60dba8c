#include "server/listeners.h"

#include "base/log.h"
#include "net/url.h"

namespace roadside::server {

Listeners::Listeners(boost::asio::io_context& io, metrics::Registry& metrics) : io_(io), metrics_(metrics) {}

Result<unsigned short> Listeners::add(net::ServerOptions options, net::Handler handler) {
  const std::string scheme = options.tls ? "https" : "http";
  const std::string name = options.name;
  const std::string address = options.address;
  auto server = std::make_unique<net::HttpServer>(io_, std::move(options), std::move(handler), metrics_);
  MutexLock lock(mu_);
  // Started under the lock, so a stop that has begun never misses a listener.
  if (stopping_) return Error(std::make_error_code(std::errc::operation_canceled), "listener " + name + ": the server is stopping");
  ROADSIDE_TRY_STATUS(server->start());
  const unsigned short port = server->port();
  log::info("listening", {{"component", name}, {"address", address}, {"port", port}});
  entries_.push_back({std::move(server), net::local_base_url(scheme, address, port)});
  return port;
}

bool Listeners::has(const std::string& name) const {
  MutexLock lock(mu_);
  for (const auto& e : entries_) {
    if (e.server->name() == name) return true;
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> Listeners::endpoints() const {
  MutexLock lock(mu_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : entries_) out.emplace_back(e.server->name(), e.url);
  return out;
}

boost::asio::awaitable<void> Listeners::stop(std::chrono::milliseconds drain) {
  std::vector<net::HttpServer*> servers;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    for (const auto& e : entries_) servers.push_back(e.server.get());
  }
  co_await net::HttpServer::stop_all(std::move(servers), drain, &hurry_);
}

}  // namespace roadside::server
