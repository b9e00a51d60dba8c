// What the client and server proxies need from the rest of the server, as snapshots and
// services; the application wires it, tests fill it in directly.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "globalconf/parameters.h"
#include "metrics/metrics.h"
#include "serverconf/serverconf.h"
#include "signer/batch_signer.h"
#include "signer/ocsp.h"
#include "signer/token.h"

namespace roadside::proxy {

// The X-Road version whose protocols Roadside speaks, sent as x-proxy-version (peers check
// it against their minimum supported client version).
inline constexpr std::string_view kXRoadProtocolVersion = "7.8.1";

struct ProxyContext {
  // The own instance's shared parameters from a valid global configuration, or null.
  std::function<std::shared_ptr<const globalconf::SharedParameters>()> shared;
  // Why no valid global configuration is loaded (std::nullopt when one is).
  std::function<std::optional<std::string>()> globalconf_problem;
  // The newest server configuration, or null when none is applied.
  std::function<std::shared_ptr<const serverconf::ServerConf>()> serverconf;
  signer::SoftToken* token = nullptr;
  signer::BatchSigner* signer = nullptr;
  signer::OcspManager* ocsp = nullptr;
  metrics::Registry* metrics = nullptr;
  // Port of the server proxies of other Security Servers (X-Road: 5500 everywhere).
  unsigned short peer_port = 5500;
  std::uint64_t max_message_bytes = 64 * 1024 * 1024;
};

// Checks a peer Security Server's authentication certificate on TLS: an authentication
// certificate whose SHA-256 hash the global configuration registers for a server. Returns
// that server and the certificate, or an Error (errc::ssl_auth_failed) naming why not.
struct RegisteredPeer {
  const globalconf::SecurityServer* server;
  crypto::Certificate cert;
};
Result<RegisteredPeer> registered_peer(const std::string& cert_der, const globalconf::SharedParameters& shared);

}  // namespace roadside::proxy
