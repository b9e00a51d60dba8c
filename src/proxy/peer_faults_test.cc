// Issue 13, item 16: the faults a provider's server sends to the client's server (another
// member's) name the service and the kind of failure, never the service's URL or address.
#include <gtest/gtest.h>

#include "net/errors.h"
#include "proxy/errors.h"
#include "proxy/server_proxy.h"

namespace roadside::proxy {
namespace {

using namespace std::chrono_literals;

serverconf::Service backend() {
  serverconf::Service s;
  s.id = *XRoadId::service("DEV", "COM", "1002", "SERVICE", "down");
  s.url = "http://10.20.30.40:8081/internal/api";
  s.timeout = 1000ms;
  return s;
}

TEST(FaultsToPeers, AFailedServiceCallNamesTheServiceAndTheKindOfFailureButNoAddress) {
  const serverconf::Service s = backend();
  struct Case {
    net::errc cause;
    std::string cause_text;
    errc expected;
    std::string kind;
  };
  const std::vector<Case> cases = {
      {net::errc::timeout, "request to 10.20.30.40:8081 made no progress for 1000 ms", errc::service_network_error,
       "made no progress for 1000 ms"},
      {net::errc::connect_failed, "cannot connect to 10.20.30.40:8081: Connection refused", errc::service_network_error,
       "no connection could be made"},
      {net::errc::tls_failed, "TLS handshake with 10.20.30.40:8081 failed: certificate verify failed", errc::service_tls_failed,
       "the TLS handshake failed"},
      {net::errc::protocol_error, "bad response from 10.20.30.40:8081: bad version", errc::service_invalid_response,
       "not a valid HTTP response"},
      {net::errc::bad_url, "URL \"http://10.20.30.40:8081/internal/api\": bad port", errc::service_failed, "URL is not usable"},
  };
  for (const auto& c : cases) {
    const Error e = service_error(s, Error(net::make_error_code(c.cause), c.cause_text));
    EXPECT_EQ(e.code(), make_error_code(c.expected)) << c.cause_text;
    EXPECT_EQ(e.detail().find("10.20.30.40"), std::string::npos) << e.detail();
    EXPECT_EQ(e.detail().find("/internal/api"), std::string::npos) << e.detail();
    EXPECT_NE(e.detail().find("DEV/COM/1002/SERVICE/down"), std::string::npos) << e.detail();
    EXPECT_NE(e.detail().find(c.kind), std::string::npos) << e.detail();
    // The fault built from it carries the same text.
    const Fault f = make_fault(e, Side::server_proxy);
    EXPECT_EQ(f.message.find("10.20.30.40"), std::string::npos) << f.message;
  }
}

}  // namespace
}  // namespace roadside::proxy
