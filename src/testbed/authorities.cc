#include "testbed/authorities.h"

#include "base/identifiers.h"
#include "base/log.h"

namespace roadside::testbed {
namespace {

namespace http = boost::beast::http;
constexpr std::size_t kMaxRequestBytes = 64 * 1024;

}  // namespace

AuthorityServer::AuthorityServer(boost::asio::io_context& io, TestCa& ca, net::ServerOptions options,
                                 metrics::Registry& metrics, std::chrono::seconds ocsp_validity)
    : ca_(ca),
      ocsp_validity_(ocsp_validity),
      // Serials stay unique across restarts: they start from the time in microseconds.
      tsa_serial_(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count())),
      server_(
          io, std::move(options), [this](net::ServerExchange& ex) { return handle(ex); }, metrics) {}

Status AuthorityServer::start() {
  return server_.start();
}
void AuthorityServer::stop_blocking(std::chrono::milliseconds grace) {
  server_.stop_blocking(grace);
}
unsigned short AuthorityServer::port() const {
  return server_.port();
}
std::string AuthorityServer::ocsp_url() const {
  return "http://127.0.0.1:" + std::to_string(port()) + "/ocsp";
}
std::string AuthorityServer::tsa_url() const {
  return "http://127.0.0.1:" + std::to_string(port()) + "/tsa";
}

boost::asio::awaitable<void> AuthorityServer::handle(net::ServerExchange& ex) {
  const std::string target(ex.request().target());
  const auto method = ex.request().method();
  auto reply = [&](http::status status, std::string body, std::string_view type) {
    return ex.respond(net::make_response(status, std::move(body), type));
  };
  const bool ocsp_get = target.rfind("/ocsp/", 0) == 0;
  if (target != "/ocsp" && target != "/tsa" && !ocsp_get) {
    (void)co_await reply(http::status::not_found, "not found\n", "text/plain");
    co_return;
  }
  if ((ocsp_get && method != http::verb::get) || (!ocsp_get && method != http::verb::post)) {
    (void)co_await reply(http::status::method_not_allowed, "method not allowed\n", "text/plain");
    co_return;
  }
  std::string request;
  if (ocsp_get) {
    auto decoded = percent_decode(target.substr(6));
    auto der = decoded.ok() ? crypto::base64_decode(*decoded) : Result<std::string>(decoded.error());
    if (!der.ok()) {
      (void)co_await reply(http::status::bad_request, "the path is not a base64 OCSP request\n", "text/plain");
      co_return;
    }
    request = std::move(der).value();
  } else {
    auto body = co_await ex.read_body_all(kMaxRequestBytes);
    if (!body.ok()) co_return;  // the server answers 413/408 for body errors
    request = std::move(body).value();
  }
  const auto now = std::chrono::system_clock::now();
  if (target == "/tsa") {
    auto resp = make_timestamp_response(request, ca_.tsa(), ca_.tsa_key(), tsa_serial_++, now);
    if (!resp.ok()) {
      log::error("time-stamp response failed", {{"error", resp.error().to_string()}});
      (void)co_await reply(http::status::internal_server_error, "time-stamping failed\n", "text/plain");
      co_return;
    }
    (void)co_await reply(http::status::ok, std::move(resp).value(), "application/timestamp-reply");
    co_return;
  }
  auto resp = make_ocsp_response(
      request, [this](const std::string& serial) { return ca_.status(serial); }, ca_.ocsp_key(), now, ocsp_validity_);
  if (!resp.ok()) {
    log::error("OCSP response failed", {{"error", resp.error().to_string()}});
    (void)co_await reply(http::status::internal_server_error, "OCSP response failed\n", "text/plain");
    co_return;
  }
  (void)co_await reply(http::status::ok, std::move(resp).value(), "application/ocsp-response");
}

}  // namespace roadside::testbed
