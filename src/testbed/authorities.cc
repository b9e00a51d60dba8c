#include "testbed/authorities.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "base/errors.h"
#include "base/identifiers.h"
#include "base/log.h"

namespace roadside::testbed {
namespace {

namespace http = boost::beast::http;
constexpr std::size_t kMaxRequestBytes = 64 * 1024;

// Bodies over the limit are the server's to refuse (413, before the handler reads them): a
// limit only read_body_all knew would end the request with a 500.
net::ServerOptions with_body_limit(net::ServerOptions options) {
  options.limits.max_body_bytes = std::min<std::uint64_t>(options.limits.max_body_bytes, kMaxRequestBytes);
  return options;
}

}  // namespace

AuthorityServer::AuthorityServer(boost::asio::io_context& io, TestCa& ca, std::string instance,
                                 net::ServerOptions options, metrics::Registry& metrics,
                                 std::chrono::seconds ocsp_validity)
    : ca_(ca),
      instance_(std::move(instance)),
      signed_(metrics.counter("roadside_testbed_csrs_total", "CSRs the test CA was sent, by outcome",
                              {{"result", "signed"}})),
      refused_(metrics.counter("roadside_testbed_csrs_total", "CSRs the test CA was sent, by outcome",
                               {{"result", "refused"}})),
      ocsp_validity_(ocsp_validity),
      // Serials stay unique across restarts: they start from the time in microseconds.
      tsa_serial_(static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count())),
      server_(
          io, with_body_limit(std::move(options)), [this](net::ServerExchange& ex) { return handle(ex); }, metrics) {}

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
std::string AuthorityServer::sign_url() const {
  return "http://127.0.0.1:" + std::to_string(port()) + "/sign";
}

namespace {

// The usage a /sign query names: exactly "usage=auth" or "usage=sign".
std::optional<trust::CertType> usage_of(std::string_view query) {
  if (query == "usage=auth") return trust::CertType::auth;
  if (query == "usage=sign") return trust::CertType::sign;
  return std::nullopt;
}

}  // namespace

boost::asio::awaitable<void> AuthorityServer::sign(net::ServerExchange& ex, std::string query) {
  auto refuse = [&](std::string why) {
    refused_.inc();
    log::warn("test CA refused a CSR", {{"error", why}});
    return ex.respond(net::make_response(http::status::bad_request, why + "\n", "text/plain"));
  };
  const auto usage = usage_of(query);
  if (!usage) {
    (void)co_await refuse("name the certificate's usage: /sign?usage=auth or /sign?usage=sign");
    co_return;
  }
  auto body = co_await ex.read_body_all(kMaxRequestBytes);
  if (!body.ok()) co_return;  // the server answers 413/408 for body errors
  auto csr = crypto::CertificateRequest::parse(*body);
  if (!csr.ok()) {
    (void)co_await refuse("the body is not a CSR: " + csr.error().detail());
    co_return;
  }
  auto cert = ca_.sign_csr(*csr, *usage, instance_);
  if (!cert.ok()) {
    if (cert.error().code() == base::make_error_code(base::errc::invalid_argument)) {
      (void)co_await refuse(cert.error().detail());
      co_return;
    }
    log::error("test CA cannot sign", {{"error", cert.error().to_string()}});
    (void)co_await ex.respond(
        net::make_response(http::status::internal_server_error, "the CA cannot sign now\n", "text/plain"));
    co_return;
  }
  signed_.inc();
  log::info("test CA signed a CSR", {{"subject", cert->subject()}, {"serial", cert->serial_hex()}});
  (void)co_await ex.respond(net::make_response(http::status::ok, cert->to_der(), "application/pkix-cert"));
}

boost::asio::awaitable<void> AuthorityServer::handle(net::ServerExchange& ex) {
  const std::string target(ex.request().target());
  const auto method = ex.request().method();
  auto reply = [&](http::status status, std::string body, std::string_view type) {
    return ex.respond(net::make_response(status, std::move(body), type));
  };
  if (target == "/sign" || target.rfind("/sign?", 0) == 0) {
    if (method != http::verb::post) {
      (void)co_await reply(http::status::method_not_allowed, "method not allowed\n", "text/plain");
      co_return;
    }
    std::string query = target.size() > 5 ? target.substr(6) : std::string();  // named: GCC 12 and ?: in co_await
    co_await sign(ex, std::move(query));
    co_return;
  }
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
