// HTTPS towards services as X-Road's server proxy does it (issue 15, item 4), against real TLS
// services on loopback: the internal TLS certificate as the client certificate, X-Road's
// client-side protocols and suites, any service certificate (self-signed too) unless the
// service's tls_authentication asks for one of its provider's information-system
// certificates, judged right after the handshake, before a byte of the request is sent.
#include "proxy/service_transport.h"

#include <atomic>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "net/errors.h"
#include "net/http_server.h"
#include "support/https_service.h"
#include "support/test_support.h"

namespace roadside::proxy {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace http = boost::beast::http;

struct Identity {
  crypto::PrivateKey key;
  crypto::Certificate cert;
};

// A self-signed identity, as services and the internal TLS certificate have.
Identity self_signed(const std::string& name, crypto::KeyType type = crypto::KeyType::rsa2048) {
  auto key = *crypto::PrivateKey::generate(type);
  auto cert = *crypto::issue_certificate({.common_name = name,
                                          .dns_names = {"localhost"},
                                          .ip_addresses = {"127.0.0.1"},
                                          .usage = crypto::Usage::tls_server_and_client},
                                         key, nullptr, key);
  return {std::move(key), std::move(cert)};
}

const Identity& internal_tls() {
  static const Identity id = self_signed("Roadside internal TLS");
  return id;
}

std::string sha256_hex(const crypto::Certificate& c) {
  return crypto::to_hex(crypto::sha256(c.to_der()));
}

// The service of these tests: a self-signed identity, answering "served <target>".
struct TlsService : testing::HttpsService {
  explicit TlsService(const Identity& id, net::TlsPolicy policy = {})
      : HttpsService(id.cert.to_pem(), id.key.to_pem(), std::move(policy)) {}
  std::string url(const std::string& path = "/api") const { return HttpsService::url(path); }
};

class ServiceTransportTest : public ::testing::Test {
 protected:
  template <typename T>
  T run(asio::awaitable<T> a) {
    auto f = asio::co_spawn(io_, std::move(a), asio::use_future);
    io_.restart();
    io_.run();
    return f.get();
  }
  Result<net::ClientResponse> post(const std::string& url, ServiceTls tls) {
    http::request_header<> head;
    head.method(http::verb::post);
    head.version(11);
    return run(
        transport_.send(*net::Url::parse(url), std::move(head), {net::Payload(std::string("{}"))}, 5s, std::move(tls)));
  }
  Result<net::ClientResponse> soap(const std::string& url, ServiceTls tls) {
    http::request_header<> head;
    head.method(http::verb::post);
    head.version(11);
    head.set(http::field::content_type, "text/xml");
    auto any_head = [](const http::response_header<>&) { return Status{}; };
    return run(transport_.send(*net::Url::parse(url), std::move(head), {net::Payload(std::string("<soap/>"))}, 5s, std::move(tls),
                               any_head));
  }
  Result<net::ClientResponse> get(const std::string& url, ServiceTls tls) {
    return run(transport_.get(url, 5s, std::move(tls)));
  }

  static ServiceTls authenticate(std::vector<std::string> trusted) { return {true, std::move(trusted)}; }

  testing::TempDir dir_;
  asio::io_context io_;
  HttpServiceTransport transport_{io_, 1 << 20, dir_.path(), 1 << 20,
                                  ServiceTransportTls{internal_tls().cert.to_pem(), internal_tls().key.to_pem()}};
  Identity service_id_ = self_signed("service.example");
  Identity is_cert_ = self_signed("another information system");
};

TEST_F(ServiceTransportTest, ASelfSignedServiceIsCalledWhenItsCertificateIsNotToBeChecked) {
  TlsService service(service_id_);
  auto r = post(service.url(), ServiceTls{});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->message.result_int(), 200u);
  EXPECT_EQ(r->message.body(), "served /api");
  ASSERT_FALSE(r->server_chain.empty());
  EXPECT_EQ(r->server_chain.front(), service_id_.cert.to_der());
  // The service sees the internal TLS certificate as the client's.
  EXPECT_EQ(service.client_leaf(), internal_tls().cert.to_der());
  auto s = soap(service.url("/soap"), ServiceTls{});
  EXPECT_TRUE(s.ok()) << s.error().to_string();
  auto g = get(service.url("/openapi.json"), ServiceTls{});
  EXPECT_TRUE(g.ok()) << g.error().to_string();
  EXPECT_EQ(service.requests(), 3);
}

