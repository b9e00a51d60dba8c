#include "net/http_server.h"

#include <algorithm>
#include <future>
#include <map>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/version.hpp>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/thread_annotations.h"
#include "net/errors.h"
#include "net/tls_stream.h"

namespace roadside::net {
namespace {

namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

bool is_disconnect(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated || ec == asio::error::not_connected;
}

// The server's own refusals: {"status", "error", "message"} as JSON.
StringResponse error_response(http::status status, std::string_view error, std::string_view message) {
  const nlohmann::json body = {{"status", static_cast<int>(status)}, {"error", error}, {"message", message}};
  return make_response(status, body.dump() + "\n", "application/json");
}

}  // namespace

// Hooks a session needs from its server; also what stop() drives.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void begin_shutdown() = 0;  // on the session's executor
  virtual void force_close() = 0;     // on the session's executor
  virtual asio::any_io_executor executor() = 0;
};

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io_, ServerOptions opts_, Handler handler_, metrics::Registry& m)
      : io(io_),
        opts(std::move(opts_)),
        handler(std::move(handler_)),
        acceptor(asio::make_strand(io_)),
        connections_total(m.counter("roadside_http_connections_total", "Connections accepted", {{"listener", opts.name}})),
        connections_open(m.gauge("roadside_http_connections_open", "Connections open now", {{"listener", opts.name}})),
        requests_total(m.counter("roadside_http_requests_total", "Requests received (heads read)", {{"listener", opts.name}})),
        idle_closed(m.counter("roadside_http_idle_closed_total", "Keep-alive connections closed after the idle timeout",
                              {{"listener", opts.name}})) {
    for (const char* reason : {"header_too_large", "body_too_large", "header_timeout", "body_timeout", "body_too_slow", "bad_request",
                               "tls_handshake_failed", "peer_refused", "too_many_connections"}) {
      rejected[reason] = &m.counter("roadside_http_rejected_total", "Requests or connections refused, by reason",
                                    {{"listener", opts.name}, {"reason", reason}});
    }
  }

  void reject_count(const std::string& reason) {
    auto it = rejected.find(reason);
    if (it != rejected.end()) it->second->inc();
  }

  asio::awaitable<void> accept_loop();

  asio::io_context& io;
  ServerOptions opts;
  Handler handler;
  std::shared_ptr<ssl::context> tls;
  tcp::acceptor acceptor;
  metrics::Counter& connections_total;
  metrics::Gauge& connections_open;
  metrics::Counter& requests_total;
  metrics::Counter& idle_closed;
  std::map<std::string, metrics::Counter*> rejected;

  Mutex mu;
  std::map<std::uint64_t, std::weak_ptr<SessionBase>> sessions GUARDED_BY(mu);
  std::uint64_t next_id = 0;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open{0};
};

namespace {

template <typename Stream>
class Session final : public SessionBase, public ServerExchange, public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <typename... Args>
  Session(std::shared_ptr<HttpServer::Impl> server, std::uint64_t id, tcp::endpoint remote, Args&&... args)
      : server_(std::move(server)), id_(id), stream_(std::forward<Args>(args)...), timer_(stream_.get_executor()) {
    peer_.remote = remote;
    peer_.tls = !std::is_same_v<Stream, tcp::socket>;
    error_code ec;
    peer_.local = socket().local_endpoint(ec);
  }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

