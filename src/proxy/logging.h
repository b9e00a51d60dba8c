// What the proxies hand to the message log (messagelog::MessageLog, null on a slim server):
// a signed transport message as it was sent or received, with its X-Road ids.
#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "messagelog/message_log.h"
#include "proxy/transport.h"

namespace roadside::proxy {

struct LogIds {
  std::string query_id;    // SOAP id / X-Road-Id
  std::string request_id;  // X-Road-Request-Id
  XRoadId owner;           // the client at the client proxy, the service provider at the server proxy
  XRoadId provider;        // the service's provider
  bool server_side = false;
};

// The log entry of `m` (request or response): its message part, REST body or SOAP
// attachments (shared, not copied: a spooled one stays in its file) and signature.
messagelog::LogEntry log_entry(const TransportMessage& m, const LogIds& ids, bool response);

// Logs `m` when there is a message log; ok when there is none. A failure is the message's:
// errc of messagelog (timestamping_failed, logging_failed), logged here.
boost::asio::awaitable<Status> log_message(messagelog::MessageLog* log, const TransportMessage& m, const LogIds& ids,
                                           bool response);

}  // namespace roadside::proxy
