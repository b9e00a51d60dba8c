#include "proxy/ocsp_responder.h"

#include "base/random.h"
#include "crypto/crypto.h"
#include "proxy/rest.h"

namespace roadside::proxy {

namespace asio = boost::asio;
namespace http = boost::beast::http;

net::Handler make_ocsp_responder(signer::OcspCache& cache) {
  return [&cache](net::ServerExchange& ex) -> asio::awaitable<void> {
    const auto& req = ex.request();
    if (req.method() == http::verb::head) {
      (void)co_await ex.respond(net::make_response(http::status::ok, "", "text/plain", req.version()));
      co_return;
    }
    if (req.method() != http::verb::get) {
      (void)co_await ex.respond(net::make_response(http::status::method_not_allowed, "GET or HEAD\n", "text/plain", req.version()));
      co_return;
    }
    const std::string target(req.target());
    const auto q = target.find('?');
    std::vector<std::string> hashes = query_params(q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1), "cert");
    if (hashes.empty() || hashes.size() > 100) {
      (void)co_await ex.respond(net::make_response(http::status::bad_request, "name 1 to 100 certificates: ?cert=<sha1 hex>\n", "text/plain", req.version()));
      co_return;
    }
    const std::string boundary = "xtop" + crypto::to_hex(Random::system().bytes(12));
    std::string body;
    for (auto& h : hashes) {
      for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto der = cache.get_by_hash(h);
      if (!der) {
        (void)co_await ex.respond(net::make_response(http::status::internal_server_error, "no OCSP response for certificate " + h + "\n",
                                               "text/plain", req.version()));
        co_return;
      }
      body += "--" + boundary + "\r\ncontent-type: application/ocsp-response\r\n\r\n" + *der + "\r\n";
    }
    body += "--" + boundary + "--\r\n";
    (void)co_await ex.respond(net::make_response(
        http::status::ok, std::move(body),
        "multipart/related; type=\"application/ocsp-response\"; charset=UTF-8; boundary=" + boundary, req.version()));
  };
}

}  // namespace roadside::proxy
