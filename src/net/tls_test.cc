// TLS as X-Road (issue 15, item 4): between Security Servers TLS 1.2 only with
// proxy.xroad-tls-ciphers, towards information systems and services proxy.client-tls-protocols
// and proxy.client-tls-ciphers, all by default; other lists by the same syntax, and clear errors
// for lists that cannot be used. The other ends are plain OpenSSL clients (in process, and the
// openssl binary) that offer one suite each.
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ssl.hpp>

#include <optional>
#include <thread>

#include "crypto/crypto.h"
#include "support/openssl_tools.h"
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
  // `policy` empty: TlsServerConfig's default (the server proxy's).
  explicit Listener(crypto::KeyType type, std::optional<TlsPolicy> policy = std::nullopt) : guard_(io_.get_executor()) {
    ServerOptions o;
    o.name = "tls";
    TlsServerConfig tls;
    tls.cert_chain_pem = identity(type).cert.to_pem();
    tls.key_pem = identity(type).key.to_pem();
    if (policy) tls.policy = *policy;
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

// What `openssl s_client` with `args` agrees with 127.0.0.1:port: "TLSv1.2 SUITE", or "" when
// the handshake fails.
std::string s_client(unsigned short port, const std::string& args) {
  std::string out;
  const int rc = roadside::testing::run_command("openssl s_client -connect 127.0.0.1:" + std::to_string(port) + " " + args +
                                                    " </dev/null 2>&1",
                                                &out);
  const auto at = out.find("New, TLSv");
  if (rc != 0 || at == std::string::npos) return "";
  const auto line = out.substr(at + 5, out.find('\n', at) - at - 5);  // "TLSv1.2, Cipher is X"
  return line.substr(0, line.find(',')) + " " + line.substr(line.rfind(' ') + 1);
}

// The OpenSSL names of the TLS 1.2 suites a client context offers.
std::vector<std::string> offered_tls12(const TlsClientConfig& cfg) {
  auto ctx = make_client_context(cfg);
  EXPECT_TRUE(ctx.ok()) << ctx.error().to_string();
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new((*ctx)->native_handle()), &SSL_free);
  STACK_OF(SSL_CIPHER)* offered = SSL_get1_supported_ciphers(ssl.get());
  std::vector<std::string> out;
  for (int i = 0; offered && i < sk_SSL_CIPHER_num(offered); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(offered, i);
    if (std::string(SSL_CIPHER_get_version(c)) != "TLSv1.3") out.emplace_back(SSL_CIPHER_get_name(c));
  }
  sk_SSL_CIPHER_free(offered);
  return out;
}

TEST(TlsPolicy, XRoadsDefaultListsAreTheIanaNamesOfFactsMd) {
  // proxy.xroad-tls-ciphers and proxy.client-tls-ciphers, in X-Road's order, as OpenSSL names them.
  EXPECT_EQ(xroad_tls_policy().suites, (std::vector<std::string>{"ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES256-SHA256", "ECDHE-ECDSA-AES256-SHA384"}));
  EXPECT_EQ(xroad_client_tls_policy().suites,
            (std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                                      "ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES128-SHA256",
                                      "DHE-RSA-AES256-SHA256", "DHE-RSA-AES256-GCM-SHA384"}));
  for (const TlsPolicy* p : {&xroad_tls_policy(), &xroad_client_tls_policy()}) {
    EXPECT_EQ(p->min_version, TlsVersion::tls1_2);
    EXPECT_EQ(p->max_version, TlsVersion::tls1_2);
  }
  // The server's default is the one between Security Servers.
  EXPECT_EQ(TlsServerConfig{}.policy.suites, xroad_tls_policy().suites);
}

TEST(TlsPolicy, ListsInXRoadsSyntaxOrOpenSslNames) {
  auto p = parse_tls_policy(" TLSv1.2 , TLSv1.3 ", "TLS_AES_256_GCM_SHA384, ECDHE-RSA-AES128-GCM-SHA256 ,,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ(p->min_version, TlsVersion::tls1_2);
  EXPECT_EQ(p->max_version, TlsVersion::tls1_3);
  EXPECT_EQ(p->suites, (std::vector<std::string>{"TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256"}));
  auto only13 = parse_tls_policy("TLSv1.3", "TLS_AES_128_GCM_SHA256");
  ASSERT_TRUE(only13.ok()) << only13.error().to_string();
  EXPECT_EQ(only13->min_version, TlsVersion::tls1_3);
}

TEST(TlsPolicy, AnUnknownProtocolOrSuiteOrAListOpenSslCannotUseIsAnErrorNamingIt) {
  auto expect_error = [](std::string_view protocols, std::string_view ciphers, const std::string& words) {
    auto p = parse_tls_policy(protocols, ciphers);
    ASSERT_FALSE(p.ok()) << protocols << " / " << ciphers;
    EXPECT_NE(p.error().detail().find(words), std::string::npos) << p.error().detail();
  };
  expect_error("TLSv1.1", kXRoadTlsCiphers, "unknown TLS protocol \"TLSv1.1\"");
  expect_error("TLSv1.2,SSLv3", kXRoadTlsCiphers, "unknown TLS protocol \"SSLv3\"");
  expect_error("", kXRoadTlsCiphers, "no TLS protocol");
  expect_error("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,TLS_NO_SUCH_SUITE", "unknown cipher suite \"TLS_NO_SUCH_SUITE\"");
  expect_error("TLSv1.2", " , ", "no cipher suite");
  expect_error("TLSv1.2,TLSv1.3", kXRoadClientTlsCiphers, "TLSv1.3 is enabled but none of the cipher suites");
  expect_error("TLSv1.2", "TLS_AES_128_GCM_SHA256", "TLSv1.2 is enabled but none");
  // A suite OpenSSL knows but will not use (no encryption: below any security level).
  expect_error("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,TLS_RSA_WITH_NULL_SHA256", "OpenSSL refuses the cipher suite(s) NULL-SHA256");
}

TEST(TlsPolicy, AServerWhoseKeyNoSuiteFitsDoesNotStart) {
  TlsServerConfig tls;
  tls.cert_chain_pem = identity(crypto::KeyType::ec_p256).cert.to_pem();
  tls.key_pem = identity(crypto::KeyType::ec_p256).key.to_pem();
  tls.policy = xroad_client_tls_policy();  // RSA suites only
  auto ctx = make_server_context(tls);
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.error().detail().find("can be used with the server's EC key"), std::string::npos) << ctx.error().detail();
  tls.policy = xroad_tls_policy();  // has an ECDSA suite
  EXPECT_TRUE(make_server_context(tls).ok());
}

