// The client proxy's message-log retrieval (X-Road's AsicContainerClientRequestProcessor;
// UG-SIGDOC):
//
//   GET /asic?xRoadInstance=I&memberClass=C&memberCode=M[&subsystemCode=S]&queryId=Q
//            [&requestOnly | &responseOnly][&unique][&force]
//     the signed documents (ASiC-E containers) of query Q that client I/C/M[/S] owns: a zip of
//     .asice files ("<Q>[-request|-response].zip"), or with `unique` and requestOnly or
//     responseOnly the one container itself (application/vnd.etsi.asic-e+zip). `force`
//     time-stamps records that have no time-stamp yet instead of refusing them.
//   GET /verificationconf
//     what X-Road's asicverifier needs to check them (VerificationConfWriter): a zip of
//     verificationconf/<instance>/shared-params.xml and verificationconf/instance-identifier.
//
// Access (X-Road's): the client named must be hosted here and the information system's
// connection must meet that client's connection type (local_client.h); only records the client
// owns (StoredRecord::client) are returned. Work with the database and the containers runs on
// a small pool of its own (two retrievals at once; others wait), never on the proxy's threads;
// a zip of containers goes through a spool file once past 1 MiB, one container in memory at a
// time (limits: messagelog::RetrievalLimits).
//
// Errors are X-Road's: plain text (the message) with an HTTP status, and here the fault code
// in X-Road-Error too:
//   400 server.clientproxy.bad_request   a parameter missing ("Parameter \"queryId\"  must be
//                                        specified."), requestOnly with responseOnly, unique
//                                        without either, an identifier X-Road does not allow
//   401 server.clientproxy.ssl_authentication_failed / unknown_member / server_not_configured
//                                        the access rule above
//   404 server.clientproxy.not_found     "No signed documents found"
//   500 server.clientproxy.internal_error  a record not time-stamped yet ("Message signature has
//                                        not been timestamped yet!"), force failing ("Could not
//                                        create missing timestamp!"), unique with more than one
//                                        match, more records or bytes than the limits, a
//                                        database error
//   500 server.clientproxy.global_conf_outdated  /verificationconf without a valid configuration
// Without a message log (slim), /asic and /verificationconf are not X-Road requests: the answer
// is X-Road's to a GET at its SOAP handler (client.invalid_http_method, a SOAP fault).
#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "messagelog/retrieval.h"
#include "net/http_server.h"
#include "proxy/context.h"

namespace roadside::proxy {

// Whether `target` is /asic or /verificationconf (with or without a query).
bool is_retrieval_target(std::string_view target);

// Answers a GET of a retrieval target itself (success or error). `ctx` and `snap` must
// outlive the call.
boost::asio::awaitable<void> serve_retrieval(net::ServerExchange& ex, const ProxyContext& ctx, const Snapshot& snap,
                                             messagelog::RetrievalLimits limits = {});

}  // namespace roadside::proxy
