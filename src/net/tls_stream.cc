#include "net/tls_stream.h"

#include <cerrno>
#include <climits>
#include <new>

#include <boost/asio/ssl/error.hpp>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

namespace roadside::net {

namespace asio = boost::asio;
using boost::system::error_code;

// OpenSSL's view of the socket: send(2) with MSG_NOSIGNAL (a peer that went away is an
// error, not a SIGPIPE), recv(2), and "try again" when the socket would block.
struct BioAccess {
  static TlsStream& stream(BIO* bio) { return *static_cast<TlsStream*>(BIO_get_data(bio)); }

  static int write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    return result(bio, ::send(stream(bio).socket_.native_handle(), data, static_cast<std::size_t>(size), MSG_NOSIGNAL),
                  true);
  }

  static int read(BIO* bio, char* data, int size) {
    BIO_clear_retry_flags(bio);
    return result(bio, ::recv(stream(bio).socket_.native_handle(), data, static_cast<std::size_t>(size), 0), false);
  }

  // What send/recv returned, for OpenSSL: the count (0 from recv: the peer closed its side), or
  // -1 with "try again" when the socket would block, or with the errno kept for outcome().
  static int result(BIO* bio, ssize_t n, bool writing) {
    if (n >= 0) return static_cast<int>(n);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (writing) {
        BIO_set_retry_write(bio);
      } else {
        BIO_set_retry_read(bio);
      }
    } else {
      stream(bio).socket_errno_ = errno;
    }
    return -1;
  }

  static long control(BIO*, int command, long, void*) { return command == BIO_CTRL_FLUSH ? 1 : 0; }

  static int create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
  }

  static const BIO_METHOD* method() {
    static BIO_METHOD* const m = [] {
      BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "roadside socket");
      if (!made) return made;
      BIO_meth_set_write(made, &write);
      BIO_meth_set_read(made, &read);
      BIO_meth_set_ctrl(made, &control);
      BIO_meth_set_create(made, &create);
      return made;
    }();
    return m;
  }
};

TlsStream::TlsStream(asio::ip::tcp::socket socket, asio::ssl::context& ctx) : socket_(std::move(socket)) {
  error_code ignored;
  socket_.native_non_blocking(true, ignored);
  const BIO_METHOD* method = BioAccess::method();
  ssl_ = method ? SSL_new(ctx.native_handle()) : nullptr;
  BIO* bio = ssl_ ? BIO_new(method) : nullptr;
  if (!bio) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL_set_read_ahead(ssl_, 1);  // a record's header and body in one recv(2), and more when there is
}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
}

// One call into OpenSSL: `call(&bytes)` returns its result; the error state is fresh for it.
template <typename Call>
TlsStream::Attempt TlsStream::attempt(Call call) {
  ERR_clear_error();
  socket_errno_ = 0;
  std::size_t bytes = 0;
  const int ok = call(&bytes);
  return outcome(ok, bytes);
}

TlsStream::Attempt TlsStream::handshake_step() {
  return attempt([this](std::size_t*) { return SSL_do_handshake(ssl_); });
}

TlsStream::Attempt TlsStream::read_step(void* data, std::size_t size) {
  if (size == 0) return {};
  return attempt([&](std::size_t* got) { return SSL_read_ex(ssl_, data, std::min<std::size_t>(size, INT_MAX), got); });
}

TlsStream::Attempt TlsStream::write_step(const void* data, std::size_t size) {
  if (write_failed_) return {Attempt::done, asio::error::broken_pipe, 0};
  if (size == 0) return {};
  return attempt([&](std::size_t* put) { return SSL_write_ex(ssl_, data, std::min<std::size_t>(size, INT_MAX), put); });
}

TlsStream::Attempt TlsStream::outcome(int ok, std::size_t bytes) {
  if (ok == 1) return {Attempt::done, {}, bytes};
  const int err = SSL_get_error(ssl_, ok);
  if (err == SSL_ERROR_WANT_READ) return {Attempt::wait_read, {}, 0};
  if (err == SSL_ERROR_WANT_WRITE) return {Attempt::wait_write, {}, 0};
  if (err == SSL_ERROR_ZERO_RETURN) return {Attempt::done, asio::error::eof, 0};
  const unsigned long reason = ERR_get_error();
  ERR_clear_error();
  if (err == SSL_ERROR_SYSCALL && socket_errno_ != 0) {
    return {Attempt::done, error_code(socket_errno_, boost::system::system_category()), 0};
  }
  // The connection ended without a close_notify: OpenSSL 3 says so with an SSL error, or a
  // SYSCALL error without errno.
  if ((err == SSL_ERROR_SYSCALL && reason == 0) ||
      (ERR_GET_LIB(reason) == ERR_LIB_SSL && ERR_GET_REASON(reason) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
    return {Attempt::done, asio::ssl::error::stream_truncated, 0};
  }
  if (reason == 0) return {Attempt::done, asio::ssl::error::unspecified_system_error, 0};
  return {Attempt::done, error_code(static_cast<int>(reason), asio::error::get_ssl_category()), 0};
}

}  // namespace roadside::net
