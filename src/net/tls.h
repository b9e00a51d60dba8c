// TLS settings for servers and clients (OpenSSL 3 through Boost.Asio).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "base/result.h"
#include "crypto/keys.h"

namespace roadside::net {

// The peer's certificate chain as DER, leaf first. Empty when the peer sent none.
using PeerChain = std::vector<std::string>;
// An extra check of the peer after the handshake's own verification. Return an empty
// string to accept, or the reason for refusing (logged and counted).
using PeerCheck = std::function<std::string(const PeerChain& chain)>;
// The client's check of a server after the handshake, knowing which server it expects: the
// peer named to HttpClient::send or request, else the URL's host as written. A pooled connection is
// reused only for the same expected server.
using ServerCheck = std::function<std::string(const PeerChain& chain, const std::string& expected)>;

// TLS protocol versions Roadside speaks (never older than TLS 1.2).
enum class TlsVersion { tls1_2, tls1_3 };

// The protocol versions and cipher suites of one TLS endpoint.
struct TlsPolicy {
  TlsVersion min_version = TlsVersion::tls1_2;
  TlsVersion max_version = TlsVersion::tls1_3;
  // The suites allowed, in order of preference, by OpenSSL's names (TLS 1.3 suites start with
  // "TLS_"); empty: OpenSSL's defaults.
  std::vector<std::string> suites;
};

// X-Road's defaults (SystemProperties), in the syntax of its parameters: comma-separated JSSE
// (IANA) names. Between Security Servers (server proxy 5500 and the client proxy towards it)
// X-Road pins TLS 1.2 (CryptoUtils.SSL_PROTOCOL) and offers `proxy.xroad-tls-ciphers`; on the
// client side (information systems -> client proxy 8443, server proxy -> services) it uses
// `proxy.client-tls-protocols` and `proxy.client-tls-ciphers`. None has a TLS 1.3 suite.
inline constexpr std::string_view kXRoadTlsProtocols = "TLSv1.2";
inline constexpr std::string_view kXRoadTlsCiphers =
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384";
inline constexpr std::string_view kXRoadClientTlsProtocols = "TLSv1.2";
inline constexpr std::string_view kXRoadClientTlsCiphers =
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,"
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,"
    "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,TLS_DHE_RSA_WITH_AES_256_GCM_SHA384";

// A policy from X-Road's parameter syntax (items split at commas, blanks around them ignored):
// `protocols` of TLSv1.2 and TLSv1.3; `ciphers` by IANA (JSSE) name as X-Road lists them, or by
// OpenSSL's name, in order of preference. An unknown protocol or suite, a suite OpenSSL
// refuses here (its security level), or an enabled protocol none of the suites serves is an
// error (tls_failed) that names it.
Result<TlsPolicy> parse_tls_policy(std::string_view protocols, std::string_view ciphers);
// X-Road's defaults above, parsed.
const TlsPolicy& xroad_tls_policy();
const TlsPolicy& xroad_client_tls_policy();

enum class ClientAuth {
  none,      // do not ask for a client certificate
  optional,  // ask; accept connections without one
  required,  // refuse the handshake without one
};

struct TlsServerConfig {
  std::string cert_chain_pem;  // the server certificate first, then intermediates
  std::string key_pem;
  // The key as an object instead of key_pem: one that cannot be written out (a PKCS#11
  // token's, crypto/external_key.h) signs the handshake where it is.
  std::optional<crypto::PrivateKey> key;
  ClientAuth client_auth = ClientAuth::none;
  // CAs a client certificate must chain to. Empty: any client certificate is accepted at the
  // TLS layer and `check_peer` decides (X-Road authenticates peers by certificate hash).
  std::string client_ca_pem;
  PeerCheck check_peer;
  // Protocols and suites, in the server's order of preference. Every server of Roadside's
  // faces Security Servers or information systems: X-Road's policy between Security Servers
  // by default (the client proxy's HTTPS port sets the client-side one).
  TlsPolicy policy = xroad_tls_policy();
};

struct TlsClientConfig {
  // CAs the server certificate must chain to; empty with verify_server uses the system store.
  std::string ca_pem;
  bool verify_server = true;
  bool verify_hostname = true;
  std::string cert_chain_pem;  // client certificate for mutual TLS (optional)
  std::string key_pem;
  std::optional<crypto::PrivateKey> key;  // as TlsServerConfig's
  ServerCheck check_server;
  // Protocols and suites; OpenSSL's defaults unless set (responders, the Central Server).
  // xroad_tls_policy() towards other Security Servers, xroad_client_tls_policy() towards services.
  TlsPolicy policy;
};

// TLS 1.2 and 1.3 only (narrowed by the policy); no compression, no renegotiation. Errors
// (tls_failed) name the part at fault: the identity, the policy, or (servers) a key that no
// suite of the policy can be used with.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(const TlsServerConfig& cfg);
Result<std::shared_ptr<boost::asio::ssl::context>> make_client_context(const TlsClientConfig& cfg);

// The verified-or-not chain the peer presented on `ssl` (an SSL*).
PeerChain peer_chain(void* ssl);

}  // namespace roadside::net