  tcp::socket& socket() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) return stream_;
    else return stream_.next_layer();
  }

  void begin_shutdown() override {
    stop_after_ = true;
    if (idle_) {
      error_code ec;
      socket().cancel(ec);
    }
  }

  void force_close() override {
    error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
  }

  // ---- ServerExchange ----
  const http::request_header<>& request() const override { return parser_->get().base(); }
  const PeerInfo& peer() const override { return peer_; }
  bool responded() const override { return responded_; }

  asio::awaitable<Result<std::size_t>> read_body(std::span<char> buf) override {
    if (body_error_) co_return *body_error_;
    if (parser_->is_done() || buf.empty()) co_return std::size_t{0};
    if (!continue_sent_ && beast::iequals(request()[http::field::expect], "100-continue")) {
      continue_sent_ = true;
      http::response<http::empty_body> cont{http::status::continue_, request().version()};
      arm(server_->opts.limits.write_timeout, Waiting::write);
      auto [ec, n] = co_await http::async_write(stream_, cont, kTuple);
      disarm(ec);
      if (ec) co_return fail_body(errc::closed, "client went away: " + ec.message(), std::nullopt, "");
    }
    if (!body_started_) body_started_ = std::chrono::steady_clock::now();
    while (true) {
      auto& body = parser_->get().body();
      body.data = buf.data();
      body.size = buf.size();
      arm(server_->opts.limits.body_timeout);
      auto [ec, n] = co_await http::async_read_some(stream_, buffer_, *parser_, kTuple);
      disarm(ec);
      if (ec == http::error::need_buffer) ec = {};
      const std::size_t got = buf.size() - parser_->get().body().size;
      if (ec) {
        if (timed_out_) {
          co_return fail_body(errc::timeout,
                              "request body paused longer than " +
                                  std::to_string(server_->opts.limits.body_timeout.count()) + " ms",
                              http::status::request_timeout, "body_timeout");
        }
        if (ec == http::error::body_limit) {
          co_return fail_body(errc::too_large,
                              "request body larger than " + std::to_string(server_->opts.limits.max_body_bytes) + " bytes",
                              http::status::payload_too_large, "body_too_large");
        }
        if (is_disconnect(ec) || ec == http::error::partial_message) {
          co_return fail_body(errc::closed, "client closed the connection during the body", std::nullopt, "");
        }
        co_return fail_body(errc::protocol_error, "malformed request body: " + ec.message(), http::status::bad_request,
                            "bad_request");
      }
      body_received_ += got;
      if (too_slow()) {
        co_return fail_body(errc::timeout,
                            "request body arrives slower than " + std::to_string(server_->opts.limits.min_body_rate) + " bytes/s",
                            http::status::request_timeout, "body_too_slow");
      }
      if (got > 0 || parser_->is_done()) co_return got;
    }
  }

  // Whether the body so far came at less than the minimum average rate, past the grace time.
  bool too_slow() const {
    const auto& l = server_->opts.limits;
    if (l.min_body_rate == 0 || !body_started_ || parser_->is_done()) return false;
    const auto elapsed = std::chrono::steady_clock::now() - *body_started_;
    if (elapsed < l.min_body_rate_grace) return false;
    const double seconds = std::chrono::duration<double>(elapsed).count();
    return static_cast<double>(body_received_) < static_cast<double>(l.min_body_rate) * seconds;
  }

  asio::awaitable<Status> respond(StringResponse res) override {
    if (responded_ || response_started_) co_return Error(make_error_code(errc::protocol_error), "response already sent");
    res.version(request_version_);
    res.keep_alive(keep_alive_ && !stop_after_);
    if (!res.has_content_length() && !res.chunked()) res.prepare_payload();
    if (res.find(http::field::server) == res.end()) res.set(http::field::server, "Roadside");
    responded_ = true;
    arm(server_->opts.limits.write_timeout, Waiting::write);
    auto [ec, n] = co_await http::async_write(stream_, res, kTuple);
    disarm(ec);
    if (ec) {
      keep_alive_ = false;
      co_return Error(make_error_code(timed_out_ ? errc::timeout : errc::closed), "writing response: " + ec.message());
    }
    keep_alive_ = keep_alive_ && res.keep_alive();
    co_return Status{};
  }

  asio::awaitable<Status> start_response(http::response_header<> head) override {
    if (responded_ || response_started_) co_return Error(make_error_code(errc::protocol_error), "response already sent");
    response_started_ = true;
    stream_res_.emplace(std::move(head));
    stream_res_->version(request_version_);
    if (!stream_res_->has_content_length()) stream_res_->chunked(true);
    stream_res_->keep_alive(keep_alive_ && !stop_after_);
    if (stream_res_->find(http::field::server) == stream_res_->end()) stream_res_->set(http::field::server, "Roadside");
    serializer_.emplace(*stream_res_);
    stream_res_->body().data = nullptr;
    stream_res_->body().more = true;
    arm(server_->opts.limits.write_timeout, Waiting::write);
    auto [ec, n] = co_await http::async_write_header(stream_, *serializer_, kTuple);
    disarm(ec);
    if (ec) {
      keep_alive_ = false;
      co_return Error(make_error_code(errc::closed), "writing response head: " + ec.message());
    }
    co_return Status{};
  }

  asio::awaitable<Status> write_body(std::string_view data) override {
    if (!serializer_) co_return Error(make_error_code(errc::protocol_error), "write_body before start_response");
    if (data.empty()) co_return Status{};
    co_return co_await write_piece(data, /*more=*/true, "writing response body");
  }

  asio::awaitable<Status> finish_response() override {
    if (!serializer_) co_return Error(make_error_code(errc::protocol_error), "finish_response before start_response");
    auto st = co_await write_piece({}, /*more=*/false, "finishing response");
    if (!st.ok()) co_return st;
    responded_ = true;
    keep_alive_ = keep_alive_ && stream_res_->keep_alive();
    co_return Status{};
  }

  // ---- the connection ----
  asio::awaitable<void> run() {
    try {
      co_await serve();
      if (linger_) co_await linger_close();
    } catch (const std::exception& e) {
      log::error("http session failed", {{"listener", server_->opts.name}, {"error", e.what()}});
    }
    error_code ec;
    socket().shutdown(tcp::socket::shutdown_both, ec);
    socket().close(ec);
    timer_.cancel();
  }

 private:
  // What a timed operation waits for. A timeout cancels it, and shuts the socket's way it was
  // waiting on: a composed operation (a head read line by line, a body written piece by
  // piece) that is between two steps when the timer fires has nothing to cancel, and its next
  // step would otherwise wait again, for as long as a trickling client keeps it fed. Reading
  // shut, the connection can still carry the 408; writing, both ways are shut.
  enum class Waiting { read, write };
  void arm(std::chrono::milliseconds d, Waiting waiting = Waiting::read) {
    timed_out_ = false;
    timer_.expires_after(d);
    timer_.async_wait([weak = this->weak_from_this(), gen = ++timer_gen_, waiting](error_code ec) {
      auto self = weak.lock();
      if (ec || !self || gen != self->timer_gen_) return;
      self->timed_out_ = true;
      error_code ignored;
      self->socket().cancel(ignored);
      self->socket().shutdown(waiting == Waiting::read ? tcp::socket::shutdown_receive : tcp::socket::shutdown_both,
                              ignored);
    });
  }
  void disarm() {
    ++timer_gen_;
    timer_.cancel();
  }
  // Also: an operation that ended as the timer fired, whose timeout ran first and shut its way,
  // ends as timed out, as the next operation on that way would; not as done.
  void disarm(error_code& ec) {
    disarm();
    if (timed_out_ && !ec) ec = asio::error::timed_out;
  }

  // Sends one piece of a streamed body (the last one when !more) through the serializer.
  asio::awaitable<Status> write_piece(std::string_view data, bool more, const char* what) {
    auto& body = stream_res_->body();
    body.data = data.empty() ? nullptr : const_cast<char*>(data.data());
    body.size = data.size();
    body.more = more;
    arm(server_->opts.limits.write_timeout, Waiting::write);
    auto [ec, n] = co_await http::async_write(stream_, *serializer_, kTuple);
    disarm(ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      keep_alive_ = false;
      co_return Error(make_error_code(timed_out_ ? errc::timeout : errc::closed), std::string(what) + ": " + ec.message());
    }
    co_return Status{};
  }

  // After refusing a request whose body was not read, closing at once would make the kernel
  // reset the connection, and the client could lose the refusal: most clients send the whole
  // body before they read an answer, and a reset while they send loses it. Send FIN, then read
  // and discard what the client still sends, for a bounded while and amount (as nginx's
  // lingering close): a refused upload of a few MiB (a full spool, a body over the limit)
  // still gets its refusal to the client.
  static constexpr std::chrono::milliseconds kLingerTime{5000};
  static constexpr std::size_t kLingerBytes = 64 * 1024 * 1024;
  asio::awaitable<void> linger_close() {
    error_code ec;
    socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    arm(kLingerTime);
    std::vector<char> buf(16 * 1024);  // (held by each lingering connection: bytes only to discard)
    std::size_t total = 0;
    while (total < kLingerBytes) {
      auto [rec, n] = co_await socket().async_read_some(asio::buffer(buf), kTuple);
      if (rec) break;
      total += n;
    }
    disarm();
  }

  Error fail_body(errc code, std::string detail, std::optional<http::status> status, const char* reason) {
    keep_alive_ = false;
    if (status) body_status_ = status;
    if (reason && *reason) server_->reject_count(reason);
    log::debug("request body refused", {{"listener", server_->opts.name}, {"remote", peer_.remote.address().to_string()},
                                        {"reason", detail}});
    body_error_ = Error(make_error_code(code), std::move(detail));
    return *body_error_;
  }

  asio::awaitable<void> reject(http::status status, const char* reason, const std::string& detail) {
    server_->reject_count(reason);
    log::debug("request refused", {{"listener", server_->opts.name}, {"remote", peer_.remote.address().to_string()},
                                   {"status", static_cast<int>(status)}, {"reason", detail}});
    keep_alive_ = false;
    linger_ = true;
    auto res = error_response(status, reason, detail);
    res.keep_alive(false);
    res.prepare_payload();
    arm(std::min(server_->opts.limits.write_timeout, std::chrono::milliseconds(5000)), Waiting::write);
    co_await http::async_write(stream_, res, kTuple);
    disarm();
  }

  asio::awaitable<bool> handshake() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      co_return true;
    } else {
      arm(server_->opts.limits.header_timeout,
          Waiting::write);  // (both ways: the handshake ends the connection if late)
      auto [ec] = co_await stream_.async_handshake(TlsStream::Side::server, kTuple);
      disarm(ec);
      if (ec) {
        server_->reject_count("tls_handshake_failed");
        log::debug("TLS handshake failed", {{"listener", server_->opts.name},
                                            {"remote", peer_.remote.address().to_string()},
                                            {"reason", timed_out_ ? std::string("timed out") : ec.message()}});
        co_return false;
      }
      peer_.chain = peer_chain(stream_.native_handle());
      const auto& check = server_->opts.tls->check_peer;
      if (check) {
        const std::string why = check(peer_.chain);
        if (!why.empty()) {
          server_->reject_count("peer_refused");
          log::info("TLS peer refused", {{"listener", server_->opts.name},
                                         {"remote", peer_.remote.address().to_string()}, {"reason", why}});
          co_return false;
        }
      }
      co_return true;
    }
  }

  asio::awaitable<void> serve() {
    if (!co_await handshake()) co_return;
    const auto& limits = server_->opts.limits;
    while (!stop_after_) {
      // Wait for the first byte of the next request: the idle (keep-alive) timeout.
      if (buffer_.size() == 0) {
        idle_ = true;
        arm(limits.idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(4096), kTuple);
        disarm(ec);
        idle_ = false;
        if (ec) {
          if (timed_out_) {
            server_->idle_closed.inc();
            log::debug("idle connection closed", {{"listener", server_->opts.name},
                                                   {"remote", peer_.remote.address().to_string()}});
          }
          co_return;
        }
        buffer_.commit(n);
      }
      // The request head, from its first byte: the header timeout and size limit.
      parser_.emplace();
      parser_->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
      parser_->body_limit(limits.max_body_bytes);
      arm(limits.header_timeout);
      auto [ec, n] = co_await http::async_read_header(stream_, buffer_, *parser_, kTuple);
      disarm(ec);
      if (ec) {
        if (timed_out_) {
          co_await reject(http::status::request_timeout, "header_timeout",
                          "request head not complete within " + std::to_string(limits.header_timeout.count()) + " ms");
        } else if (ec == http::error::header_limit) {
          co_await reject(http::status::request_header_fields_too_large, "header_too_large",
                          "request head larger than " + std::to_string(limits.max_header_bytes) + " bytes");
        } else if (ec == http::error::body_limit) {
          co_await reject(http::status::payload_too_large, "body_too_large",
                          "request body larger than " + std::to_string(limits.max_body_bytes) + " bytes");
        } else if (!is_disconnect(ec) && ec != http::error::partial_message) {
          co_await reject(http::status::bad_request, "bad_request", "malformed request: " + ec.message());
        }
        co_return;
      }
      server_->requests_total.inc();
      request_version_ = parser_->get().version();
      keep_alive_ = parser_->get().keep_alive();
      responded_ = response_started_ = continue_sent_ = false;
      body_error_.reset();
      body_status_.reset();
      body_started_.reset();
      body_received_ = 0;
      stream_res_.reset();
      serializer_.reset();

      try {
        co_await server_->handler(*this);
      } catch (const std::exception& e) {
        log::error("request handler failed", {{"listener", server_->opts.name}, {"error", e.what()}});
      }
      if (!responded_) {
        if (response_started_) co_return;  // a streamed response broke off: only closing tells the client
        const http::status status = body_status_.value_or(http::status::internal_server_error);
        keep_alive_ = false;
        linger_ = !parser_->is_done();
        auto res = error_response(status, body_error_ ? body_error_->fault_code() : "internal_error",
                                  body_error_ ? body_error_->detail() : "request not handled");
        (void)co_await respond(std::move(res));  // the connection closes next either way
        co_return;
      }
      if (!parser_->is_done()) {  // unread body: the connection cannot be reused
        linger_ = true;
        co_return;
      }
      if (!keep_alive_) co_return;
    }
  }

  std::shared_ptr<HttpServer::Impl> server_;
  std::uint64_t id_;
  Stream stream_;
  asio::steady_timer timer_;
  std::uint64_t timer_gen_ = 0;
  bool timed_out_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  PeerInfo peer_;
  unsigned request_version_ = 11;
  bool idle_ = false;
  bool stop_after_ = false;
  bool keep_alive_ = false;
  bool responded_ = false;
  bool response_started_ = false;
  bool continue_sent_ = false;
  bool linger_ = false;
  std::optional<Error> body_error_;
  std::optional<http::status> body_status_;
  std::optional<std::chrono::steady_clock::time_point> body_started_;  // the first read of this request's body
  std::uint64_t body_received_ = 0;
  std::optional<http::response<http::buffer_body>> stream_res_;
  std::optional<http::response_serializer<http::buffer_body>> serializer_;

 public:
  std::uint64_t id() const { return id_; }
};

