#include "net/http_client.h"

#include <atomic>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <openssl/ssl.h>
#include <poll.h>

#include "base/log.h"
#include "net/errors.h"
#include "net/tls_stream.h"

namespace roadside::net {
namespace {

namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Cancels a socket's operations when a deadline passes. Its timer runs on the executor of
// the coroutine that uses the socket (a connection's strand), never beside it.
class Watchdog {
 public:
  Watchdog(tcp::socket& socket, asio::any_io_executor executor, std::chrono::milliseconds d) : socket_(socket), timer_(executor) {
    timer_.expires_after(d);
    timer_.async_wait([this, alive = alive_](error_code ec) {
      if (ec || !*alive) return;
      fired_ = true;
      error_code ignored;
      socket_.cancel(ignored);
      // A composed operation between two steps has nothing to cancel; shut, its next step
      // ends at once instead of waiting on a server that trickles (the request has failed).
      socket_.shutdown(tcp::socket::shutdown_both, ignored);
    });
  }
  ~Watchdog() {
    *alive_ = false;
    timer_.cancel();
  }
  bool fired() const { return fired_; }

 private:
  tcp::socket& socket_;
  asio::steady_timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool fired_ = false;
};

// Cancels a socket's operations when no progress was made for a while (on the coroutine's
// executor, like Watchdog).
class IdleWatchdog {
 public:
  IdleWatchdog(tcp::socket& socket, asio::any_io_executor executor, std::chrono::milliseconds idle)
      : socket_(socket), timer_(executor), idle_(idle) {
    progress();
    arm(idle_);
  }
  ~IdleWatchdog() {
    *alive_ = false;
    timer_.cancel();
  }
  void progress() { last_.store(std::chrono::steady_clock::now().time_since_epoch().count()); }
  bool fired() const { return fired_.load(); }

 private:
  void arm(std::chrono::steady_clock::duration d) {
    timer_.expires_after(d);
    timer_.async_wait([this, alive = alive_](error_code ec) {
      if (ec || !*alive) return;
      const auto since = std::chrono::steady_clock::now().time_since_epoch() - std::chrono::steady_clock::duration(last_.load());
      if (since < idle_) {
        arm(idle_ - since);
        return;
      }
      fired_ = true;
      error_code ignored;
      socket_.cancel(ignored);
      socket_.shutdown(tcp::socket::shutdown_both, ignored);  // (as Watchdog's)
    });
  }

  tcp::socket& socket_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::duration idle_;
  std::atomic<std::chrono::steady_clock::rep> last_{0};
  std::atomic<bool> fired_{false};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

struct HttpClient::Conn {
  explicit Conn(tcp::socket s) : plain(std::move(s)) {}
  Conn(tcp::socket s, ssl::context& ctx) : tls(std::in_place, std::move(s), ctx) {}

  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }

