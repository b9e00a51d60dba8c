#include "proxy/context.h"

#include "crypto/crypto.h"
#include "proxy/errors.h"

namespace roadside::proxy {

Snapshot ProxyContext::snapshot() const {
  Snapshot s;
  s.shared = shared();
  if (!s.shared) s.globalconf_problem = globalconf_problem().value_or("no valid global configuration");
  s.conf = serverconf();
  s.now = clock->now();
  return s;
}

Result<RegisteredPeer> registered_peer(const std::string& cert_der, const globalconf::SharedParameters& shared,
                                       const XRoadId* expected) {
  auto cert = crypto::Certificate::from_der(cert_der);
  if (!cert.ok()) return Error(make_error_code(errc::ssl_auth_failed), "the peer's TLS certificate cannot be read");
  if (!cert->is_auth_cert()) {
    return Error(make_error_code(errc::ssl_auth_failed),
                 "the peer's TLS certificate " + cert->subject() + " is not an authentication certificate");
  }
  const auto* server = shared.server_by_auth_cert_hash(crypto::sha256(cert_der));
  if (!server) {
    return Error(make_error_code(errc::ssl_auth_failed), "the peer's authentication certificate " + cert->subject() +
                                                             " is not registered for any security server");
  }
  if (expected && !(server->id == *expected)) {
    return Error(make_error_code(errc::ssl_auth_failed), "the server called as " + expected->to_string() +
                                                             " presented the authentication certificate of " +
                                                             server->id.to_string());
  }
  return RegisteredPeer{server, std::move(cert).value()};
}

Status trust_peer(const RegisteredPeer& peer, const net::PeerChain& chain,
                  const std::vector<std::string>& ocsp_responses, const globalconf::SharedParameters& shared,
                  const trust::Trust& trust, std::chrono::system_clock::time_point at) {
  // The peer's own intermediates (a CA may issue through ones the configuration does not
  // list): a handful at most; the rest of a long chain is ignored.
  constexpr std::size_t kMaxIntermediates = 4;
  std::vector<crypto::Certificate> intermediates;
  for (std::size_t i = 1; i < chain.size() && i <= kMaxIntermediates; ++i) {
    if (auto c = crypto::Certificate::from_der(chain[i]); c.ok()) intermediates.push_back(std::move(c).value());
  }
  auto status = trust.verify_certificate(peer.cert, intermediates, ocsp_responses, shared, at);
  if (!status.ok()) {
    return Error(status.error().code(), "the authentication certificate " + peer.cert.subject() +
                                            " of security server " + peer.server->id.to_string() +
                                            " is not valid: " + status.error().detail());
  }
  return {};
}

}  // namespace roadside::proxy
