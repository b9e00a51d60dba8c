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

Result<RegisteredPeer> registered_peer(const std::string& cert_der, const globalconf::SharedParameters& shared) {
  auto cert = crypto::Certificate::from_der(cert_der);
  if (!cert.ok()) return Error(make_error_code(errc::ssl_auth_failed), "the peer's TLS certificate cannot be read");
  if (!cert->is_auth_cert()) {
    return Error(make_error_code(errc::ssl_auth_failed), "the peer's TLS certificate " + cert->subject() + " is not an authentication certificate");
  }
  const auto* server = shared.server_by_auth_cert_hash(crypto::sha256(cert_der));
  if (!server) {
    return Error(make_error_code(errc::ssl_auth_failed),
                 "the peer's authentication certificate " + cert->subject() + " is not registered for any security server");
  }
  return RegisteredPeer{server, std::move(cert).value()};
}

}  // namespace roadside::proxy