  std::optional<tcp::socket> plain;
  std::optional<TlsStream> tls;
  boost::beast::flat_buffer buffer;
  PeerChain chain;
  std::chrono::steady_clock::time_point last_used;
  std::chrono::steady_clock::time_point judged;  // when check_server last passed the server
};

namespace {

template <typename Stream>
asio::awaitable<error_code> exchange(Stream& stream, boost::beast::flat_buffer& buffer,
                                     http::request<http::string_body>& req, http::response_parser<http::string_body>& parser,
                                     bool& got_bytes, const HeadCheck& check_head, Status& head_status) {
  auto [wec, wn] = co_await http::async_write(stream, req, kTuple);
  if (wec) co_return wec;
  auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
  got_bytes = hn > 0 || parser.got_some();
  if (hec) co_return hec;
  if (check_head && !(head_status = check_head(parser.get())).ok()) co_return asio::error::operation_aborted;
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kTuple);
  co_return rec;
}

// Only a request without effects may be sent again after it may have arrived (RFC 9110 §9.2.1).
bool is_safe(http::verb method) {
  return method == http::verb::get || method == http::verb::head || method == http::verb::options;
}

// A body in memory is written in slices of this size, each one progress for the watchdog.
constexpr std::size_t kMemorySlice = 256 * 1024;

// send(): the head, the body from its pieces, then the response head and its body into `sink`.
template <typename Stream>
asio::awaitable<error_code> exchange_streamed(Stream& stream, boost::beast::flat_buffer& buffer,
                                              http::request<http::empty_body>& head, std::vector<Payload>& body,
                                              http::response_parser<http::buffer_body>& parser, bool& got_bytes,
                                              IdleWatchdog& dog, PayloadBuilder& sink, Status& sink_status,
                                              const HeadCheck& check_head) {
  http::request_serializer<http::empty_body> serializer(head);
  auto [wec, wn] = co_await http::async_write_header(stream, serializer, kTuple);
  if (wec) co_return wec;
  std::vector<char> chunk;  // for pieces in files, and the response body (not held while the server works)
  for (const auto& piece : body) {
    if (piece.in_memory()) {
      // Written from where it is, in slices: each one is progress for the watchdog.
      const std::string& bytes = piece.bytes();
      for (std::size_t at = 0; at < bytes.size(); at += kMemorySlice) {
        auto [bec, bn] = co_await asio::async_write(
            stream, asio::buffer(bytes.data() + at, std::min(kMemorySlice, bytes.size() - at)), kTuple);
        if (bec) co_return bec;
        dog.progress();
      }
      continue;
    }
    chunk.resize(kBodyChunkBytes);
    for (std::uint64_t pos = 0; pos < piece.size();) {
      auto n = piece.read_at(pos, chunk);
      if (!n.ok() || *n == 0) {
        sink_status = n.ok() ? Status(Error(make_error_code(errc::closed), "a spooled body ended early")) : Status(n.error());
        co_return asio::error::operation_aborted;
      }
      auto [bec, bn] = co_await asio::async_write(stream, asio::buffer(chunk.data(), *n), kTuple);
      if (bec) co_return bec;
      dog.progress();
      pos += *n;
    }
  }
  // A request that is never sent again (not a safe method) needs its body no more while
  // the server works on it.
  if (!is_safe(head.method())) std::vector<Payload>().swap(body);
  auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
  got_bytes = hn > 0 || parser.got_some();
  if (hec) co_return hec;
  if (check_head && !(sink_status = check_head(parser.get())).ok()) co_return asio::error::operation_aborted;
  dog.progress();
  // Room for the whole body at once when its length is known and small (a length claimed is
  // not yet bytes sent: larger ones grow as they arrive).
  constexpr std::uint64_t kReservedAtOnce = 64 * 1024;
  if (const auto length = parser.content_length(); length && *length <= kReservedAtOnce) {
    sink.reserve(static_cast<std::size_t>(*length));
  }
  while (!parser.is_done()) {
    // A body of known length that stays in memory is read into its place (up to a chunk at
    // a time: a length claimed is not yet bytes sent); others through `chunk`.
    const auto remaining = parser.content_length_remaining();
    std::span<char> room =
        remaining ? sink.prepare(static_cast<std::size_t>(std::min<std::uint64_t>(*remaining, kBodyChunkBytes)))
                  : std::span<char>();
    const bool direct = !room.empty();
    if (!direct) {
      chunk.resize(kBodyChunkBytes);
      room = chunk;
    }
    parser.get().body().data = room.data();
    parser.get().body().size = room.size();
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (rec == http::error::need_buffer) rec = {};
    const std::size_t got = room.size() - parser.get().body().size;
    if (direct) sink.commit(got);
    if (rec) co_return rec;
    dog.progress();
    if (got == 0 || direct) continue;
    sink_status = sink.append(std::string_view(room.data(), got));
    if (!sink_status.ok()) co_return asio::error::operation_aborted;
  }
  co_return error_code{};
}

// An idle pooled connection the server has closed (or written to: an idle HTTP/1.1
// connection carries nothing) is readable, or holds bytes already read (by us or by OpenSSL);
// a live one does neither. Checked before a request is
// written on it, because once a byte of a request may have reached the server the request is
// never sent again.
bool still_open(HttpClient::Conn& conn) {
  if (conn.buffer.size() > 0 || (conn.tls && SSL_has_pending(conn.tls->native_handle()) != 0)) return false;
  pollfd p{conn.socket().native_handle(), POLLIN | POLLRDHUP, 0};
  return ::poll(&p, 1, 0) == 0;
}

bool retryable(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == http::error::partial_message || ec == ssl::error::stream_truncated;
}

// Target and Host from the URL when the head has none; keep-alive.
template <typename Message>
void prepare_head(const Url& url, Message& head) {
  if (head.target().empty()) head.target(url.target);
  if (head.find(http::field::host) == head.end()) {
    const bool default_port = (url.tls() && url.port == 443) || (!url.tls() && url.port == 80);
    head.set(http::field::host, default_port ? url.host : url.authority());
  }
  head.keep_alive(true);
}

// What a failed exchange with `key` is, for the caller; `timeout` says how the watchdog ran
// out (empty when it did not).
Error exchange_error(const error_code& ec, const std::string& key, const std::string& timeout) {
  if (!timeout.empty()) return Error(make_error_code(errc::timeout), "request to " + key + " " + timeout);
  if (ec == http::error::header_limit || ec == http::error::body_limit) {
    return Error(make_error_code(errc::too_large), "response from " + key + " too large: " + ec.message());
  }
  if (retryable(ec)) return Error(make_error_code(errc::closed), key + " closed the connection: " + ec.message());
  return Error(make_error_code(errc::protocol_error), "bad response from " + key + ": " + ec.message());
}

}  // namespace

HttpClient::HttpClient(asio::any_io_executor executor, ClientOptions options)
    : executor_(std::move(executor)), options_(std::move(options)) {
  auto ctx = make_client_context(options_.tls.value_or(TlsClientConfig{}));
  if (ctx.ok()) {
    tls_ctx_ = *ctx;
  } else {
    tls_status_ = std::move(ctx).error();
  }
}

HttpClient::~HttpClient() = default;

std::size_t HttpClient::connections_opened() const {
  MutexLock lock(mu_);
  return opened_;
}

std::size_t HttpClient::idle_connections() const {
  MutexLock lock(mu_);
  std::size_t n = 0;
  for (const auto& [k, v] : pool_) n += v.size();
  return n;
}

void HttpClient::clear_pool() {
  MutexLock lock(mu_);
  pool_.clear();
}

asio::awaitable<Result<std::unique_ptr<HttpClient::Conn>>> HttpClient::connect(Url url, std::string expected_peer) {
  const asio::any_io_executor here = co_await asio::this_coro::executor;
  const std::string where = url.authority();
  tcp::resolver resolver(executor_);
  auto [rec, endpoints] = co_await resolver.async_resolve(url.host, std::to_string(url.port), kTuple);
  if (rec) co_return Error(make_error_code(errc::unknown_host), "cannot resolve " + url.host + ": " + rec.message());

  tcp::socket socket(executor_);
  {
    Watchdog dog(socket, here, options_.connect_timeout);
    // (Between two of the addresses the socket is closed and opened again: the watchdog has
    // nothing to cancel then, so no address is tried once it has fired.)
    const auto in_time = [&dog](const error_code&, const tcp::endpoint&) { return !dog.fired(); };
    auto [cec, ep] = co_await asio::async_connect(socket, endpoints, in_time, kTuple);
    if (cec) {
      if (dog.fired()) {
        co_return Error(make_error_code(errc::connect_timeout),
                        "connecting to " + where + " took longer than " + std::to_string(options_.connect_timeout.count()) + " ms");
      }
      co_return Error(make_error_code(errc::connect_failed), "cannot connect to " + where + ": " + cec.message());
    }
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  {
    MutexLock lock(mu_);
    ++opened_;
  }
  if (!url.tls()) co_return std::make_unique<Conn>(std::move(socket));

  if (!tls_status_.ok()) co_return tls_status_.error();
  auto& ctx = *static_cast<ssl::context*>(tls_ctx_.get());
  auto conn = std::make_unique<Conn>(std::move(socket), ctx);
  SSL* native = conn->tls->native_handle();
  const TlsClientConfig tls_cfg = options_.tls.value_or(TlsClientConfig{});
  error_code ec;
  asio::ip::make_address(url.host, ec);
  const bool is_name = static_cast<bool>(ec);
  if (is_name) SSL_set_tlsext_host_name(native, url.host.c_str());  // SNI only for names, not addresses
  if (tls_cfg.verify_server && tls_cfg.verify_hostname) {
    // The leaf must be for the URL's host: its DNS name or IP address.
    const int set = is_name ? SSL_set1_host(native, url.host.c_str())
                            : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), url.host.c_str());
    if (set != 1)
      co_return Error(make_error_code(errc::tls_failed), "cannot check the server's name against " + url.host);
  }
  {
    Watchdog dog(conn->socket(), here, options_.connect_timeout);
    auto [hec] = co_await conn->tls->async_handshake(TlsStream::Side::client, kTuple);
    if (hec) {
      co_return Error(make_error_code(dog.fired() ? errc::connect_timeout : errc::tls_failed),
                      "TLS handshake with " + where + " failed: " + (dog.fired() ? "timed out" : hec.message()));
    }
  }
  conn->chain = peer_chain(native);
  if (tls_cfg.check_server) {
    const std::string why = tls_cfg.check_server(conn->chain, expected_peer.empty() ? url.host : expected_peer);
    if (!why.empty()) co_return Error(make_error_code(errc::tls_failed), "server " + where + " refused: " + why);
    conn->judged = std::chrono::steady_clock::now();
  }
  co_return conn;
}