template <typename S>
void start_session(const std::shared_ptr<HttpServer::Impl>& impl, std::shared_ptr<S> session) {
  {
    MutexLock lock(impl->mu);
    impl->sessions[session->id()] = session;
  }
  impl->open++;
  impl->connections_open.add(1);
  asio::co_spawn(
      session->executor(),
      [impl, session]() -> asio::awaitable<void> {
        co_await session->run();
        {
          MutexLock lock(impl->mu);
          impl->sessions.erase(session->id());
        }
        impl->connections_open.add(-1);
        impl->open--;
      },
      asio::detached);
}

}  // namespace

asio::awaitable<void> HttpServer::Impl::accept_loop() {
  auto self = shared_from_this();
  while (!stopping) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), kTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping || !acceptor.is_open()) break;
      log::warn("accept failed", {{"listener", opts.name}, {"error", ec.message()}});
      // Out of file descriptors and the like: back off instead of spinning.
      asio::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await t.async_wait(kTuple);
      continue;
    }
    connections_total.inc();
    error_code ep_ec;
    const tcp::endpoint remote = socket.remote_endpoint(ep_ec);
    if (open.load() >= opts.limits.max_connections) {
      reject_count("too_many_connections");
      socket.close(ep_ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ep_ec);
    const std::uint64_t id = ++next_id;
    if (tls) {
      start_session(self, std::make_shared<Session<TlsStream>>(self, id, remote, std::move(socket), *tls));
    } else {
      start_session(self, std::make_shared<Session<tcp::socket>>(self, id, remote, std::move(socket)));
    }
  }
}

