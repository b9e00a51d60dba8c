// TlsStream on its own: two of them over loopback, one the client and one the server, with
// contexts made as the HTTP server and client make them.
#include "net/tls_stream.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "net/tls.h"

namespace roadside::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// A connected pair: `client` and `server`, handshaken.
class Pair {
 public:
  Pair() {
    static const auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
    static const auto cert = *crypto::issue_certificate(
        {.common_name = "ss", .usage = crypto::Usage::tls_server_and_client}, key, nullptr, key);
    TlsServerConfig sc;
    sc.cert_chain_pem = cert.to_pem();
    sc.key_pem = key.to_pem();
    server_ctx_ = *make_server_context(sc);
    TlsClientConfig cc;
    cc.verify_server = false;
    cc.policy = xroad_tls_policy();
    client_ctx_ = *make_client_context(cc);

    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket a(io);
    a.connect(acceptor.local_endpoint());
    tcp::socket b = acceptor.accept();
    client.emplace(std::move(a), *client_ctx_);
    server.emplace(std::move(b), *server_ctx_);
    error_code client_ec = asio::error::would_block, server_ec = asio::error::would_block;
    client->async_handshake(TlsStream::Side::client, [&](error_code ec) { client_ec = ec; });
    server->async_handshake(TlsStream::Side::server, [&](error_code ec) { server_ec = ec; });
    io.run();
    io.restart();
    EXPECT_FALSE(client_ec) << client_ec.message();
    EXPECT_FALSE(server_ec) << server_ec.message();
  }

  // Runs `aw` to its end on the io_context.
  template <typename T>
  T run(asio::awaitable<T> aw) {
    std::optional<T> out;
    asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e, T v) {
      if (e) std::rethrow_exception(e);
      out = std::move(v);
    });
    io.run();
    io.restart();
    return std::move(*out);
  }

  asio::io_context io;
  std::optional<TlsStream> client;
  std::optional<TlsStream> server;

 private:
  std::shared_ptr<asio::ssl::context> server_ctx_;
  std::shared_ptr<asio::ssl::context> client_ctx_;
};

// Counts the application-data records an SSL writes.
void count_written_records(SSL* ssl, int* records) {
  SSL_set_msg_callback_arg(ssl, records);
  SSL_set_msg_callback(ssl, [](int write_p, int, int content_type, const void* buf, std::size_t len, SSL*, void* arg) {
    if (write_p == 1 && content_type == SSL3_RT_HEADER && len >= 1 && static_cast<const unsigned char*>(buf)[0] == 23) {
      ++*static_cast<int*>(arg);
    }
  });
}

TEST(TlsStream, ManySmallBuffersGoOutAsOneRecord) {
  Pair p;
  int records = 0;
  count_written_records(p.client->native_handle(), &records);
  std::vector<std::string> fields;
  for (int i = 0; i < 20; ++i) fields.push_back("X-Field-" + std::to_string(i) + ": value\r\n");
  std::vector<asio::const_buffer> buffers;
  std::size_t total = 0;
  for (const auto& f : fields) {
    buffers.push_back(asio::buffer(f));
    total += f.size();
  }
  auto [ec, n] = p.run(p.client->async_write_some(buffers, kTuple));
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(n, total);
  EXPECT_EQ(records, 1);
  std::string got(total, '\0');
  auto [rec, rn] = p.run(asio::async_read(*p.server, asio::buffer(got), kTuple));
  ASSERT_FALSE(rec) << rec.message();
  std::string want;
  for (const auto& f : fields) want += f;
  EXPECT_EQ(got, want);
}

TEST(TlsStream, ALargeWriteIsSentFromWhereItIs) {
  Pair p;
  const std::string big(100'000, 'b');
  std::string got(big.size(), '\0');
  asio::co_spawn(
      p.io, [&]() -> asio::awaitable<void> { co_await asio::async_read(*p.server, asio::buffer(got), kTuple); },
      asio::detached);
  auto [ec, n] = p.run(asio::async_write(*p.client, asio::buffer(big), kTuple));
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(n, big.size());
  EXPECT_EQ(got, big);
}

TEST(TlsStream, ThePeersCloseNotifyIsEndOfStreamAndABareCloseIsTruncation) {
  {
    Pair p;
    ASSERT_EQ(SSL_shutdown(p.server->native_handle()), 0);  // close_notify sent, the peer's not yet seen
    char buf[16];
    auto [ec, n] = p.run(p.client->async_read_some(asio::buffer(buf), kTuple));
    EXPECT_EQ(ec, asio::error::eof) << ec.message();
  }
  {
    Pair p;
    p.server->next_layer().close();
    char buf[16];
    auto [ec, n] = p.run(p.client->async_read_some(asio::buffer(buf), kTuple));
    EXPECT_EQ(ec, asio::ssl::error::stream_truncated) << ec.message();
  }
}

TEST(TlsStream, ReadsAfterTheCloseNotifyEndAtOnce) {
  Pair p;
  ASSERT_EQ(SSL_shutdown(p.server->native_handle()), 0);
  char buf[16];
  for (int i = 0; i < 2; ++i) {
    error_code got;
    bool done = false;
    p.client->async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) {
      got = ec;
      done = true;
    });
    p.io.run_for(std::chrono::seconds(2));
    p.io.restart();
    ASSERT_TRUE(done) << "read " << i << " waited for the socket";
    EXPECT_EQ(got, asio::error::eof);
  }
}

// A write cancelled part-way leaves part of a record in OpenSSL; the next write would send it
// as its own bytes (and report the new ones sent). It fails instead.
TEST(TlsStream, AfterACancelledWriteEveryWriteFails) {
  Pair p;
  const std::string big(8 * 1024 * 1024, 'o');  // more than the socket buffers hold: the write waits
  error_code first;
  asio::async_write(*p.client, asio::buffer(big), [&](error_code ec, std::size_t) { first = ec; });
  p.io.poll();
  p.client->next_layer().cancel();
  p.io.run();
  p.io.restart();
  ASSERT_EQ(first, asio::error::operation_aborted);
  const std::string next(64 * 1024, 'n');
  auto [ec, n] = p.run(asio::async_write(*p.client, asio::buffer(next), kTuple));
  EXPECT_EQ(ec, asio::error::broken_pipe) << ec.message();
  EXPECT_EQ(n, 0u);
}

TEST(TlsStream, NeverCompletesInsideTheCallThatStartsIt) {
  Pair p;
  const std::string sent(100, 's');
  p.run(asio::async_write(*p.server, asio::buffer(sent), kTuple));
  char first[10];
  auto [ec, n] = p.run(asio::async_read(*p.client, asio::buffer(first), kTuple));
  ASSERT_FALSE(ec);
  // The other 90 bytes are in OpenSSL's buffer already: the read could finish at once.
  char rest[90];
  bool done = false;
  p.client->async_read_some(asio::buffer(rest), [&](error_code, std::size_t) { done = true; });
  EXPECT_FALSE(done);
  p.io.run();
  p.io.restart();
  EXPECT_TRUE(done);
}

TEST(TlsStream, CancellingTheSocketEndsAReadThatWaits) {
  Pair p;
  char buf[16];
  error_code got;
  p.client->async_read_some(asio::buffer(buf), [&](error_code ec, std::size_t) { got = ec; });
  p.io.poll();  // the read now waits for the socket
  p.client->next_layer().cancel();
  p.io.run();
  EXPECT_EQ(got, asio::error::operation_aborted);
}

}  // namespace
}  // namespace roadside::net
