// An HTTP/1.1 client with keep-alive connection pooling, plain or TLS (with a client
// certificate for mutual TLS). Every request has a connect timeout, a total timeout and
// limits on the response head and body.
//
// A pooled connection is checked before use: one the server closed while it was idle is
// dropped and a new one opened, and so is a TLS one whose server no longer passes
// check_server (judged again every ClientOptions::recheck_server). A request is sent again only when it is safe (GET,
// HEAD, OPTIONS) and its pooled connection closed before any of the response arrived; any other request is never sent
// twice once a byte of it may have reached the server.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "base/result.h"
#include "base/thread_annotations.h"
#include "net/payload.h"
#include "net/tls.h"
#include "net/url.h"

namespace roadside::net {

namespace http = boost::beast::http;
namespace asio = boost::asio;

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds request_timeout{30'000};  // writing the request and reading the whole response
  std::size_t max_response_header_bytes = 64 * 1024;
  std::uint64_t max_response_body_bytes = 64 * 1024 * 1024;
  std::size_t max_idle_per_host = 256;          // more idle connections to one host are closed
  std::chrono::milliseconds idle_keep{30'000};  // pooled connections older than this are closed
  std::optional<TlsClientConfig> tls;           // for https URLs; default: verify with system CAs
  // A pooled TLS connection whose server was judged (TlsClientConfig::check_server) longer ago
  // than this is judged again before it is reused, and closed when it fails: a connection kept
  // busy must not outlive the trust it was opened on (a certificate revoked, a server no longer
  // registered). 0: before every reuse.
  std::chrono::milliseconds recheck_server{5'000};
};

struct ClientResponse {
  http::response<http::string_body> message;  // (with send(): the head, and the body when kept in memory)
  PeerChain server_chain;  // https: the server's certificate chain, leaf first
  bool reused_connection = false;
  std::optional<Payload> spooled_body;  // send(): a body over the in-memory limit, in a spool file
};

// Judges a response's head before its body is read: an error ends the request with that
// error, and the connection is closed.
using HeadCheck = std::function<Status(const http::response_header<>& head)>;

class HttpClient {
 public:
  HttpClient(asio::any_io_executor executor, ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // (Coroutine parameters are taken by value: a reference could dangle across a suspension.)
  // Sends `request` to `url` (its target and Host are set from the URL when empty);
  // `expected_peer` and `check_head` as with send().
  asio::awaitable<Result<ClientResponse>> request(Url url, http::request<http::string_body> request, std::string expected_peer = {},
                                                  HeadCheck check_head = {});
  asio::awaitable<Result<ClientResponse>> get(std::string url);
  // A POST of `body` as `content_type`, with an Accept header when `accept` is not empty.
  asio::awaitable<Result<ClientResponse>> post(std::string url, std::string content_type, std::string body,
                                               std::string accept = {});

  // A request whose body is sent from `body` (pieces in order; Content-Length is their sum)
  // and whose response body is kept in memory up to `in_memory_limit` and spooled to a file
  // under `spool_dir` beyond it (up to max_response_body_bytes). Its time limit is
  // request_timeout without progress, not in total: large bodies take the time they need.
  // With `expected_peer`, the connection is to that peer only: TlsClientConfig::check_server
  // judges the server against it (instead of the URL's host), and pooled connections are kept
  // apart by it, so one checked for another peer at the same address is never reused.
  // With `check_head`, the response's head is judged before its body is read.
  asio::awaitable<Result<ClientResponse>> send(Url url, http::request_header<> head, std::vector<Payload> body,
                                               std::filesystem::path spool_dir, std::uint64_t in_memory_limit,
                                               std::string expected_peer = {}, HeadCheck check_head = {});

  std::size_t connections_opened() const;
  std::size_t idle_connections() const;
  // Closes all pooled connections.
  void clear_pool();

  struct Conn;

 private:
  // (`expected_peer`: see send(); empty, the URL's host.)
  asio::awaitable<Result<std::unique_ptr<Conn>>> connect(Url url, std::string expected_peer);
  // A pooled connection to `key`, or a new one.
  asio::awaitable<Result<std::unique_ptr<Conn>>> acquire(const Url& url, const std::string& key, bool pooled, bool& reused,
                                                         const std::string& expected_peer = {});
  void release(const std::string& key, std::unique_ptr<Conn> conn);
  // False when `conn` is TLS and its server, judged again (recheck_server), fails check_server.
  // Called without the pool's lock: the check may take a while.
  bool still_trusted(Conn& conn, const Url& url, const std::string& expected_peer) const EXCLUDES(mu_);
  // Moves the connections of `idle` kept longer than idle_keep to `stale`.
  void drop_stale(std::vector<std::unique_ptr<Conn>>& idle, std::vector<std::unique_ptr<Conn>>& stale) const
      REQUIRES(mu_);

  asio::any_io_executor executor_;
  ClientOptions options_;
  std::shared_ptr<void> tls_ctx_;  // asio::ssl::context
  Status tls_status_;
  mutable Mutex mu_;
  std::map<std::string, std::vector<std::unique_ptr<Conn>>> pool_ GUARDED_BY(mu_);  // idle connections by key
  std::size_t opened_ GUARDED_BY(mu_) = 0;
};

// Whether the request failed before any byte of it was written (no connection, a refused
// or failed TLS handshake): only then may it go to another server.
bool failed_before_sending(const Error& e);

// The index of the host (of `hosts`, all on `port`) that accepts a TCP connection first, or
// std::nullopt when none does within `timeout`. The connections are closed again: X-Road's
// "fastest connect" among a provider's servers.
asio::awaitable<std::optional<std::size_t>> fastest_connect(asio::any_io_executor executor, std::vector<std::string> hosts,
                                                            unsigned short port, std::chrono::milliseconds timeout);

}  // namespace roadside::net
