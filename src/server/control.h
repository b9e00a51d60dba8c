// Commands to a running server from its own host or container, over a Unix socket in the
// data directory (<data_dir>/control.sock, owner-only: whoever can use it can read the
// database anyway). One request per connection: a command line and an argument line; one
// answer line, "ok: ..." or "error: ...". A few connections are served side by side (past
// that: "error: busy, try again"); a client gets request_timeout to send its request and
// again to read its answer. Commands: token-login (the PIN as argument, what
// `roadside token login` sends), maintenance (on or off, from `roadside maintenance`) and api
// (an admin API request of the CLI, admin/local_calls.h).
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

// One request: its command, its argument and who sent it (the peer's uid, SO_PEERCRED).
struct ControlRequest {
  std::string command;
  std::string argument;
  unsigned uid = 0;
};

class ControlSocket {
 public:
  // Answers a request with an "ok: ..." or "error: ..." line (no newline in it).
  using Handler = std::function<boost::asio::awaitable<std::string>(ControlRequest)>;
  // A client has `request_timeout` to send its request of at most `max_request` bytes; then its
  // connection is closed.
  ControlSocket(boost::asio::io_context& io, std::filesystem::path path, Handler handler,
                std::chrono::milliseconds request_timeout = std::chrono::seconds(5), std::size_t max_request = 4096);
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

// Sends one command to the server behind `path` and returns its answer line (at most 64 MiB).
// errc::no_such_file_or_directory or errc::connection_refused: no server runs there.
Result<std::string> control_request(const std::filesystem::path& path, const std::string& command,
                                    const std::string& argument, std::chrono::milliseconds timeout);

}  // namespace roadside::server
