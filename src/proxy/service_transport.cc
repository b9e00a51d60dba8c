#include "proxy/service_transport.h"

namespace roadside::proxy {

namespace asio = boost::asio;

HttpServiceTransport::HttpServiceTransport(asio::io_context& io, std::uint64_t max_message_bytes, std::filesystem::path spool_dir,
                                           std::uint64_t in_memory_limit)
    : io_(io), max_message_bytes_(max_message_bytes), spool_dir_(std::move(spool_dir)), in_memory_limit_(in_memory_limit) {}

net::HttpClient& HttpServiceTransport::client(std::chrono::milliseconds timeout) {
  MutexLock lock(mu_);
  auto& c = clients_[timeout.count()];
  if (!c) {
    net::ClientOptions o;
    o.request_timeout = timeout;
    o.connect_timeout = std::min(timeout, std::chrono::milliseconds(10'000));
    o.max_response_body_bytes = max_message_bytes_;
    c = std::make_unique<net::HttpClient>(io_.get_executor(), o);
  }
  return *c;
}

asio::awaitable<Result<net::ClientResponse>> HttpServiceTransport::request(net::Url url, net::http::request<net::http::string_body> request,
                                                                           std::chrono::milliseconds timeout) {
  co_return co_await client(timeout).request(std::move(url), std::move(request));
}

asio::awaitable<Result<net::ClientResponse>> HttpServiceTransport::send(net::Url url, net::http::request_header<> head,
                                                                        std::vector<net::Payload> body, std::chrono::milliseconds timeout) {
  co_return co_await client(timeout).send(std::move(url), std::move(head), std::move(body), spool_dir_, in_memory_limit_);
}

asio::awaitable<Result<net::ClientResponse>> HttpServiceTransport::get(std::string url, std::chrono::milliseconds timeout) {
  co_return co_await client(timeout).get(std::move(url));
}

}  // namespace roadside::proxy