HttpServer::HttpServer(asio::io_context& io, ServerOptions options, Handler handler, metrics::Registry& metrics)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(handler), metrics)) {}

const std::string& HttpServer::name() const noexcept { return impl_->opts.name; }

HttpServer::~HttpServer() {
  // The acceptor belongs to its strand: close it there (a no-op if stop() already did).
  if (!impl_->stopping.exchange(true)) {
    asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
      error_code ec;
      impl->acceptor.close(ec);
    });
  }
}

Status HttpServer::start() {
  const ServerOptions& opts = impl_->opts;
  if (opts.tls) {
    auto ctx = make_server_context(*opts.tls);
    if (!ctx.ok()) return std::move(ctx).error().context("listener " + opts.name);
    impl_->tls = *ctx;
  }
  error_code ec;
  const auto address = asio::ip::make_address(opts.address, ec);
  if (ec) {
    return Error(make_error_code(errc::bad_url), "listener " + opts.name + ": bad address \"" + opts.address + "\"");
  }
  const tcp::endpoint ep(address, opts.port);
  const std::string where = opts.address + ":" + std::to_string(opts.port);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error(make_error_code(errc::connect_failed),
                 "listener " + opts.name + " cannot listen on " + where + ": " + ec.message());
  }
  port_ = acc.local_endpoint().port();
  asio::co_spawn(acc.get_executor(), impl_->accept_loop(), asio::detached);
  return {};
}

