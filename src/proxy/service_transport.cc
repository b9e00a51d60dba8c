#include "proxy/service_transport.h"

#include "crypto/digest.h"
#include "crypto/encoding.h"

namespace roadside::proxy {

namespace asio = boost::asio;

namespace {

// A call with tls_authentication asks HttpClient for this "expected peer": the prefix, then the
// trusted certificates' SHA-256 digests, comma-separated. HttpClient pools connections by it,
// so a connection judged for one set of certificates (or for none) serves only calls with the
// same; without it the expected peer is the URL's host, and anything goes.
constexpr std::string_view kAuthenticate = "tls-authentication ";

std::string expected_peer(const ServiceTls& tls) {
  if (!tls.authenticate) return {};
  std::string out(kAuthenticate);
  for (std::size_t i = 0; i < tls.trusted_sha256.size(); ++i) out += (i ? "," : "") + tls.trusted_sha256[i];
  return out;
}

// X-Road's ServiceTrustManager.checkServerTrusted: the leaf must be one of the certificates
// (no path, no dates).
std::string judge_service(const net::PeerChain& chain, const std::string& expected) {
  if (expected.rfind(kAuthenticate, 0) != 0) return {};
  std::string_view trusted = std::string_view(expected).substr(kAuthenticate.size());
  if (trusted.empty()) return "the service's provider has no information-system certificates to check its certificate against";
  if (chain.empty()) return "the service presented no certificate";
  const std::string leaf = crypto::to_hex(crypto::sha256(chain.front()));
  while (!trusted.empty()) {
    const auto comma = trusted.find(',');
    if (trusted.substr(0, comma) == leaf) return {};
    trusted = comma == std::string_view::npos ? std::string_view() : trusted.substr(comma + 1);
  }
  return "the service's certificate is not one of its provider's information-system certificates";
}

}  // namespace

ServiceTls service_tls(const serverconf::ServerConf& conf, const serverconf::Service& service) {
  ServiceTls tls;
  tls.authenticate = service.tls_authentication;
  if (!tls.authenticate) return tls;
  if (const serverconf::Client* owner = conf.client(service.id.service_provider())) {
    for (const auto& cert : owner->is_certs) tls.trusted_sha256.push_back(crypto::to_hex(crypto::sha256(cert.to_der())));
  }
  return tls;
}

HttpServiceTransport::HttpServiceTransport(asio::io_context& io, std::uint64_t max_message_bytes, std::filesystem::path spool_dir,
                                           std::uint64_t in_memory_limit, ServiceTransportTls tls)
    : io_(io),
      max_message_bytes_(max_message_bytes),
      spool_dir_(std::move(spool_dir)),
      in_memory_limit_(in_memory_limit),
      tls_(std::move(tls)) {}

net::HttpClient& HttpServiceTransport::client(std::chrono::milliseconds timeout) {
  MutexLock lock(mu_);
  auto& c = clients_[timeout.count()];
  if (!c) {
    net::ClientOptions o;
    o.request_timeout = timeout;
    o.connect_timeout = std::min(timeout, std::chrono::milliseconds(10'000));
    o.max_response_body_bytes = max_message_bytes_;
    net::TlsClientConfig tls;
    tls.verify_server = false;  // X-Road: any certificate, unless tls_authentication (judge_service)
    tls.verify_hostname = false;
    tls.cert_chain_pem = tls_.cert_chain_pem;
    tls.key_pem = tls_.key_pem;
    tls.policy = tls_.policy;
    tls.check_server = judge_service;
    o.tls = std::move(tls);
    c = std::make_unique<net::HttpClient>(io_.get_executor(), o);
  }
  return *c;
}

asio::awaitable<Result<net::ClientResponse>> HttpServiceTransport::send(net::Url url, net::http::request_header<> head,
                                                                        std::vector<net::Payload> body, std::chrono::milliseconds timeout,
                                                                        ServiceTls tls, net::HeadCheck check_head) {
  co_return co_await client(timeout).send(std::move(url), std::move(head), std::move(body), spool_dir_, in_memory_limit_,
                                          expected_peer(tls), std::move(check_head));
}

asio::awaitable<Result<net::ClientResponse>> HttpServiceTransport::get(std::string url_text, std::chrono::milliseconds timeout,
                                                                       ServiceTls tls) {
  auto url = net::Url::parse(url_text);
  if (!url.ok()) co_return std::move(url).error();
  net::http::request<net::http::string_body> req{net::http::verb::get, url->target, 11};
  co_return co_await client(timeout).request(*url, std::move(req), expected_peer(tls));
}

}  // namespace roadside::proxy