asio::awaitable<Result<ClientResponse>> HttpClient::request(Url url, http::request<http::string_body> req, std::string expected_peer,
                                                            HeadCheck check_head) {
  const asio::any_io_executor here = co_await asio::this_coro::executor;
  const std::string key = url.scheme + "://" + url.authority() + (expected_peer.empty() ? "" : " " + expected_peer);
  prepare_head(url, req);
  req.prepare_payload();

  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = false;
    auto acquired = co_await acquire(url, key, attempt == 0, reused, expected_peer);
    if (!acquired.ok()) co_return std::move(acquired).error();
    std::unique_ptr<Conn> conn = std::move(acquired).value();

    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.max_response_header_bytes));
    parser.body_limit(options_.max_response_body_bytes);
    parser.skip(req.method() == http::verb::head);  // its Content-Length is the GET's; no body follows
    bool got_bytes = false;
    Status head_status;
    error_code ec;
    bool timed_out = false;
    {
      Watchdog dog(conn->socket(), here, options_.request_timeout);
      // (No co_await inside ?: — GCC 12 miscompiles it.)
      if (conn->tls) {
        ec = co_await exchange(*conn->tls, conn->buffer, req, parser, got_bytes, check_head, head_status);
      } else {
        ec = co_await exchange(*conn->plain, conn->buffer, req, parser, got_bytes, check_head, head_status);
      }
      timed_out = dog.fired();
    }
    if (!head_status.ok()) co_return head_status.error();
    if (ec) {
      // A pooled connection that closed under a safe request: the request is sent again.
      if (reused && !got_bytes && !timed_out && retryable(ec) && is_safe(req.method())) continue;
      co_return exchange_error(ec, key, timed_out ? "took longer than " + std::to_string(options_.request_timeout.count()) + " ms" : "");
    }
    ClientResponse out{parser.release(), conn->chain, reused};
    if (out.message.keep_alive() && !out.message.need_eof()) release(key, std::move(conn));
    co_return out;
  }
  co_return Error(make_error_code(errc::closed), key + " closed the connection twice");
}

