// How the server proxy reaches the services of the members it hosts. ServiceTransport is the
// seam the server proxy's unit tests fake; HttpServiceTransport is the real one: one HTTP
// client per service timeout (a call that makes no progress for the service's timeout ends),
// connects within min(timeout, 10 s), answers up to the largest message taken.
//
// HTTPS as X-Road's server proxy does it (its HttpClientCreator and ServiceTrustManager): the
// client-side protocols and suites (proxy.client_tls_*), no host name check, the server's
// internal TLS certificate as the client certificate, and the service's certificate judged by
// the service's tls_authentication right after the handshake, before a byte of the request.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "base/thread_annotations.h"
#include "net/http_client.h"
#include "serverconf/model.h"

namespace roadside::proxy {

// How an HTTPS service's certificate is judged (X-Road's per-service sslAuthentication).
struct ServiceTls {
  // The certificate must be one of the provider's information-system certificates (the same
  // DER); otherwise any certificate is accepted, self-signed too.
  bool authenticate = false;
  std::vector<std::string> trusted_sha256;  // hex SHA-256 of each of those certificates
};
// The check for `service` of `conf`: its tls_authentication against its provider's is_certs.
ServiceTls service_tls(const serverconf::ServerConf& conf, const serverconf::Service& service);

class ServiceTransport {
 public:
  virtual ~ServiceTransport() = default;
  // A request whose body is sent from `body`'s pieces (a spooled REST body or SOAP
  // attachment read in pieces); an answer body over the in-memory limit waits in a spool
  // file. `check_head`, when given, judges the answer's head before its body is read (a SOAP
  // service's Content-Type).
  virtual boost::asio::awaitable<Result<net::ClientResponse>> send(net::Url url, net::http::request_header<> head,
                                                                   std::vector<net::Payload> body, std::chrono::milliseconds timeout,
                                                                   ServiceTls tls, net::HeadCheck check_head = {}) = 0;
  // A GET (WSDL and OpenAPI descriptions; X-Road judges their server as the service's).
  virtual boost::asio::awaitable<Result<net::ClientResponse>> get(std::string url, std::chrono::milliseconds timeout, ServiceTls tls) = 0;
};

struct ServiceTransportTls {
  std::string cert_chain_pem;  // presented to HTTPS services: the internal TLS certificate
  std::string key_pem;
  // X-Road: proxy.client-tls-protocols and proxy.client-tls-ciphers.
  net::TlsPolicy policy = net::xroad_client_tls_policy();
};

class HttpServiceTransport final : public ServiceTransport {
 public:
  // Answer bodies up to `max_message_bytes`; those over `in_memory_limit` wait in `spool_dir`.
  HttpServiceTransport(boost::asio::io_context& io, std::uint64_t max_message_bytes, std::filesystem::path spool_dir,
                       std::uint64_t in_memory_limit, ServiceTransportTls tls = {});

  boost::asio::awaitable<Result<net::ClientResponse>> send(net::Url url, net::http::request_header<> head, std::vector<net::Payload> body,
                                                           std::chrono::milliseconds timeout, ServiceTls tls,
                                                           net::HeadCheck check_head = {}) override;
  boost::asio::awaitable<Result<net::ClientResponse>> get(std::string url, std::chrono::milliseconds timeout, ServiceTls tls) override;

 private:
  net::HttpClient& client(std::chrono::milliseconds timeout);

  boost::asio::io_context& io_;
  const std::uint64_t max_message_bytes_;
  const std::filesystem::path spool_dir_;
  const std::uint64_t in_memory_limit_;
  const ServiceTransportTls tls_;
  Mutex mu_;
  std::map<std::int64_t, std::unique_ptr<net::HttpClient>> clients_ GUARDED_BY(mu_);  // by timeout (ms)
};

}  // namespace roadside::proxy