std::size_t HttpServer::open_connections() const noexcept { return impl_->open.load(); }

namespace {

template <typename Fn>
void each_session(HttpServer::Impl& impl, Fn fn) {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    MutexLock lock(impl.mu);
    for (auto& [id, weak] : impl.sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) asio::post(s->executor(), [s, fn] { fn(*s); });
}

std::size_t open_on(const std::vector<std::shared_ptr<HttpServer::Impl>>& impls) {
  std::size_t n = 0;
  for (const auto& impl : impls) n += impl->open.load();
  return n;
}

// Waits on `timer` until no connection is open on `impls`, `until` passes or `hurry` is set.
asio::awaitable<void> wait_closed(asio::steady_timer& timer, const std::vector<std::shared_ptr<HttpServer::Impl>>& impls,
                                  std::chrono::steady_clock::time_point until, const std::atomic<bool>* hurry) {
  while (open_on(impls) > 0 && std::chrono::steady_clock::now() < until && !(hurry && *hurry)) {
    timer.expires_after(std::chrono::milliseconds(5));
    co_await timer.async_wait(kTuple);
  }
}

}  // namespace

asio::awaitable<void> HttpServer::stop(std::chrono::milliseconds drain_deadline) {
  // (A named argument: GCC 12 mishandles braced temporaries in a co_await expression.)
  std::vector<HttpServer*> self{this};
  co_await stop_all(std::move(self), drain_deadline);
}

