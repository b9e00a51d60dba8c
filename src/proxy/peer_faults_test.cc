// Issue 13, item 16: the faults a provider's server sends to the client's server (another
// member's) name the service and the kind of failure, never the service's URL or address.
#include <gtest/gtest.h>

#include "base/errors.h"
#include "net/errors.h"
#include "storage/store.h"
#include "xml/errors.h"
#include "proxy/errors.h"
#include "proxy/server_proxy.h"
#include "trust/errors.h"

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

TEST(FaultsToPeers, ErrorsAboutThisServerReachThePeerAsAnInternalErrorWithoutTheirText) {
  const std::vector<Error> internal = {
      Error(net::make_error_code(net::errc::no_space), "the spool folder /var/lib/roadside/spool has 12 MiB free"),
      Error(storage::make_error_code(storage::errc::connection_failed), "db.internal:5432 (user roadside): connection refused"),
      Error(std::make_error_code(std::errc::permission_denied), "cannot open /var/lib/roadside/keys"),
  };
  for (const auto& e : internal) {
    const Fault logged = make_fault(e, Side::server_proxy);
    const Fault sent = fault_for_peer(logged, e);
    EXPECT_EQ(sent.code, logged.code);
    EXPECT_EQ(sent.detail, logged.detail);
    EXPECT_EQ(sent.message.find("/var/lib"), std::string::npos) << sent.message;
    EXPECT_EQ(sent.message.find("db.internal"), std::string::npos) << sent.message;
    EXPECT_NE(sent.message.find(logged.detail), std::string::npos) << sent.message;
  }
  // Why the global configuration is outdated stays here too.
  const Error outdated(make_error_code(errc::global_conf_outdated),
                       "cannot replace /var/lib/roadside/globalconf/current: cannot connect to cs.internal:80");
  const Fault outdated_sent = fault_for_peer(make_fault(outdated, Side::server_proxy), outdated);
  EXPECT_EQ(outdated_sent.code, "server.serverproxy.global_conf_outdated");
  EXPECT_EQ(outdated_sent.message, "the provider's Security Server has no valid global configuration");
  // Errors about the peer's own message keep their text: it is what the peer must mend.
  const Error bad_xml(xml::make_error_code(xml::errc::malformed_signature), "the signature has no SignedInfo");
  const Fault logged = make_fault(bad_xml, Side::server_proxy);
  EXPECT_EQ(fault_for_peer(logged, bad_xml).message, logged.message);
  const Error not_its_signer(trust::make_error_code(trust::errc::incorrect_certificate),
                             "the message's client DEV/COM/1001 is not the member of its signing certificate");
  const Fault not_its_signer_logged = make_fault(not_its_signer, Side::server_proxy);
  EXPECT_EQ(not_its_signer_logged.code, "server.serverproxy.incorrect_certificate");
  EXPECT_EQ(fault_for_peer(not_its_signer_logged, not_its_signer).message, not_its_signer_logged.message);
  const Error refused(make_error_code(errc::access_denied), "DEV/COM/1001 may not use DEV/COM/1002/SERVICE/x");
  EXPECT_EQ(fault_for_peer(make_fault(refused, Side::server_proxy), refused).message, make_fault(refused, Side::server_proxy).message);
}

}  // namespace
}  // namespace roadside::proxy