asio::awaitable<Result<std::unique_ptr<HttpClient::Conn>>> HttpClient::acquire(const Url& url, const std::string& key, bool pooled,
                                                                              bool& reused, const std::string& expected_peer) {
  while (pooled) {
    std::unique_ptr<Conn> c;
    {
      std::vector<std::unique_ptr<Conn>> stale;  // closed after the lock is let go
      MutexLock lock(mu_);
      auto& idle = pool_[key];
      drop_stale(idle, stale);
      if (idle.empty()) break;
      c = std::move(idle.back());
      idle.pop_back();
    }
    // Judged with the lock let go (the server's check reads its chain and OCSP responses): the
    // other connections of the pool are not held up meanwhile. One that fails is closed.
    if (still_open(*c) && still_trusted(*c, url, expected_peer)) {
      reused = true;
      co_return std::move(c);
    }
  }
  reused = false;
  co_return co_await connect(url, expected_peer);
}

bool HttpClient::still_trusted(Conn& conn, const Url& url, const std::string& expected_peer) const {
  if (!conn.tls || !options_.tls || !options_.tls->check_server) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now - conn.judged < options_.recheck_server) return true;
  const std::string why = options_.tls->check_server(conn.chain, expected_peer.empty() ? url.host : expected_peer);
  if (!why.empty()) {
    log::info("a pooled connection's server is trusted no more; the connection is closed",
              {{"server", url.authority()}, {"reason", why}});
    return false;
  }
  conn.judged = now;
  return true;
}

