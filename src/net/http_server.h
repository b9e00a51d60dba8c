// An HTTP/1.1 server on Boost.Beast with C++20 coroutines, plain or TLS (server-only or
// mutual). The data path of one connection:
//
//   accept -> [TLS handshake, peer check] -> wait for a request (idle timeout)
//     -> read the head (header timeout, header size limit: 408 / 431)
//     -> handler(exchange): reads the body in pieces (body timeout, body limit: 408 / 413)
//        and writes a whole or streamed response
//     -> keep-alive: wait for the next request; otherwise close.
//
// Every refusal is answered with a status that names it (where the protocol still allows
// an answer), logged at debug level, and counted in
// roadside_http_rejected_total{listener,reason}.
//
// stop(deadline): closes the listener, closes idle connections at once, lets requests in
// flight finish (their responses carry "Connection: close") and cuts whatever is left when
// the deadline passes.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "base/result.h"
#include "metrics/metrics.h"
#include "net/payload.h"
#include "net/tls.h"

namespace roadside::net {

namespace http = boost::beast::http;
namespace asio = boost::asio;

using StringResponse = http::response<http::string_body>;

struct ServerLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 10 * 1024 * 1024;
  std::chrono::milliseconds header_timeout{10'000};  // from the first byte to the end of the head
  std::chrono::milliseconds body_timeout{30'000};    // longest pause while reading the body
  std::chrono::milliseconds idle_timeout{60'000};    // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{30'000};   // longest pause while writing
  // After min_body_rate_grace, a body must have arrived at this average rate at least (bytes
  // per second; 0: no minimum): a trickle that pauses just under body_timeout is cut (408).
  std::uint64_t min_body_rate = 1024;
  std::chrono::milliseconds min_body_rate_grace{10'000};
  std::size_t max_connections = 1024;  // more are accepted and closed at once
};

struct ServerOptions {
  std::string name = "http";  // the listener's label in logs and metrics
  std::string address = "127.0.0.1";
  unsigned short port = 0;  // 0: the OS picks one; see HttpServer::port()
  ServerLimits limits;
  std::optional<TlsServerConfig> tls;
};

struct PeerInfo {
  asio::ip::tcp::endpoint remote;
  bool tls = false;
  PeerChain chain;  // client certificate chain (mutual TLS), leaf first
  asio::ip::tcp::endpoint local;  // this server's end of the connection (the address it was reached at)
};

// One request and its response, as the handler sees it.
class ServerExchange {
 public:
  virtual ~ServerExchange() = default;

  virtual const http::request_header<>& request() const = 0;
  virtual const PeerInfo& peer() const = 0;

  // Reads the next piece of the body into `buf`; 0 means the body is complete.
  // Errors: errc::too_large (over the body limit), errc::timeout, errc::closed.
  virtual asio::awaitable<Result<std::size_t>> read_body(std::span<char> buf) = 0;
  // The whole body, refusing bodies over min(limit, the listener's body limit). With `memory`,
  // every byte read is taken from its budget first: when the budget is spent the read stops
  // with errc::overloaded (a cap on what unauthenticated requests hold in memory together).
  // (Pointer parameters: coroutine parameters are taken by value.)
  asio::awaitable<Result<std::string>> read_body_all(std::size_t limit = SIZE_MAX, BudgetShare* memory = nullptr);
  // The whole body, in memory up to `in_memory_limit` and in a spool file under `spool_dir`
  // beyond it; refusing bodies over min(limit, the listener's body limit). With `memory`, the
  // bytes held in memory are taken from its budget first (errc::overloaded when it is spent),
  // and given back when the body moves to the spool file.
  asio::awaitable<Result<Payload>> read_body_payload(std::uint64_t limit, std::filesystem::path spool_dir,
                                                     std::uint64_t in_memory_limit, BudgetShare* memory = nullptr);

  // A complete response. Content-Length is set from the body.
  virtual asio::awaitable<Status> respond(StringResponse response) = 0;
  // A streamed response: the head, then pieces of body, then finish(). With a
  // Content-Length in the head the body must match it; without one it is sent chunked.
  virtual asio::awaitable<Status> start_response(http::response_header<> head) = 0;
  virtual asio::awaitable<Status> write_body(std::string_view data) = 0;
  virtual asio::awaitable<Status> finish_response() = 0;
  // A response whose body is `body`'s pieces in order, with their total as Content-Length.
  asio::awaitable<Status> respond_payload(http::response_header<> head, std::vector<Payload> body);

  virtual bool responded() const = 0;
};

// Handles one request. When it returns without responding, the server answers 500 (or the
// status of the body error it ran into: 408, 413).
using Handler = std::function<asio::awaitable<void>(ServerExchange&)>;

class HttpServer {
 public:
  // Metrics are registered in `metrics` under the listener's name.
  HttpServer(asio::io_context& io, ServerOptions options, Handler handler, metrics::Registry& metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. Errors name the address and the cause (port in use).
  Status start();
  unsigned short port() const noexcept { return port_; }
  const std::string& name() const noexcept;

  // Graceful stop, see the file comment. Completes when every connection is gone, or at
  // most kCutWait after the deadline (a handler that ignores its cut connection).
  asio::awaitable<void> stop(std::chrono::milliseconds drain_deadline);
  // Stops several listeners as one: every one closes first, all their connections drain
  // until one deadline, and what is left on any of them is cut together. Takes about one
  // deadline, not one per listener. Null entries are skipped. When `hurry` turns true (a
  // second stop signal), the drain and the wait after the cut end at once.
  static asio::awaitable<void> stop_all(std::vector<HttpServer*> servers, std::chrono::milliseconds drain_deadline,
                                        const std::atomic<bool>* hurry = nullptr);
  // How long stop waits for cut connections to go.
  static constexpr std::chrono::seconds kCutWait{2};
  // Blocking form for callers outside the io_context's threads.
  void stop_blocking(std::chrono::milliseconds drain_deadline);

  std::size_t open_connections() const noexcept;

  struct Impl;

 private:
  unsigned short port_ = 0;
  std::shared_ptr<Impl> impl_;
};

// A response with a plain-text or JSON body and the usual headers.
StringResponse make_response(http::status status, std::string body, std::string_view content_type = "text/plain",
                             unsigned version = 11);

}  // namespace roadside::net
