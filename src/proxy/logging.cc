#include "proxy/logging.h"

#include "base/log.h"

namespace roadside::proxy {

messagelog::LogEntry log_entry(const TransportMessage& m, const LogIds& ids, bool response) {
  messagelog::LogEntry e;
  e.record.query_id = ids.query_id;
  e.record.x_request_id = ids.request_id;
  e.record.response = response;
  e.record.client = ids.owner;
  e.record.message = m.message;
  if (m.body) e.record.attachments.push_back(*m.body);
  for (const auto& a : m.attachments) e.record.attachments.push_back(a.body);
  e.record.signature = m.signature.signature;
  e.record.hash_chain_result = m.signature.hash_chain_result;
  e.record.hash_chain = m.signature.hash_chain;
  e.service_provider = ids.provider;
  e.server_side = ids.server_side;
  const auto type = mime_type_of(m.message_type);
  e.rest = type == kRestRequestType || type == kRestResponseType;
  return e;
}

boost::asio::awaitable<Status> log_message(messagelog::MessageLog* log, const TransportMessage& m, const LogIds& ids,
                                           bool response) {
  if (!log) co_return Status{};
  auto st = co_await log->log(log_entry(m, ids, response));
  if (!st.ok()) {
    log::error("message not logged: the message fails",
               {{"query_id", ids.query_id}, {"response", response}, {"error", st.error().to_string()}});
  }
  co_return st;
}

}  // namespace roadside::proxy
