// Errors raised by the net module.
#pragma once

#include "base/errc.h"

namespace roadside::net {

enum class errc {
  timeout = 1,      // a connect, read or write took longer than its limit
  connect_failed,   // no connection could be made
  tls_failed,       // TLS handshake failed or the peer was refused
  protocol_error,   // malformed HTTP
  too_large,        // a header or body over its limit
  closed,           // the peer closed the connection early
  cancelled,        // the operation was cancelled (shutdown)
  bad_url,          // a URL that cannot be used
  connect_timeout,  // no connection (TCP or TLS handshake) within the connect timeout
  no_space,         // a spool file would pass its quota or the free space kept on its disk
  overloaded,       // the server holds as much of unauthenticated requests as it may
  unknown_host,     // the host name does not resolve (nothing was sent)
};

const FaultCategory& net_category() noexcept;
inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), net_category()}; }

}  // namespace roadside::net

ROADSIDE_ERRC_ENUM(roadside::net::errc)
