#include "proxy/local_client.h"

#include "proxy/errors.h"

namespace roadside::proxy {
namespace {

Error fail(errc e, std::string detail) {
  return Error(make_error_code(e), std::move(detail));
}

}  // namespace

Status check_is_connection(const serverconf::Client& client, const net::PeerInfo& peer) {
  if (client.is_auth == serverconf::IsAuth::noauth) return {};
  if (!peer.tls) {
    return fail(errc::is_auth_failed, "client " + client.id.to_string() + " must connect over HTTPS (mode " +
                                          std::string(serverconf::to_string(client.is_auth)) + ")");
  }
  if (client.is_auth == serverconf::IsAuth::sslnoauth) return {};
  if (peer.chain.empty()) {
    return fail(errc::is_auth_failed,
                "client " + client.id.to_string() + " must present a TLS certificate (mode SSLAUTH)");
  }
  for (const auto& cert : client.is_certs) {
    if (cert.to_der() == peer.chain.front()) return {};
  }
  return fail(errc::is_auth_failed,
              "the TLS certificate presented is not one of client " + client.id.to_string() + "'s");
}

Status check_local_client(const Snapshot& snap, const XRoadId& client, const net::PeerInfo& peer) {
  const auto& conf = snap.conf;
  if (!conf) return fail(errc::server_not_configured, "this server has no configuration applied");
  const serverconf::Client* local = conf->client(client);
  if (!local)
    return fail(errc::unknown_member, "client " + client.to_string() + " is not hosted by this security server");
  return check_is_connection(*local, peer);
}

}  // namespace roadside::proxy
