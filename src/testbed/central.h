// The test instance's Central Server, management side, over HTTP (the request handling itself
// is ManagementDesk's, management_desk.h):
//   HTTPS listener (the testbed's TLS certificate, published as authCertRegServiceCert):
//     POST /managementservice/          authCertReg, straight from a Security Server, as
//                                       authCertRegServiceAddress says (PR-MSERV §1)
//     POST /managementservice/manage/   the other requests
//   HTTP listener:
//     POST /managementservice/manage/   the other requests, which arrive as X-Road SOAP
//                                       messages through the Security Server hosting the
//                                       management service provider (its server-conf points
//                                       the provider's services here)
// A good request gets 200 and X-Road's response with the request id; a refused one 500 and
// X-Road's SOAP fault. Anything else is 404 (405 for another method); bodies over
// management::kMaxRequestBytes are refused (413).
#pragma once

#include <string>

#include <boost/asio/io_context.hpp>

#include "metrics/metrics.h"
#include "net/http_server.h"
#include "testbed/management_desk.h"

namespace roadside::testbed {

class ManagementServer {
 public:
  // `https.tls` must carry the TLS identity. `desk` must outlive the server.
  ManagementServer(boost::asio::io_context& io, ManagementDesk& desk, net::ServerOptions https, net::ServerOptions http,
                   metrics::Registry& metrics);
  Status start();
  void stop_blocking(std::chrono::milliseconds grace);
  unsigned short https_port() const { return https_.port(); }
  unsigned short http_port() const { return http_.port(); }

 private:
  boost::asio::awaitable<void> handle(net::ServerExchange& ex, bool tls);

  ManagementDesk& desk_;
  metrics::Counter& accepted_;
  metrics::Counter& refused_;
  net::HttpServer https_;
  net::HttpServer http_;
};

}  // namespace roadside::testbed
