// The server proxy (port 5500): takes transport messages from other Security Servers over
// mutual TLS and answers them. Its data path for one request:
//   TLS peer: an authentication certificate registered for a Security Server
//   -> decode the multipart message -> the peer's OCSP parts prove its certificate good
//   -> the signature: the client's member signed it, chain and OCSP at the CA
//   -> the service exists here and the client may call it (access rights)
//   -> the request logged (the message log, when there is one; failing to log fails it)
//   -> call the service (its timeout; redirects are not followed; hop-by-hop headers dropped)
//   -> the response header part with X-Road-Request-Hash -> signed by the provider -> logged -> reply.
// A failure anywhere is answered with a SOAP fault (text/xml), code server.serverproxy.*.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "net/http_client.h"
#include "net/http_server.h"
#include "proxy/context.h"
#include "proxy/logging.h"
#include "proxy/metaservices.h"
#include "tracing/trace.h"
#include "proxy/rest.h"
#include "proxy/soap.h"
#include "proxy/transport.h"

namespace roadside::proxy {

class ServerProxy {
 public:
  ServerProxy(boost::asio::io_context& io, ProxyContext ctx);
  boost::asio::awaitable<void> handle(net::ServerExchange& ex);

 private:
  // Each fills in `op`, the message's operational data, as it learns it; the service is sent
  // `trace` (this server's span) as traceparent.
  boost::asio::awaitable<Result<Reply>> process(net::ServerExchange& ex, opmon::OpRecord* op,
                                                const tracing::TraceContext* trace);
  boost::asio::awaitable<Result<Reply>> process_rest(net::ServerExchange& ex, TransportMessage& request,
                                                                    const globalconf::SecurityServer* sender,
                                                                    const Snapshot* snap, opmon::OpRecord* op,
                                                                    const tracing::TraceContext* trace);
  boost::asio::awaitable<Result<Reply>> process_soap(net::ServerExchange& ex, TransportMessage& request,
                                                                    const globalconf::SecurityServer* sender,
                                                                    const Snapshot* snap, opmon::OpRecord* op,
                                                                    const tracing::TraceContext* trace);
  boost::asio::awaitable<Result<SoapMessage>> call_soap_service(net::ServerExchange& ex, TransportMessage& request, XRoadId client,
                                                                XRoadId service_id, const Snapshot* snap, const LogIds* log_ids,
                                                                opmon::OpRecord* op, const tracing::TraceContext* trace);
  boost::asio::awaitable<Result<net::ClientResponse>> call_rest_service(RestRequestHead head, RestTarget target, TransportMessage& request,
                                                                        XRoadId client,
                                                                        const Snapshot* snap, const LogIds* log_ids,
                                                                        opmon::OpRecord* op, const tracing::TraceContext* trace);
  // Metaservices the provider's server answers itself (metaservices.h).
  boost::asio::awaitable<Result<SoapMessage>> soap_metaservice(TransportMessage& request, XRoadId client, XRoadId service_id,
                                                               const Snapshot* snap);
  boost::asio::awaitable<Result<net::ClientResponse>> rest_metaservice(RestTarget target, XRoadId client,
                                                                       const Snapshot* snap);
  // The sending server hosts `client`, and the message is signed by `client`'s member.
  // (`sender` is the server the TLS peer's certificate is registered for; null without TLS
  // between servers, when only the signature is checked.)
  Status verify_sender(const TransportMessage& request, const XRoadId& client, const globalconf::SecurityServer* sender,
                       const Snapshot& snap) const;
  boost::asio::awaitable<Result<TransportMessage>> sign_response(TransportMessage response, XRoadId provider);
  ProxyContext ctx_;
  metrics::Counter& ok_;
  metrics::Counter& failed_;
};

// The error for a failed call to `service`: its fault goes to the client's Security Server,
// another member's, so it names the service and the kind of failure (from `cause`'s code)
// but never the service's URL or address. The full cause is logged here.
Error service_error(const serverconf::Service& service, const Error& cause);

// The fault sent to the client's Security Server for `logged` (made from `cause`): as logged
// when the cause is about the message (the proxy, XML, MIME, signature and global
// configuration checks), else an internal error whose text names only the logged fault's id:
// errors of the network, storage and files name this server's folders, databases and hosts.
// An outdated global configuration is said in a fixed sentence (its cause names folders and
// Central Servers).
Fault fault_for_peer(const Fault& logged, const Error& cause);

}  // namespace roadside::proxy
