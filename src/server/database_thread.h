// The thread for work that waits on the database or a remote service after start:
// configuration reloads, the cluster's OCSP sharing, OCSP fetches, token login from the
// control socket. None of it runs on the io_context's threads, so a database that stops
// answering never holds up the proxies or the health listener.
#pragma once

#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "server/component.h"

namespace roadside::server {

class DatabaseThread final : public Component {
 public:
  DatabaseThread() = default;
  // Joins the thread when stop() did not.
  ~DatabaseThread() override;

  std::string_view name() const override { return "database_thread"; }
  // Starts the thread; work posted before start waits for it.
  Status start() override;
  // Lets the queued work finish and joins the thread. The components that use the thread
  // stop before it (they cancel their timers and close their sockets), so what is queued
  // ends; work in flight (a database statement, an OCSP fetch) ends within its own timeout.
  boost::asio::awaitable<void> stop() override;

  boost::asio::io_context& io() { return io_; }

 private:
  void join();

  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace roadside::server
