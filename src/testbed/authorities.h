// The test CA's OCSP responder and TSA over HTTP, on one listener:
//   POST /ocsp            body: DER OCSPRequest (application/ocsp-request)
//   GET  /ocsp/<base64>   the request base64- and URL-encoded in the path (RFC 6960 A.1)
//        -> 200 application/ocsp-response
//   POST /tsa             body: DER TimeStampReq (application/timestamp-query)
//        -> 200 application/timestamp-reply
// Anything else is 404 (405 for a wrong method); bodies over 64 KiB are refused.
#pragma once

#include <atomic>
#include <string>

#include <boost/asio/io_context.hpp>

#include "metrics/metrics.h"
#include "net/http_server.h"
#include "testbed/ca.h"

namespace roadside::testbed {

class AuthorityServer {
 public:
  AuthorityServer(boost::asio::io_context& io, TestCa& ca, net::ServerOptions options, metrics::Registry& metrics,
                  std::chrono::seconds ocsp_validity = std::chrono::hours(1));
  Status start();
  void stop_blocking(std::chrono::milliseconds grace);
  unsigned short port() const;
  std::string ocsp_url() const;
  std::string tsa_url() const;

 private:
  boost::asio::awaitable<void> handle(net::ServerExchange& ex);

  TestCa& ca_;
  std::chrono::seconds ocsp_validity_;
  std::atomic<std::uint64_t> tsa_serial_{1};
  net::HttpServer server_;
};

}  // namespace roadside::testbed
