#include "proxy/op_monitoring.h"

#include <chrono>
#include <utility>

#include <boost/asio/thread_pool.hpp>

#include "opmon/health.h"
#include "opmon/query.h"
#include "proxy/metaservices.h"
#include "proxy/off_thread.h"

namespace roadside::proxy {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kOperationalData = "getSecurityServerOperationalData";
constexpr std::string_view kHealthData = "getSecurityServerHealthData";

// X-Road's rule (OperationalDataRequestHandler.getClientForFilter): the monitoring client,
// and the owner of the server the request names.
bool privileged(const ProxyContext& ctx, const OpMonitoringRequest& request) {
  if (ctx.monitoring_client) {
    if (auto monitoring = ctx.monitoring_client(); monitoring && *monitoring == request.client) return true;
  }
  return request.security_server && request.security_server->owner_member() == request.client;
}

Result<SoapMessage> health_data(const ProxyContext& ctx, const OpMonitoringRequest& request) {
  ROADSIDE_TRY(std::optional<XRoadId> provider,
               opmon::parse_health_data_request(request.soap, kMaxMonitoringRequestBytes));
  return soap_answer(request.soap, ctx.op_queries.health->response_xml(provider));
}

}  // namespace

bool op_monitoring_served(const ProxyContext& ctx, const Snapshot& snap, const XRoadId& service) {
  if (!ctx.op_queries.open_store || !ctx.op_queries.health || !ctx.monitoring_pool || !snap.conf) return false;
  const auto code = service.service_code();
  return (code == kOperationalData || code == kHealthData) && service.service_provider() == snap.conf->owner;
}

asio::awaitable<Result<SoapMessage>> answer_op_monitoring(const ProxyContext& ctx, const Snapshot& snap,
                                                          OpMonitoringRequest request) {
  if (request.service_code == kHealthData) co_return health_data(ctx, request);

  auto parsed = opmon::parse_operational_data_request(request.soap, kMaxMonitoringRequestBytes);
  if (!parsed.ok()) co_return parsed.error();
  opmon::OperationalDataQuery query;
  query.requester = request.client;
  query.privileged = privileged(ctx, request);
  query.now_s = std::chrono::duration_cast<std::chrono::seconds>(snap.now.time_since_epoch()).count();
  query.offset_s = ctx.op_queries.offset_s;
  query.max_records = ctx.op_queries.max_records;
  // A request that cannot be answered is refused here, before it waits for a thread.
  if (auto st = opmon::check_operational_data_request(*parsed, query); !st.ok()) co_return st.error();
  const auto& open_store = ctx.op_queries.open_store;
  auto read = [&open_store, &parsed, &query]() -> Result<opmon::OperationalDataResponse> {
    ROADSIDE_TRY(std::unique_ptr<opmon::OpStore> store, open_store());
    return opmon::answer_operational_data(*store, *parsed, query);
  };
  auto& taken = query.privileged ? *ctx.monitoring_queries : *ctx.plain_monitoring_queries;
  const int limit = query.privileged ? kMaxMonitoringQueries : kMaxPlainMonitoringQueries;
  auto answer = co_await off_thread_bounded(*ctx.monitoring_pool, taken, limit, "monitoring queries", std::move(read));
  if (!answer.ok()) co_return answer.error();

  auto out = soap_answer(request.soap, answer->body_xml);
  if (!out.ok()) co_return out.error();
  attach(*out,
         {{"Content-Type", std::string(opmon::kPayloadType)},
          {"Content-Transfer-Encoding", "binary"},
          {"Content-ID", "<" + std::string(opmon::kPayloadCid) + ">"}},
         net::Payload(std::move(answer->payload)));
  co_return out;
}

}  // namespace roadside::proxy