asio::awaitable<void> HttpServer::stop_all(std::vector<HttpServer*> servers, std::chrono::milliseconds drain_deadline,
                                           const std::atomic<bool>* hurry) {
  const auto deadline = std::chrono::steady_clock::now() + drain_deadline;
  std::vector<std::shared_ptr<Impl>> impls;
  for (HttpServer* server : servers) {
    if (server) impls.push_back(server->impl_);
  }
  for (const auto& impl : impls) {
    impl->stopping = true;
    asio::post(impl->acceptor.get_executor(), [impl] {
      error_code ec;
      impl->acceptor.close(ec);
    });
    each_session(*impl, [](SessionBase& s) { s.begin_shutdown(); });
  }
  asio::steady_timer timer(co_await asio::this_coro::executor);
  co_await wait_closed(timer, impls, deadline, hurry);
  if (open_on(impls) == 0) co_return;
  for (const auto& impl : impls) {
    if (impl->open.load() == 0) continue;
    log::warn(hurry && *hurry ? "stop hurried; closing connections" : "drain deadline passed; closing connections",
              {{"listener", impl->opts.name}, {"connections", impl->open.load()}});
    each_session(*impl, [](SessionBase& s) { s.force_close(); });
  }
  co_await wait_closed(timer, impls, std::chrono::steady_clock::now() + kCutWait, hurry);
}

