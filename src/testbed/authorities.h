// The test CA's OCSP responder, TSA and certificate signing over HTTP, on one listener:
//   POST /ocsp            body: DER OCSPRequest (application/ocsp-request)
//   GET  /ocsp/<base64>   the request base64- and URL-encoded in the path (RFC 6960 A.1)
//        -> 200 application/ocsp-response
//   POST /tsa             body: DER TimeStampReq (application/timestamp-query)
//        -> 200 application/timestamp-reply
//   POST /sign?usage=auth|sign   body: a PKCS#10 CSR, DER or PEM
//        -> 200 application/pkix-cert (the DER certificate, TestCa::sign_csr), or 400 with
//           the reason as text/plain when the CSR or its subject is refused
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
  // `instance` is the X-Road instance whose members' signing CSRs /sign accepts.
  AuthorityServer(boost::asio::io_context& io, TestCa& ca, std::string instance, net::ServerOptions options,
                  metrics::Registry& metrics, std::chrono::seconds ocsp_validity = std::chrono::hours(1));
  Status start();
  void stop_blocking(std::chrono::milliseconds grace);
  unsigned short port() const;
  std::string ocsp_url() const;
  std::string tsa_url() const;
  std::string sign_url() const;  // without the query: append "?usage=auth" or "?usage=sign"

 private:
  boost::asio::awaitable<void> handle(net::ServerExchange& ex);
  boost::asio::awaitable<void> sign(net::ServerExchange& ex, std::string query);

  TestCa& ca_;
  std::string instance_;
  metrics::Counter& signed_;   // roadside_testbed_csrs_total{result="signed"}
  metrics::Counter& refused_;  // {result="refused"}
  std::chrono::seconds ocsp_validity_;
  std::atomic<std::uint64_t> tsa_serial_{1};
  net::HttpServer server_;
};

}  // namespace roadside::testbed
