#include "proxy/peer_transport.h"

#include <boost/beast/http/field.hpp>

#include "base/log.h"
#include "net/errors.h"
#include "proxy/context.h"

namespace roadside::proxy {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

net::ClientOptions ocsp_fetch_options() {
  net::ClientOptions o;
  o.connect_timeout = std::chrono::seconds(5);
  o.request_timeout = std::chrono::seconds(10);
  o.max_response_body_bytes = 1024 * 1024;
  return o;
}

}  // namespace

TlsPeerTransport::TlsPeerTransport(asio::io_context& io, const signer::KeySource& keys,
                                   std::function<std::shared_ptr<const globalconf::SharedParameters>()> shared,
                                   PeerTransportOptions options, const Clock& clock, const trust::Trust& rules)
    : io_(io),
      keys_(keys),
      shared_(std::move(shared)),
      options_(std::move(options)),
      clock_(clock),
      trust_(std::make_shared<PeerTrust>(rules)),
      ocsp_client_(io.get_executor(), ocsp_fetch_options()) {}

Result<std::shared_ptr<net::HttpClient>> TlsPeerTransport::client() {
  ROADSIDE_TRY(auto key, keys_.auth_key());
  MutexLock lock(mu_);
  if (client_ && client_key_ == key->info.key_id) return client_;
  net::ClientOptions o;
  o.max_response_body_bytes = options_.max_message_bytes;
  o.request_timeout = std::chrono::seconds(300);
  net::TlsClientConfig tls;
  tls.verify_server = false;  // X-Road authenticates servers by their registered certificates (PeerTrust)
  tls.verify_hostname = false;
  tls.cert_chain_pem = key->info.cert.to_pem();
  tls.key = key->key;
  tls.policy = options_.tls_policy;
  tls.check_server = [shared_fn = shared_, trust = trust_, clock = &clock_](const net::PeerChain& chain,
                                                                            const std::string& server) -> std::string {
    auto shared = shared_fn();
    if (!shared) return "no valid global configuration to check the server against";
    return trust->check(chain, *shared, clock->now(), server);
  };
  if (options_.tls) o.tls = tls;
  client_ = std::make_shared<net::HttpClient>(io_.get_executor(), o);
  client_key_ = key->info.key_id;
  return client_;
}

asio::awaitable<std::optional<std::size_t>> TlsPeerTransport::fastest(std::vector<std::string> addresses) {
  co_return co_await net::fastest_connect(io_.get_executor(), std::move(addresses), options_.peer_port, std::chrono::seconds(5));
}

asio::awaitable<Result<net::ClientResponse>> TlsPeerTransport::send(const globalconf::SecurityServer* server,
                                                                    const EncodedMessage* encoded, const HeaderList* headers) {
  auto http = client();
  if (!http.ok()) co_return http.error();
  const net::Url url{options_.tls ? "https" : "http", server->address, options_.peer_port, "/"};
  auto head = [&] {
    http::request_header<> post;
    post.method(http::verb::post);
    post.target("/");
    post.version(11);
    post.set(http::field::content_type, encoded->content_type);
    post.set(kHashAlgorithmHeader, "SHA-512");
    post.set("x-proxy-version", kXRoadProtocolVersion);
    for (const auto& h : *headers) post.set(h.name, h.value);
    return post;
  };
  // (Named arguments: GCC 12 destroys some temporaries of a co_await expression twice.)
  // The connection is to this server only: its certificate must be registered for it.
  const std::string expected = options_.tls ? server->id.to_string() : std::string();
  const std::uint64_t generation = trust_->generation();
  http::request_header<> first = head();
  auto answer = co_await (*http)->send(url, std::move(first), encoded->pieces, options_.spool_dir, kSpoolAbove, expected);
  if (answer.ok() || answer.error().code() != net::make_error_code(net::errc::tls_failed)) co_return answer;
  // Refused at the handshake, so nothing was sent. For want of an OCSP status: fetch it from
  // the server's responder and connect again; or, when another request stored responses
  // since this one connected, just connect again.
  auto pending = trust_->pending(*server);
  if (!pending && trust_->generation() == generation) co_return answer;
  if (pending) {
    auto responses = co_await fetch_ocsp(server, *pending);
    if (!responses.ok()) co_return responses.error();
    trust_->store(*pending, std::move(responses).value());
  }
  http::request_header<> again = head();
  co_return co_await (*http)->send(url, std::move(again), encoded->pieces, options_.spool_dir, kSpoolAbove, expected);
}

asio::awaitable<Result<std::vector<std::string>>> TlsPeerTransport::fetch_ocsp(const globalconf::SecurityServer* server,
                                                                               crypto::Certificate cert) {
  const std::string url = "http://" + net::Url{"http", server->address, options_.peer_ocsp_port, "/"}.authority() + "/?cert=" + cert.sha1_hex();
  auto got = co_await ocsp_client_.get(url);
  if (!got.ok() || got->message.result_int() != 200) {
    const std::string why = got.ok() ? "HTTP " + std::to_string(got->message.result_int()) : got.error().detail();
    log::warn("no OCSP status from the provider's server", {{"server", server->id.to_string()}, {"error", why}});
    // (The code stays a connect-time failure: nothing was sent, another server may be tried.)
    co_return Error(net::make_error_code(net::errc::tls_failed),
                    "the OCSP status of security server " + server->id.to_string() + "'s authentication certificate is unknown: " + why);
  }
  auto responses = ocsp_responses_of(std::string(got->message[http::field::content_type]), got->message.body());
  if (!responses.ok()) co_return Error(net::make_error_code(net::errc::tls_failed), responses.error().detail());
  co_return responses;
}

}  // namespace roadside::proxy
