// The message log as the proxies see it (X-Road's LogManager.log): before a message is
// taken, check_can_log(); once it is signed and verified, log() writes its record, and only
// when that succeeds does the exchange go on (X-Road's rule: a message that cannot be logged
// fails). A slim server has no message log (the proxies' pointer is null).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "base/identifiers.h"
#include "base/result.h"
#include "messagelog/log_store.h"

namespace roadside::messagelog {

// One message to log, as the proxies have it.
struct LogEntry {
  MessageRecordInput record;  // body_logged is decided by the log's policy
  XRoadId service_provider;   // the subsystem whose service is called (per-subsystem body logging)
  bool server_side = false;   // logged by the server proxy (the producer is local)
  bool rest = false;          // a REST header part and body, else a SOAP message and attachments
};

class MessageLog {
 public:
  virtual ~MessageLog() = default;
  // ok, or why no message is taken now: errc::timestamping_failed (time-stamping has failed
  // for longer than the acceptable period), errc::no_timestamping_provider.
  virtual Status check_can_log() const = 0;
  // Writes the record (the body logging policy, the size limit and sealing applied); ok once
  // it is committed. errc::log_failed or errc::body_too_large otherwise.
  virtual boost::asio::awaitable<Status> log(LogEntry entry) = 0;
};

}  // namespace roadside::messagelog
