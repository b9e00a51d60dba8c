#include "net/errors.h"

namespace roadside::net {

const FaultCategory& net_category() noexcept {
  static const TableCategory<errc> c("net", {
                                                {errc::timeout, "network_error", "timed out"},
                                                {errc::connect_failed, "network_error", "connection failed"},
                                                {errc::tls_failed, "ssl_authentication_failed", "TLS failed"},
                                                {errc::protocol_error, "invalid_message", "malformed HTTP message"},
                                                {errc::too_large, "invalid_message", "message too large"},
                                                {errc::closed, "network_error", "connection closed"},
                                                {errc::cancelled, "network_error", "cancelled"},
                                                {errc::bad_url, "internal_error", "invalid URL"},
                                                {errc::connect_timeout, "network_error", "connect timed out"},
                                                {errc::no_space, "io_error", "no spool space"},
                                                {errc::overloaded, "internal_error", "server busy"},
                                                {errc::unknown_host, "unknown_host", "unknown host"},
                                            });
  return c;
}

}  // namespace roadside::net