TEST(TlsBetweenSecurityServers, OnlyTls12WithXRoadsSuites) {
  Listener rsa(crypto::KeyType::rsa2048);
  for (const std::string suite : {"ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES256-SHA256"}) EXPECT_EQ(handshake(rsa.port(), suite), suite);
  // Outside X-Road's list: refused, the stronger ones too.
  for (const std::string suite : {"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES256-GCM-SHA384",
                                  "AES256-SHA256", "AES256-SHA", "ECDHE-RSA-AES256-SHA", "ECDHE-RSA-CHACHA20-POLY1305"}) {
    EXPECT_EQ(handshake(rsa.port(), suite), "") << suite << " was accepted";
  }
  EXPECT_EQ(handshake(rsa.port(), ""), "");  // TLS 1.3
  // Offered everything, the server picks X-Road's first.
  EXPECT_EQ(handshake(rsa.port(), "ALL"), "ECDHE-RSA-AES256-SHA384");

  Listener ec(crypto::KeyType::ec_p256);
  EXPECT_EQ(handshake(ec.port(), "ECDHE-ECDSA-AES256-SHA384"), "ECDHE-ECDSA-AES256-SHA384");
  for (const std::string suite : {"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-CHACHA20-POLY1305"}) {
    EXPECT_EQ(handshake(ec.port(), suite), "") << suite << " was accepted";
  }
}

TEST(TlsBetweenSecurityServers, TheOpensslBinarySeesTheSame) {
  Listener rsa(crypto::KeyType::rsa2048);
  EXPECT_EQ(s_client(rsa.port(), "-tls1_3"), "");
  EXPECT_EQ(s_client(rsa.port(), "-tls1_2 -cipher ECDHE-RSA-AES256-SHA384"), "TLSv1.2 ECDHE-RSA-AES256-SHA384");
  EXPECT_EQ(s_client(rsa.port(), "-tls1_2 -cipher DHE-RSA-AES256-SHA256"), "TLSv1.2 DHE-RSA-AES256-SHA256");
  EXPECT_EQ(s_client(rsa.port(), "-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256"), "");
  EXPECT_EQ(s_client(rsa.port(), ""), "TLSv1.2 ECDHE-RSA-AES256-SHA384");  // openssl's defaults
}

TEST(TlsBetweenSecurityServers, TheClientOffersOnlyXRoadsSuitesOverTls12) {
  TlsClientConfig cfg;
  cfg.verify_server = false;
  cfg.policy = xroad_tls_policy();
  EXPECT_EQ(offered_tls12(cfg), (std::vector<std::string>{"ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES256-SHA256", "ECDHE-ECDSA-AES256-SHA384"}));
  auto ctx = make_client_context(cfg);
  ASSERT_TRUE(ctx.ok());
  EXPECT_EQ(SSL_CTX_get_max_proto_version((*ctx)->native_handle()), TLS1_2_VERSION);
}

TEST(TlsTowardsInformationSystems, OnlyTls12WithXRoadsClientSideSuites) {
  Listener rsa(crypto::KeyType::rsa2048, xroad_client_tls_policy());
  for (const std::string suite : {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                                  "ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES128-GCM-SHA256", "DHE-RSA-AES128-SHA256",
                                  "DHE-RSA-AES256-SHA256", "DHE-RSA-AES256-GCM-SHA384"}) {
    EXPECT_EQ(handshake(rsa.port(), suite), suite);
  }
  for (const std::string suite : {"ECDHE-RSA-AES256-SHA", "AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305", "DHE-RSA-AES256-SHA"}) {
    EXPECT_EQ(handshake(rsa.port(), suite), "") << suite << " was accepted";
  }
  EXPECT_EQ(handshake(rsa.port(), ""), "");  // TLS 1.3
  EXPECT_EQ(handshake(rsa.port(), "ALL"), "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(s_client(rsa.port(), "-tls1_3"), "");
  EXPECT_EQ(s_client(rsa.port(), "-tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384"), "TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384");
  EXPECT_EQ(s_client(rsa.port(), "-tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305"), "");
}

TEST(TlsTowardsInformationSystems, Tls13WhenTheOptionsSaySo) {
  auto policy = parse_tls_policy("TLSv1.2,TLSv1.3", std::string(kXRoadClientTlsCiphers) + ",TLS_AES_256_GCM_SHA384");
  ASSERT_TRUE(policy.ok()) << policy.error().to_string();
  Listener rsa(crypto::KeyType::rsa2048, *policy);
  EXPECT_NE(handshake(rsa.port(), ""), "");
  EXPECT_EQ(s_client(rsa.port(), "-tls1_3"), "TLSv1.3 TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(s_client(rsa.port(), "-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256"), "");
}

}  // namespace
}  // namespace roadside::net
