// Whether an information system may act for a client at this server (X-Road's
// IsAuthentication.verifyClientAuthentication): the client is hosted here, and the IS's
// connection meets the client's connection type (UG-SS "IS authentication"):
//   NOAUTH     HTTP or HTTPS
//   SSLNOAUTH  HTTPS, any or no client certificate
//   SSLAUTH    HTTPS with a client certificate that is one of the client's IS certificates
// The client proxy asks it before a request is sent on, and before /asic hands out a client's
// signed documents.
#pragma once

#include "base/identifiers.h"
#include "base/result.h"
#include "net/http_server.h"
#include "proxy/context.h"
#include "serverconf/model.h"

namespace roadside::proxy {

// errc::is_auth_failed naming what the connection lacks.
Status check_is_connection(const serverconf::Client& client, const net::PeerInfo& peer);
// errc::server_not_configured (no server configuration applied), errc::unknown_member (the
// client is not hosted here), or check_is_connection's verdict.
Status check_local_client(const Snapshot& snap, const XRoadId& client, const net::PeerInfo& peer);

}  // namespace roadside::proxy
