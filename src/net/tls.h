// TLS settings for servers and clients (OpenSSL 3 through Boost.Asio).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "base/result.h"

namespace roadside::net {

// The peer's certificate chain as DER, leaf first. Empty when the peer sent none.
using PeerChain = std::vector<std::string>;
// An extra check of the peer after the handshake's own verification. Return an empty
// string to accept, or the reason for refusing (logged and counted).
using PeerCheck = std::function<std::string(const PeerChain& chain)>;
// The client's check of a server after the handshake, knowing which server it expects: the
// peer named to HttpClient::send, else the URL's host as written. A pooled connection is
// reused only for the same expected server.
using ServerCheck = std::function<std::string(const PeerChain& chain, const std::string& expected)>;

// The TLS 1.2 cipher suites between Security Servers (5500 both ways) and on the client
// proxy's HTTPS port: ECDHE key exchange only, AES-GCM first. The two CBC-SHA384 suites are
// X-Road's own default (`proxy.xroad-tls-ciphers`: TLS_ECDHE_{RSA,ECDSA}_WITH_AES_256_CBC_SHA384),
// which Java Security Servers offer and accept over TLS 1.2; without them Roadside could not
// talk to one. No RSA key exchange, no DHE, no SHA-1 MACs. TLS 1.3 keeps OpenSSL's suites
// (all AEAD).
inline constexpr const char* kXRoadTls12Ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384";

enum class ClientAuth {
  none,      // do not ask for a client certificate
  optional,  // ask; accept connections without one
  required,  // refuse the handshake without one
};

struct TlsServerConfig {
  std::string cert_chain_pem;  // the server certificate first, then intermediates
  std::string key_pem;
  ClientAuth client_auth = ClientAuth::none;
  // CAs a client certificate must chain to. Empty: any client certificate is accepted at the
  // TLS layer and `check_peer` decides (X-Road authenticates peers by certificate hash).
  std::string client_ca_pem;
  PeerCheck check_peer;
  // OpenSSL cipher list for TLS 1.2, in the server's order of preference. Every server of
  // Roadside's faces Security Servers or information systems: X-Road's list by default.
  std::string cipher_list = kXRoadTls12Ciphers;
};

struct TlsClientConfig {
  // CAs the server certificate must chain to; empty with verify_server uses the system store.
  std::string ca_pem;
  bool verify_server = true;
  bool verify_hostname = true;
  std::string cert_chain_pem;  // client certificate for mutual TLS (optional)
  std::string key_pem;
  ServerCheck check_server;
  // OpenSSL cipher list for TLS 1.2; empty: OpenSSL's default (services, responders, the
  // Central Server). kXRoadTls12Ciphers towards other Security Servers.
  std::string cipher_list;
};

// TLS 1.2 and 1.3 only; no compression, no renegotiation.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(const TlsServerConfig& cfg);
Result<std::shared_ptr<boost::asio::ssl::context>> make_client_context(const TlsClientConfig& cfg);

// The verified-or-not chain the peer presented on `ssl` (an SSL*).
PeerChain peer_chain(void* ssl);

}  // namespace roadside::net
