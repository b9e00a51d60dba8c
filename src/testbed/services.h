// The test instance's example services, behind one loopback listener:
//   /echo[/...]   REST: answers any method with JSON describing the request (method, path,
//                 query, headers, body) when the body is UTF-8 text of a textual type (or none);
//                 any other body (binary, non-UTF-8 text) comes back byte for byte, with its
//                 Content-Type and X-Echo-Method / X-Echo-Path headers. Bodies up to 16 MiB.
//   GET /bytes/N  REST: N bytes (up to 2 GiB), streamed
//   POST|PUT /bytes[/...]  REST: reads the body in pieces, answers {"size":N,"sha256":hex}
//   POST /soap    SOAP getRandom: answers with the request's X-Road header and a random number
//   GET /soap?wsdl  its WSDL
//   GET /openapi.json  the echo service's OpenAPI description
#pragma once

#include <string>

#include <boost/asio/io_context.hpp>

#include "metrics/metrics.h"
#include "net/http_server.h"

namespace roadside::testbed {

class ExampleServices {
 public:
  ExampleServices(boost::asio::io_context& io, net::ServerOptions options, metrics::Registry& metrics);
  Status start() { return server_.start(); }
  void stop_blocking(std::chrono::milliseconds grace) { server_.stop_blocking(grace); }
  unsigned short port() const { return server_.port(); }

 private:
  boost::asio::awaitable<void> handle(net::ServerExchange& ex);
  net::HttpServer server_;
};

// The OpenAPI 3 description of the echo service (GET /openapi.json).
std::string echo_openapi();

// The WSDL of getRandom, with `endpoint` as its address.
std::string get_random_wsdl(const std::string& endpoint);

}  // namespace roadside::testbed