void HttpServer::stop_blocking(std::chrono::milliseconds drain_deadline) {
  std::promise<void> done;
  asio::co_spawn(impl_->io, stop(drain_deadline), [&](std::exception_ptr) { done.set_value(); });
  done.get_future().wait();
}

asio::awaitable<Result<std::string>> ServerExchange::read_body_all(std::size_t limit, BudgetShare* memory) {
  if (!memory) {
    // In memory up to the limit itself: no spool file is ever made.
    // (A named argument: GCC 12 destroys braced temporaries of a co_await expression twice.)
    std::filesystem::path no_spool;
    auto body = co_await read_body_payload(limit, std::move(no_spool), limit);
    if (!body.ok()) co_return std::move(body).error();
    co_return std::move(*body).take_bytes();
  }
  std::string out;
  std::vector<char> buf(kBodyChunkBytes);
  while (true) {
    auto n = co_await read_body(buf);
    if (!n.ok()) co_return std::move(n).error();
    if (*n == 0) co_return out;
    if (out.size() + *n > limit) co_return Error(make_error_code(errc::too_large), "request body larger than " + std::to_string(limit) + " bytes");
    if (!memory->grow(*n)) {
      co_return Error(make_error_code(errc::overloaded), "the server holds as many request bodies in memory as it may (" +
                                                             std::to_string(memory->taken()) + " bytes of this one); try again later");
    }
    out.append(buf.data(), *n);
  }
}

asio::awaitable<Result<Payload>> ServerExchange::read_body_payload(std::uint64_t limit, std::filesystem::path spool_dir,
                                                                   std::uint64_t in_memory_limit, BudgetShare* memory) {
  PayloadBuilder out(std::move(spool_dir), in_memory_limit);
  std::vector<char> buf(kBodyChunkBytes);
  while (true) {
    auto n = co_await read_body(buf);
    if (!n.ok()) co_return std::move(n).error();
    if (*n == 0) co_return std::move(out).finish();
    if (out.size() + *n > limit) {
      co_return Error(make_error_code(errc::too_large), "request body larger than " + std::to_string(limit) + " bytes");
    }
    if (memory && !out.spooled() && out.size() + *n <= in_memory_limit && !memory->grow(*n)) {
      co_return Error(make_error_code(errc::overloaded), "the server holds as many request bodies in memory as it may (" +
                                                             std::to_string(memory->taken()) + " bytes of this one); try again later");
    }
    auto st = out.append(std::string_view(buf.data(), *n));
    if (!st.ok()) co_return st.error();
    if (memory && out.spooled()) memory->shrink_to(0);
  }
}

asio::awaitable<Status> ServerExchange::respond_payload(http::response_header<> head, std::vector<Payload> body) {
  std::uint64_t length = 0;
  for (const auto& p : body) length += p.size();
  if (length <= 64 * 1024 && std::all_of(body.begin(), body.end(), [](const Payload& p) { return p.in_memory(); })) {
    StringResponse whole(std::move(head));
    for (const auto& p : body) whole.body() += p.bytes();
    whole.prepare_payload();
    co_return co_await respond(std::move(whole));
  }
  head.erase(http::field::transfer_encoding);
  head.set(http::field::content_length, std::to_string(length));
  if (auto st = co_await start_response(std::move(head)); !st.ok()) co_return st;
  std::vector<char> buf(64 * 1024);
  for (const auto& p : body) {
    for (std::uint64_t pos = 0; pos < p.size();) {
      auto n = p.read_at(pos, buf);
      if (!n.ok()) co_return n.error();
      if (*n == 0) co_return Error(make_error_code(errc::closed), "a spooled body ended early");
      if (auto st = co_await write_body(std::string_view(buf.data(), *n)); !st.ok()) co_return st;
      pos += *n;
    }
  }
  co_return co_await finish_response();
}

StringResponse make_response(http::status status, std::string body, std::string_view content_type, unsigned version) {
  StringResponse res{status, version};
  res.set(http::field::content_type, content_type);
  res.set(http::field::server, "Roadside");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

}  // namespace roadside::net
