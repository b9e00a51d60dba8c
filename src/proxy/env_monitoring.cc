#include "proxy/env_monitoring.h"

#include <boost/asio/thread_pool.hpp>

#include "envmon/request.h"
#include "envmon/response.h"
#include "proxy/errors.h"
#include "proxy/metaservices.h"
#include "proxy/off_thread.h"

namespace roadside::proxy {
namespace {

namespace asio = boost::asio;

// X-Road's ServiceId.create(owner, "getSecurityServerMetrics").
Result<XRoadId> owners_service(const XRoadId& owner) {
  return XRoadId::service(owner.instance(), owner.member_class(), owner.member_code(), "", envmon::kServiceCode, "");
}

}  // namespace

bool env_monitoring_served(const ProxyContext& ctx, const Snapshot& snap, const XRoadId& service) {
  if (!ctx.env_monitoring.collect || !ctx.monitoring_pool || !snap.conf) return false;
  auto owners = owners_service(snap.conf->owner);
  return owners.ok() && *owners == service;
}

asio::awaitable<Result<SoapMessage>> answer_env_monitoring(const ProxyContext& ctx, const Snapshot& snap,
                                                           std::string_view soap, XRoadId client) {
  const XRoadId& owner = snap.conf->owner;
  const bool is_owner = client == owner;
  std::optional<XRoadId> monitoring = ctx.monitoring_client ? ctx.monitoring_client() : std::nullopt;
  if (!is_owner && !(monitoring && *monitoring == client)) {
    co_return Error(make_error_code(errc::access_denied),
                    "Request is not allowed: " + owners_service(owner)->to_string());
  }
  auto request = envmon::parse_metrics_request(soap, kMaxMonitoringRequestBytes);
  if (!request.ok()) co_return request.error();
  const auto& collect = ctx.env_monitoring.collect;
  auto read = [&collect]() -> Result<envmon::Snapshot> { return collect(); };
  auto host = co_await off_thread_bounded(*ctx.monitoring_pool, *ctx.monitoring_queries, kMaxMonitoringQueries,
                                          "monitoring queries", std::move(read));
  if (!host.ok()) co_return host.error();
  const bool limited = ctx.env_monitoring.limit_remote_data_set && !is_owner;
  co_return soap_answer(
      soap, envmon::response_xml(*host, snap.conf->server_id(), ctx.env_monitoring.proxy_version, *request, limited));
}

}  // namespace roadside::proxy
