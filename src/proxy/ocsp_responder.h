// X-Road's OCSP download channel (port 5577, xroad-protocols.md §3.2): peers ask for this
// server's OCSP responses by certificate SHA-1 hash.
//   GET /?cert=<sha1 hex>[&cert=...]  -> multipart/related of application/ocsp-response parts
//   HEAD /                            -> 200 (heartbeat)
// A certificate without a cached response gets HTTP 500, as X-Road answers.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "net/http_server.h"
#include "signer/ocsp.h"

namespace roadside::proxy {

net::Handler make_ocsp_responder(signer::OcspCache& cache);

}  // namespace roadside::proxy