void HttpClient::release(const std::string& key, std::unique_ptr<Conn> conn) {
  conn->last_used = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Conn>> stale;  // closed after the lock is let go
  MutexLock lock(mu_);
  auto& idle = pool_[key];
  drop_stale(idle, stale);
  if (idle.size() < options_.max_idle_per_host) idle.push_back(std::move(conn));
}

void HttpClient::drop_stale(std::vector<std::unique_ptr<Conn>>& idle, std::vector<std::unique_ptr<Conn>>& stale) const {
  // Oldest first: connections go back at the end.
  const auto now = std::chrono::steady_clock::now();
  auto fresh = idle.begin();
  while (fresh != idle.end() && now - (*fresh)->last_used >= options_.idle_keep) ++fresh;
  std::move(idle.begin(), fresh, std::back_inserter(stale));
  idle.erase(idle.begin(), fresh);
}

asio::awaitable<Result<ClientResponse>> HttpClient::send(Url url, http::request_header<> head_in, std::vector<Payload> body,
                                                         std::filesystem::path spool_dir, std::uint64_t in_memory_limit,
                                                         std::string expected_peer, HeadCheck check_head) {
  const asio::any_io_executor here = co_await asio::this_coro::executor;
  const std::string key = url.scheme + "://" + url.authority() + (expected_peer.empty() ? "" : " " + expected_peer);
  http::request<http::empty_body> head(std::move(head_in));
  prepare_head(url, head);
  std::uint64_t length = 0;
  for (const auto& p : body) length += p.size();
  const bool has_body = length > 0 || head.method() == http::verb::post || head.method() == http::verb::put ||
                        head.method() == http::verb::patch;
  head.erase(http::field::transfer_encoding);
  if (has_body) {
    head.set(http::field::content_length, std::to_string(length));
  } else {
    head.erase(http::field::content_length);
  }

  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = false;
    auto acquired = co_await acquire(url, key, attempt == 0, reused, expected_peer);
    if (!acquired.ok()) co_return std::move(acquired).error();
    std::unique_ptr<Conn> conn = std::move(acquired).value();

    http::response_parser<http::buffer_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.max_response_header_bytes));
    parser.body_limit(options_.max_response_body_bytes);
    parser.skip(head.method() == http::verb::head);
    PayloadBuilder sink(spool_dir, in_memory_limit);
    Status sink_status;
    bool got_bytes = false;
    error_code ec;
    bool timed_out = false;
    {
      IdleWatchdog dog(conn->socket(), here, options_.request_timeout);
      // (No co_await inside ?: — GCC 12 miscompiles it.)
      if (conn->tls) {
        ec = co_await exchange_streamed(*conn->tls, conn->buffer, head, body, parser, got_bytes, dog, sink, sink_status, check_head);
      } else {
        ec = co_await exchange_streamed(*conn->plain, conn->buffer, head, body, parser, got_bytes, dog, sink, sink_status, check_head);
      }
      timed_out = dog.fired();
    }
    if (!sink_status.ok()) co_return sink_status.error();
    if (ec) {
      if (reused && !got_bytes && !timed_out && retryable(ec) && is_safe(head.method())) continue;
      co_return exchange_error(ec, key, timed_out ? "made no progress for " + std::to_string(options_.request_timeout.count()) + " ms" : "");
    }
    const bool keep = parser.get().keep_alive() && !parser.get().need_eof();
    ClientResponse out{http::response<http::string_body>(std::move(parser.get().base())), conn->chain, reused};
    Payload payload = std::move(sink).finish();
    if (payload.in_memory()) {
      out.message.body() = std::move(payload).take_bytes();
    } else {
      out.spooled_body = std::move(payload);
    }
    if (keep) release(key, std::move(conn));
    co_return out;
  }
  co_return Error(make_error_code(errc::closed), key + " closed the connection twice");
}

