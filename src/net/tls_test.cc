// Issue 13, item 14: X-Road's cipher suites (ECDHE, AES-GCM first) on Roadside's TLS servers
// and on its client towards other Security Servers, instead of OpenSSL's default list. The
// other ends are plain OpenSSL clients and servers that offer one suite each.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ssl.hpp>

#include <thread>

#include "crypto/crypto.h"
#include "net/http_server.h"
#include "net/tls.h"

namespace roadside::net {
namespace {

using namespace std::chrono_literals;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct Identity {
  crypto::PrivateKey key;
  crypto::Certificate cert;
};

// X-Road authentication keys are RSA (the usual case) or ECDSA.
const Identity& identity(crypto::KeyType type) {
  static const auto make = [](crypto::KeyType t) {
    auto key = *crypto::PrivateKey::generate(t);
    auto cert = *crypto::issue_certificate({.common_name = "ss", .usage = crypto::Usage::tls_server_and_client}, key, nullptr, key);
    return Identity{std::move(key), std::move(cert)};
  };
  static const Identity rsa = make(crypto::KeyType::rsa2048);
  static const Identity ec = make(crypto::KeyType::ec_p256);
  return type == crypto::KeyType::rsa2048 ? rsa : ec;
}

// A Roadside TLS listener (as the server proxy's, with X-Road's default settings) on loopback.
class Listener {
 public:
  explicit Listener(crypto::KeyType type) : guard_(io_.get_executor()) {
    ServerOptions o;
    o.name = "tls";
    TlsServerConfig tls;
    tls.cert_chain_pem = identity(type).cert.to_pem();
    tls.key_pem = identity(type).key.to_pem();
    o.tls = tls;
    server_ = std::make_unique<HttpServer>(
        io_, o,
        [](ServerExchange& ex) -> asio::awaitable<void> { (void)co_await ex.respond(make_response(http::status::ok, "ok")); },
        metrics_);
    EXPECT_TRUE(server_->start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Listener() {
    server_->stop_blocking(1s);
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  unsigned short port() const { return server_->port(); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  metrics::Registry metrics_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

// Handshakes with 127.0.0.1:port offering one TLS 1.2 suite (or TLS 1.3 when `suite` is
// empty); returns the suite agreed, or "" when the handshake failed.
std::string handshake(unsigned short port, const std::string& suite) {
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  if (suite.empty()) {
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_3_VERSION);
  } else {
    SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx.native_handle(), suite.c_str());
  }
  ctx.set_verify_mode(ssl::verify_none);
  ssl::stream<tcp::socket> stream(io, ctx);
  boost::system::error_code ec;
  stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return "";
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) return "";
  return SSL_get_cipher_name(stream.native_handle());
}

TEST(TlsCipherSuites, ClientsOfferingOnlyRsaKeyExchangeDheOrSha1SuitesAreRefused) {
  Listener rsa(crypto::KeyType::rsa2048);
  for (const std::string suite : {"AES256-SHA", "AES128-GCM-SHA256", "AES256-SHA256", "DHE-RSA-AES256-GCM-SHA384",
                                  "ECDHE-RSA-AES256-SHA", "ECDHE-RSA-AES128-SHA256"}) {
    EXPECT_EQ(handshake(rsa.port(), suite), "") << suite << " was accepted";
  }
  Listener ec(crypto::KeyType::ec_p256);
  for (const std::string suite : {"ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-CHACHA20-POLY1305"}) {
    EXPECT_EQ(handshake(ec.port(), suite), "") << suite << " was accepted";
  }
}

TEST(TlsCipherSuites, XRoadSuitesAndTls13AreAccepted) {
  Listener rsa(crypto::KeyType::rsa2048);
  // The GCM suites, and X-Road's own default (what a Java Security Server offers over TLS 1.2).
  for (const std::string suite : {"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-SHA384"}) {
    EXPECT_EQ(handshake(rsa.port(), suite), suite);
  }
  EXPECT_NE(handshake(rsa.port(), ""), "");  // TLS 1.3
  Listener ec(crypto::KeyType::ec_p256);
  for (const std::string suite : {"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-SHA384"}) {
    EXPECT_EQ(handshake(ec.port(), suite), suite);
  }
  // Offered everything, the server picks AES-GCM.
  EXPECT_EQ(handshake(rsa.port(), "ALL"), "ECDHE-RSA-AES256-GCM-SHA384");
}

TEST(TlsCipherSuites, TheClientTowardsSecurityServersOffersOnlyXRoadSuites) {
  TlsClientConfig cfg;
  cfg.verify_server = false;
  cfg.cipher_list = kXRoadTls12Ciphers;
  auto ctx = make_client_context(cfg);
  ASSERT_TRUE(ctx.ok()) << ctx.error().to_string();
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new((*ctx)->native_handle()), &SSL_free);
  STACK_OF(SSL_CIPHER)* offered = SSL_get1_supported_ciphers(ssl.get());
  ASSERT_NE(offered, nullptr);
  std::vector<std::string> tls12;
  for (int i = 0; i < sk_SSL_CIPHER_num(offered); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(offered, i);
    if (std::string(SSL_CIPHER_get_version(c)) != "TLSv1.3") tls12.emplace_back(SSL_CIPHER_get_name(c));
  }
  sk_SSL_CIPHER_free(offered);
  EXPECT_EQ(tls12, (std::vector<std::string>{"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-GCM-SHA256",
                                             "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384"}));
  // A list OpenSSL cannot use is a configuration error, not a silent default.
  cfg.cipher_list = "NO-SUCH-SUITE";
  EXPECT_FALSE(make_client_context(cfg).ok());
}

}  // namespace
}  // namespace roadside::net