TEST_F(ServiceTransportTest, WithTlsAuthenticationOnlyAnInformationSystemCertificateOfTheProviderPasses) {
  TlsService service(service_id_);
  // A connection made without the check is pooled; it must not serve a call with it.
  ASSERT_TRUE(post(service.url(), ServiceTls{}).ok());
  ASSERT_EQ(service.requests(), 1);

  const std::vector<std::function<Result<net::ClientResponse>(ServiceTls)>> calls = {
      [&](ServiceTls t) { return post(service.url(), std::move(t)); },  // REST
      [&](ServiceTls t) { return soap(service.url(), std::move(t)); },  // SOAP
      [&](ServiceTls t) { return get(service.url(), std::move(t)); },   // WSDL, OpenAPI
  };
  for (const auto& call : calls) {
    auto refused = call(authenticate({sha256_hex(is_cert_.cert)}));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code(), net::make_error_code(net::errc::tls_failed));
    EXPECT_EQ(refused.error().fault_code(), "ssl_authentication_failed");  // service_failed.ssl_authentication_failed
    EXPECT_NE(refused.error().detail().find("not one of its provider's information-system certificates"),
              std::string::npos)
        << refused.error().detail();
  }
  // Refused after the handshake, before the request was sent.
  EXPECT_EQ(service.requests(), 1);

  auto none = post(service.url(), authenticate({}));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().detail().find("has no information-system certificates"), std::string::npos)
      << none.error().detail();
  EXPECT_EQ(service.requests(), 1);

  const ServiceTls trusted = authenticate({sha256_hex(is_cert_.cert), sha256_hex(service_id_.cert)});
  auto r = post(service.url(), trusted);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->message.result_int(), 200u);
  EXPECT_TRUE(soap(service.url(), trusted).ok());
  EXPECT_TRUE(get(service.url(), trusted).ok());
  EXPECT_EQ(service.requests(), 4);
  EXPECT_EQ(service.client_leaf(), internal_tls().cert.to_der());
}

TEST_F(ServiceTransportTest, PlainHttpServicesHaveNoCertificateToCheck) {
  asio::io_context sio;
  metrics::Registry metrics;
  net::ServerOptions o;
  o.name = "plain";
  net::HttpServer plain(
      sio, o,
      [](net::ServerExchange& ex) -> asio::awaitable<void> {
        (void)co_await ex.read_body_all();
        (void)co_await ex.respond(net::make_response(http::status::ok, "plain"));
      },
      metrics);
  ASSERT_TRUE(plain.start().ok());
  auto guard = asio::make_work_guard(sio);
  std::thread t([&] { sio.run(); });
  auto r = post("http://127.0.0.1:" + std::to_string(plain.port()) + "/", authenticate({sha256_hex(is_cert_.cert)}));
  plain.stop_blocking(1s);
  guard.reset();
  sio.stop();
  t.join();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->message.body(), "plain");
}

TEST_F(ServiceTransportTest, XRoadsClientSideProtocolsAndSuites) {
  // A service that speaks only TLS 1.3, or has only an EC key (X-Road's client-side suites
  // are all RSA ones), cannot be reached with the defaults.
  {
    TlsService tls13(service_id_, *net::parse_tls_policy("TLSv1.3", "TLS_AES_256_GCM_SHA384"));
    auto r = post(tls13.url(), ServiceTls{});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), net::make_error_code(net::errc::tls_failed));
    EXPECT_EQ(tls13.requests(), 0);
  }
  {
    TlsService ec(self_signed("ec.example", crypto::KeyType::ec_p256));
    EXPECT_FALSE(post(ec.url(), ServiceTls{}).ok());
  }
}

TEST(ServiceTls, FromTheServicesSettingAndItsProvidersIsCertificates) {
  const auto is_cert = self_signed("portal");
  std::string yaml = R"(
owner: EE/COM/2
server_code: ss2
clients:
  - id: EE/COM/2/SERVICE
    is_certificates:
      - |
)";
  std::istringstream pem(is_cert.cert.to_pem());
  for (std::string line; std::getline(pem, line);) yaml += "        " + line + "\n";
  yaml += R"(    services:
      - code: checked
        url: https://backend.example/a
      - code: unchecked
        url: https://backend.example/b
        tls_authentication: false
      - code: explicit
        url: https://backend.example/c
        tls_authentication: true
  - id: EE/COM/2/BARE
    services:
      - code: checked
        url: https://backend.example/d
)";
  auto conf = serverconf::ServerConf::parse_yaml(yaml);
  ASSERT_TRUE(conf.ok()) << conf.error().to_string();
  auto tls_of = [&](const std::string& service) {
    return service_tls(*conf, *conf->service(*XRoadId::parse("SERVICE:" + service)));
  };
  const ServiceTls checked = tls_of("EE/COM/2/SERVICE/checked");
  EXPECT_TRUE(checked.authenticate);  // X-Road: sslAuthentication not set is true
  EXPECT_EQ(checked.trusted_sha256, std::vector<std::string>{sha256_hex(is_cert.cert)});
  EXPECT_TRUE(tls_of("EE/COM/2/SERVICE/explicit").authenticate);
  EXPECT_FALSE(tls_of("EE/COM/2/SERVICE/unchecked").authenticate);
  const ServiceTls bare = tls_of("EE/COM/2/BARE/checked");
  EXPECT_TRUE(bare.authenticate);
  EXPECT_TRUE(bare.trusted_sha256.empty());
  // The setting survives the database's JSON form; left out when on, so older revisions keep their digest.
  auto again = serverconf::ServerConf::from_json(conf->to_json());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->service(*XRoadId::parse("SERVICE:EE/COM/2/SERVICE/unchecked"))->tls_authentication);
  EXPECT_TRUE(again->service(*XRoadId::parse("SERVICE:EE/COM/2/SERVICE/checked"))->tls_authentication);
  EXPECT_EQ(conf->to_json().find("\"tls_authentication\":true"), std::string::npos);
  auto bad = serverconf::ServerConf::parse_yaml(yaml + "        tls_authentication: maybe\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail().find("tls_authentication must be true or false"), std::string::npos)
      << bad.error().detail();
}

}  // namespace
}  // namespace roadside::proxy
