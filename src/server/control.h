// Commands to a running server from its own host or container, over a Unix socket in the
// data directory (<data_dir>/control.sock, owner-only: whoever can use it can read the
// database anyway). One request per connection: a command line and an argument line; one
// answer line, "ok: ..." or "error: ...". Commands: token-login (the PIN as argument, what
// `roadside token login` sends) and maintenance (on or off, from `roadside maintenance`).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "base/result.h"

namespace roadside::server {

class ControlSocket {
 public:
  // Answers a command and its argument with an "ok: ..." or "error: ..." line.
  using Handler = std::function<std::string(const std::string& command, const std::string& argument)>;
  // A client has `request_timeout` to send its request; then its connection is closed.
  ControlSocket(boost::asio::io_context& io, std::filesystem::path path, Handler handler,
                std::chrono::milliseconds request_timeout = std::chrono::seconds(5));
  ~ControlSocket();
  // Binds the socket (a stale one from an earlier run is replaced) and starts accepting.
  Status start();
  // Stops accepting and removes the socket's path. Safe from any thread, while the
  // io_context runs or after; a command being answered is answered.
  void stop();
  const std::filesystem::path& path() const { return path_; }

  struct Impl;

 private:
  std::filesystem::path path_;
  std::shared_ptr<Impl> impl_;
  std::atomic<bool> started_{false};
};

// Sends one command to the server behind `path` and returns its answer line.
Result<std::string> control_request(const std::filesystem::path& path, const std::string& command, const std::string& argument,
                                    std::chrono::milliseconds timeout);

}  // namespace roadside::server
