// How the client proxy reaches the provider's Security Servers. PeerTransport is the seam the
// client proxy's unit tests fake; TlsPeerTransport is the real one:
//   - mutual TLS on the token's authentication key (the client rebuilt when the key changes),
//     X-Road's protocol (TLS 1.2) and cipher suites by default (PeerTransportOptions);
//   - the server must authenticate as the server it was sent to: a certificate the global
//     configuration registers for that server, chained to an approved CA and good by an OCSP
//     response (PeerTrust); when the handshake was refused for want of one, the responses are
//     fetched from the server's OCSP responder (X-Road's port 5577) and it connects once more;
//   - X-Road's fastest connect: which of a provider's servers accepts a connection first.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "base/thread_annotations.h"
#include "base/clock.h"
#include "globalconf/parameters.h"
#include "net/http_client.h"
#include "proxy/peer_trust.h"
#include "proxy/rest.h"
#include "proxy/transport.h"
#include "signer/token.h"

namespace roadside::proxy {

class PeerTransport {
 public:
  virtual ~PeerTransport() = default;
  // POSTs `encoded` with `headers` to `server`. An error that net::failed_before_sending
  // accepts reached nobody (another server may be tried); any other may have reached it.
  // (Pointer parameters: coroutine parameters are copied.)
  virtual boost::asio::awaitable<Result<net::ClientResponse>> send(const globalconf::SecurityServer* server,
                                                                   const EncodedMessage* encoded, const HeaderList* headers) = 0;
  // The index of the address in `addresses` that accepted a TCP connection first, if any did
  // in time.
  virtual boost::asio::awaitable<std::optional<std::size_t>> fastest(std::vector<std::string> addresses) = 0;
};

struct PeerTransportOptions {
  unsigned short peer_port = 5500;       // other Security Servers' server proxies (X-Road: 5500)
  unsigned short peer_ocsp_port = 5577;  // and their OCSP responders (X-Road: 5577)
  std::uint64_t max_message_bytes = 64ull << 20;
  std::filesystem::path spool_dir;  // where response bodies over kSpoolAbove wait
  // Protocols and suites towards the servers (X-Road: TLS 1.2 and proxy.xroad-tls-ciphers).
  net::TlsPolicy tls_policy = net::xroad_tls_policy();
  // Mutual TLS to the servers (X-Road's proxy.ssl-enabled); plain HTTP without, for tests.
  bool tls = true;
};

class TlsPeerTransport final : public PeerTransport {
 public:
  // `shared` gives the global configuration the peers' certificates are checked against,
  // by `rules` (which must outlive this object).
  TlsPeerTransport(boost::asio::io_context& io, const signer::KeySource& keys,
                   std::function<std::shared_ptr<const globalconf::SharedParameters>()> shared, PeerTransportOptions options,
                   const Clock& clock = Clock::system(), const trust::Trust& rules = trust::Trust::xroad());

  boost::asio::awaitable<Result<net::ClientResponse>> send(const globalconf::SecurityServer* server, const EncodedMessage* encoded,
                                                           const HeaderList* headers) override;
  boost::asio::awaitable<std::optional<std::size_t>> fastest(std::vector<std::string> addresses) override;

 private:
  // The mutual-TLS client on the current authentication key (rebuilt when the key changes).
  Result<std::shared_ptr<net::HttpClient>> client();
  // The OCSP responses `server`'s responder serves for `cert`.
  boost::asio::awaitable<Result<std::vector<std::string>>> fetch_ocsp(const globalconf::SecurityServer* server, crypto::Certificate cert);

  boost::asio::io_context& io_;
  const signer::KeySource& keys_;
  std::function<std::shared_ptr<const globalconf::SharedParameters>()> shared_;
  const PeerTransportOptions options_;
  const Clock& clock_;
  std::shared_ptr<PeerTrust> trust_;
  net::HttpClient ocsp_client_;
  Mutex mu_;
  std::shared_ptr<net::HttpClient> client_ GUARDED_BY(mu_);
  std::string client_key_ GUARDED_BY(mu_);  // the key id it was built for
};

}  // namespace roadside::proxy
