#include "testbed/central.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "base/log.h"
#include "management/signed_request.h"

namespace roadside::testbed {
namespace {

namespace http = boost::beast::http;

constexpr std::string_view kDirectPath = "/managementservice/";
constexpr std::string_view kManagePath = "/managementservice/manage/";

// Bodies over the limit are the server's to refuse (413) before the handler reads them.
net::ServerOptions with_body_limit(net::ServerOptions options) {
  options.limits.max_body_bytes = std::min<std::uint64_t>(options.limits.max_body_bytes, management::kMaxRequestBytes);
  return options;
}

}  // namespace

ManagementServer::ManagementServer(boost::asio::io_context& io, ManagementDesk& desk, net::ServerOptions https,
                                   net::ServerOptions http, metrics::Registry& metrics)
    : desk_(desk),
      accepted_(metrics.counter("roadside_testbed_management_requests_total",
                                "Management requests the test Central Server was sent, by outcome",
                                {{"result", "accepted"}})),
      refused_(metrics.counter("roadside_testbed_management_requests_total",
                               "Management requests the test Central Server was sent, by outcome",
                               {{"result", "refused"}})),
      https_(
          io, with_body_limit(std::move(https)), [this](net::ServerExchange& ex) { return handle(ex, true); }, metrics),
      http_(
          io, with_body_limit(std::move(http)), [this](net::ServerExchange& ex) { return handle(ex, false); },
          metrics) {}

Status ManagementServer::start() {
  ROADSIDE_TRY_STATUS(https_.start());
  return http_.start();
}

void ManagementServer::stop_blocking(std::chrono::milliseconds grace) {
  http_.stop_blocking(grace);
  https_.stop_blocking(grace);
}

boost::asio::awaitable<void> ManagementServer::handle(net::ServerExchange& ex, bool tls) {
  const std::string target(ex.request().target());
  const bool direct = tls && target == kDirectPath;
  if (!direct && target != kManagePath) {
    (void)co_await ex.respond(net::make_response(http::status::not_found, "not found\n", "text/plain"));
    co_return;
  }
  if (ex.request().method() != http::verb::post) {
    (void)co_await ex.respond(
        net::make_response(http::status::method_not_allowed, "method not allowed\n", "text/plain"));
    co_return;
  }
  auto body = co_await ex.read_body_all(management::kMaxRequestBytes);
  if (!body.ok()) co_return;  // the server answers 413/408 for body errors
  const std::string content_type(ex.request()[http::field::content_type]);
  ManagementAnswer answer = desk_.handle(content_type, *body, direct);
  (answer.status == 200 ? accepted_ : refused_).inc();
  auto response =
      net::make_response(static_cast<http::status>(answer.status), std::move(answer.body), answer.content_type);
  (void)co_await ex.respond(std::move(response));
}

}  // namespace roadside::testbed