asio::awaitable<Result<ClientResponse>> HttpClient::get(std::string url_text) {
  auto url = Url::parse(url_text);
  if (!url.ok()) co_return std::move(url).error();
  http::request<http::string_body> req{http::verb::get, url->target, 11};
  co_return co_await request(*url, std::move(req));
}

asio::awaitable<Result<ClientResponse>> HttpClient::post(std::string url_text, std::string content_type, std::string body,
                                                         std::string accept) {
  auto url = Url::parse(url_text);
  if (!url.ok()) co_return std::move(url).error();
  http::request<http::string_body> req{http::verb::post, url->target, 11};
  req.set(http::field::content_type, content_type);
  if (!accept.empty()) req.set(http::field::accept, accept);
  req.body() = std::move(body);
  req.prepare_payload();
  co_return co_await request(*url, std::move(req));
}

namespace {

struct ConnectRace {
  explicit ConnectRace(asio::strand<asio::any_io_executor> s) : strand(s), done(s) {}
  asio::strand<asio::any_io_executor> strand;
  asio::steady_timer done;  // cancelled by the first connection, or by the last failure
  std::optional<std::size_t> winner;
  std::size_t pending = 0;
  bool finished = false;  // the race is decided: runners still resolving do not connect
  std::vector<std::shared_ptr<tcp::socket>> sockets;
};

// One runner of the race (on the race's strand, like everything that touches it).
asio::awaitable<void> race_one(std::shared_ptr<ConnectRace> race, std::size_t index, std::string host, unsigned short port) {
  tcp::resolver resolver(race->strand);
  auto [rec, endpoints] = co_await resolver.async_resolve(host, std::to_string(port), kTuple);
  bool connected = false;
  if (!rec && !race->finished) {
    auto socket = std::make_shared<tcp::socket>(race->strand);
    race->sockets.push_back(socket);
    auto [cec, ep] = co_await asio::async_connect(*socket, endpoints, kTuple);
    connected = !cec;
  }
  if (connected && !race->winner) {
    race->winner = index;
    race->done.cancel();
  }
  if (--race->pending == 0) race->done.cancel();
}

asio::awaitable<std::optional<std::size_t>> run_race(std::shared_ptr<ConnectRace> race, std::vector<std::string> hosts, unsigned short port,
                                                     std::chrono::milliseconds timeout) {
  race->pending = hosts.size();
  race->done.expires_after(timeout);
  for (std::size_t i = 0; i < hosts.size(); ++i) asio::co_spawn(race->strand, race_one(race, i, hosts[i], port), asio::detached);
  co_await race->done.async_wait(kTuple);
  race->finished = true;
  for (auto& socket : race->sockets) {
    error_code ignored;
    socket->close(ignored);  // the losers stop; the winner's probe connection is not kept
  }
  co_return race->winner;
}

}  // namespace

bool failed_before_sending(const Error& e) {
  if (e.code().category() != net_category()) return false;
  const auto c = static_cast<errc>(e.code().value());
  return c == errc::connect_failed || c == errc::connect_timeout || c == errc::tls_failed || c == errc::unknown_host;
}

asio::awaitable<std::optional<std::size_t>> fastest_connect(asio::any_io_executor executor, std::vector<std::string> hosts,
                                                            unsigned short port, std::chrono::milliseconds timeout) {
  if (hosts.empty()) co_return std::nullopt;
  auto race = std::make_shared<ConnectRace>(asio::make_strand(executor));
  auto strand = race->strand;
  co_return co_await asio::co_spawn(strand, run_race(race, std::move(hosts), port, timeout), asio::use_awaitable);
}

}  // namespace roadside::net
