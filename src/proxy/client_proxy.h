// The client proxy (ports 8080/8443): takes requests from information systems and sends them
// to the provider's Security Server. Its data path for a REST request (/r1/...):
//   the service from the path, the client from X-Road-Client -> the client is hosted here and
//   its IS connected as its mode demands (NOAUTH, SSLNOAUTH, SSLAUTH) -> a valid global
//   configuration -> the provider's servers (not in maintenance): the one that accepted a TCP
//   connection first (fastest connect, remembered for an hour), then the others in turn; or
//   the one server X-Road-Security-Server (SOAP: the securityServer header) names, alone, if
//   it hosts the provider (else server.clientproxy.invalid_security_server)
//   -> the REST header part (X-Road-Id, X-Road-Request-Id added) and body, signed for the
//   client's member by the batch signer -> logged (the message log, when there is one: a
//   message that cannot be logged, or time-stamping failed too long, fails) -> mutual TLS on the authentication key, the peer's
//   certificate registered for a server hosting the provider, chained to an approved CA,
//   valid, and good by an OCSP response its server serves (PeerTrust); a failure to connect
//   moves on to the next server, any later failure does not (a request is never sent twice)
//   -> the response: signed by the provider, X-Road-Request-Hash matches, logged -> to the IS.
// Errors go to the IS as REST error JSON/XML with X-Road-Error (client.* 400, server.* 500).
// GET /listClients answers with the instance's members and subsystems; GET /asic and
// /verificationconf are the message log's retrieval (asic_handler.h).
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "base/thread_annotations.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "proxy/context.h"
#include "proxy/transport.h"
#include "tracing/trace.h"

namespace roadside::proxy {

class ClientProxy {
 public:
  ClientProxy(boost::asio::io_context& io, ProxyContext ctx);
  boost::asio::awaitable<void> handle(net::ServerExchange& ex);

 private:
  // What the provider's server answered: a verified message, or a fault it sent.
  struct PeerAnswer {
    std::optional<Fault> fault;
    TransportMessage message;
    std::string original_content_type;  // x-original-content-type (SOAP)
  };
  // Signs `request` for `client`, logs it (the message log, when there is one), sends it to a server of `provider` (to `target_server` alone
  // when the request names one) and verifies the answer.
  // (Pointer parameters: coroutine parameters are copied; `snap` lives in handle()'s frame.)
  // `op` gets the times the request went out and the answer came back, and the server asked.
  boost::asio::awaitable<Result<PeerAnswer>> exchange(const Snapshot* snap, TransportMessage request, XRoadId client, XRoadId provider,
                                                      std::optional<XRoadId> target_server, std::string request_id,
                                                      std::string query_id, HeaderList http_headers, opmon::OpRecord* op);
  // exchange()'s steps between its suspensions.
  // The client's signing key and what it signs of `request`; `request` gains the OCSP response
  // of this server's authentication certificate.
  struct ToSign {
    std::shared_ptr<const signer::OpenKey> key;
    signer::MessageParts parts;
  };
  Result<ToSign> to_sign(const Snapshot& snap, const XRoadId& client, TransportMessage& request) const;
  // The verified answer of `contacted` (the server last asked, null when none was), or what
  // went wrong: `answer` is what sending gave.
  Result<PeerAnswer> read_answer(const Snapshot& snap, const XRoadId& provider,
                                 const globalconf::SecurityServer* contacted, Result<net::ClientResponse> answer) const;
  // The provider's servers that are not in maintenance, the fastest to connect first, and the
  // key its fastest one is remembered under (empty for a single server). With `target_server`
  // (X-Road's security server targeting: SOAP securityServer, REST X-Road-Security-Server) that
  // server alone, if it hosts the provider and is not in maintenance:
  // errc::invalid_security_server or errc::maintenance_mode otherwise.
  struct Servers {
    std::vector<const globalconf::SecurityServer*> list;
    std::string fastest_key;
  };
  boost::asio::awaitable<Result<Servers>> servers_of(const Snapshot* snap, XRoadId provider, std::optional<XRoadId> target_server);
  // A response for the IS, and whether it carries a fault (the provider's or the service's).
  struct Answer {
    Reply response;
    bool fault = false;
  };
  // Each fills in `op`, the message's operational data, as it learns it, and sends the
  // provider's server `trace` (this server's span) as traceparent.
  boost::asio::awaitable<Result<Answer>> process_rest(net::ServerExchange& ex, const Snapshot* snap, opmon::OpRecord* op,
                                                      const tracing::TraceContext* trace);
  boost::asio::awaitable<Result<Answer>> process_soap(net::ServerExchange& ex, const Snapshot* snap, opmon::OpRecord* op,
                                                      const tracing::TraceContext* trace);
  Result<net::StringResponse> list_clients(net::ServerExchange& ex, const Snapshot& snap);

  // X-Road's fastest connect: the address that answered first among a set of servers,
  // remembered for an hour.
  std::optional<std::string> fastest_server(const std::string& key);
  void remember_fastest(const std::string& key, const std::string& address);
  void forget_fastest(const std::string& key);

  ProxyContext ctx_;
  Mutex mu_;
  std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>> fastest_ GUARDED_BY(mu_);
  metrics::Counter& ok_;
  metrics::Counter& failed_;
};

}  // namespace roadside::proxy
