// A TLS connection on a TCP socket, as a stream for Beast's HTTP: OpenSSL reads and writes the
// socket itself (non-blocking), and an operation that would block waits until the socket is
// ready.
//
// Why not asio::ssl::stream: it passes every byte through a BIO pair and buffers of its own,
// four of 17 KiB held for as long as a connection lives (68 KiB; 256 connections, 17 MiB).
// Here OpenSSL's record buffers are the only ones, and OpenSSL releases them while the
// connection waits (SSL_MODE_RELEASE_BUFFERS). A write of many small buffers (an HTTP head is
// one per field) goes out as one record and one send(2), not one of each per buffer.
//
// Contract, as with asio's streams: at most one read and one write outstanding at a time, on
// the socket's executor (a strand, or one thread). Cancelling or closing the socket ends them
// with operation_aborted; after a write that failed so, every later write fails (broken_pipe):
// the stream can still be read and closed. An operation never completes inside the call that
// starts it.
// Errors are asio::ssl::stream's: asio::error::eof after the peer's close_notify,
// ssl::error::stream_truncated when the connection ends without one, an errno (system
// category) from the socket, else the OpenSSL error (asio's ssl category).
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>

namespace roadside::net {

class TlsStream {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;
  enum class Side { client, server };

  // Takes the connected `socket`; the connection's settings come from `ctx`, which must
  // outlive the stream. Throws std::bad_alloc when OpenSSL cannot make the connection.
  TlsStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& ctx);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  boost::asio::ip::tcp::socket& next_layer() noexcept { return socket_; }
  SSL* native_handle() noexcept { return ssl_; }

  // Completes with void(error_code).
  template <typename Token>
  auto async_handshake(Side side, Token&& token) {
    return start<void(boost::system::error_code)>(
        [this, side, begun = false]() mutable {
          if (!begun) side == Side::client ? SSL_set_connect_state(ssl_) : SSL_set_accept_state(ssl_);
          begun = true;
          return handshake_step();
        },
        std::forward<Token>(token));
  }

  // Reads into the first non-empty buffer of `buffers`; void(error_code, std::size_t).
  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    boost::asio::mutable_buffer into;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      if (boost::asio::mutable_buffer b(*it); b.size() > 0) {
        into = b;
        break;
      }
    }
    // With nothing buffered, the socket is waited for before OpenSSL reads: a connection
    // waiting for its peer holds no read buffer, and the read costs no recv(2) that finds nothing.
    return start<void(boost::system::error_code, std::size_t)>(
        [this, into, first = true]() mutable {
          // (After the peer's close_notify there is nothing to wait for: the read ends at once.)
          if (std::exchange(first, false) && into.size() > 0 && SSL_has_pending(ssl_) == 0 &&
              (SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) == 0) {
            return Attempt{Attempt::wait_read};
          }
          return read_step(into.data(), into.size());
        },
        std::forward<Token>(token));
  }

  // Writes a prefix of `buffers`; void(error_code, std::size_t). The first buffer is written
  // from where it is when it fills a record or is the only one; smaller buffers that follow
  // each other are gathered into one record (up to kGather bytes).
  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    boost::asio::const_buffer first;
    std::string gathered;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      const boost::asio::const_buffer b(*it);
      if (b.size() == 0) continue;
      if (first.size() == 0) {
        first = b;
        if (b.size() >= kGather) break;
        continue;
      }
      if (gathered.empty()) gathered.assign(static_cast<const char*>(first.data()), first.size());
      gathered.append(static_cast<const char*>(b.data()), std::min(b.size(), kGather - gathered.size()));
      if (gathered.size() == kGather) break;
    }
    return start<void(boost::system::error_code, std::size_t)>(
        [this, gathered = std::move(gathered), first] {
          return gathered.empty() ? write_step(first.data(), first.size())
                                  : write_step(gathered.data(), gathered.size());
        },
        std::forward<Token>(token), &write_failed_);
  }

  static constexpr std::size_t kGather = 16 * 1024;  // one TLS record's plaintext

 private:
  // What one call into OpenSSL came to: done (with an error or a byte count), or the socket
  // it must wait for before the same call is made again.
  struct Attempt {
    enum Next { done, wait_read, wait_write } next = done;
    boost::system::error_code ec;
    std::size_t bytes = 0;
  };
  Attempt handshake_step();
  Attempt read_step(void* data, std::size_t size);
  Attempt write_step(const void* data, std::size_t size);
  Attempt outcome(int ok, std::size_t bytes);
  template <typename Call>
  Attempt attempt(Call call);

  // Runs `step` until it is done, waiting for the socket in between.
  template <typename Step, typename Signature>
  struct Op;

  // `failed`, when given, is set when the operation ends with an error.
  template <typename Signature, typename Step, typename Token>
  auto start(Step step, Token&& token, bool* failed = nullptr) {
    return boost::asio::async_compose<Token, Signature>(Op<Step, Signature>{this, std::move(step), failed}, token,
                                                        socket_);
  }

  friend struct BioAccess;
  boost::asio::ip::tcp::socket socket_;
  SSL* ssl_ = nullptr;
  int socket_errno_ = 0;  // the last send/recv error, for OpenSSL's SSL_ERROR_SYSCALL
  // A write ended with an error (cancelled, timed out): part of a record may be left in
  // OpenSSL, which the next write would send as its own bytes. Every later write fails.
  bool write_failed_ = false;
};

template <typename Step, typename Signature>
struct TlsStream::Op {
  TlsStream* stream;
  Step step;
  bool* failed;
  bool waited = false;

  template <typename Self>
  void operator()(Self& self) {
    run(self);
  }
  // The socket is ready, or the wait ended with an error.
  template <typename Self>
  void operator()(Self& self, boost::system::error_code ec) {
    if (ec) return finish(self, ec, 0);
    run(self);
  }
  // An outcome posted by the first run.
  template <typename Self>
  void operator()(Self& self, boost::system::error_code ec, std::size_t bytes) {
    finish(self, ec, bytes);
  }

 private:
  template <typename Self>
  void run(Self& self) {
    const Attempt a = step();
    using tcp = boost::asio::ip::tcp;
    if (a.next != Attempt::done) {
      waited = true;
      stream->socket_.async_wait(a.next == Attempt::wait_read ? tcp::socket::wait_read : tcp::socket::wait_write,
                                 std::move(self));
      return;
    }
    if (waited) return finish(self, a.ec, a.bytes);
    boost::asio::post(boost::asio::append(std::move(self), a.ec, a.bytes));
  }
  template <typename Self>
  void finish(Self& self, boost::system::error_code ec, std::size_t bytes) {
    if (ec && failed) *failed = true;
    if constexpr (std::is_same_v<Signature, void(boost::system::error_code)>) {
      self.complete(ec);
    } else {
      self.complete(ec, bytes);
    }
  }
};

}  // namespace roadside::net
