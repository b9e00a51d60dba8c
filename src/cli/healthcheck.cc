#include "cli/healthcheck.h"

#include <iostream>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "net/http_client.h"

namespace roadside::cli {

namespace {

boost::asio::awaitable<void> probe(net::HttpClient& client, std::string url,
                                   std::optional<Result<net::ClientResponse>>& out) {
  out.emplace(co_await client.get(std::move(url)));
}

}  // namespace

int healthcheck(const std::string& url, std::chrono::milliseconds timeout) {
  boost::asio::io_context io;
  net::ClientOptions options;
  options.connect_timeout = timeout;
  options.request_timeout = timeout;
  options.max_response_body_bytes = 1 << 20;
  net::HttpClient client(io.get_executor(), options);
  std::optional<Result<net::ClientResponse>> answer;
  boost::asio::co_spawn(io, probe(client, url, answer), boost::asio::detached);
  io.run_for(timeout + std::chrono::seconds(1));
  if (!answer) {
    std::cerr << "roadside: healthcheck: " << url << " did not answer within " << timeout.count() << " ms\n";
    return 1;
  }
  if (!answer->ok()) {
    std::cerr << "roadside: healthcheck: " << url << ": " << answer->error().detail() << "\n";
    return 1;
  }
  const auto status = (*answer)->message.result_int();
  if (status != 200) {
    std::cerr << "roadside: healthcheck: " << url << " answered " << status << ": " << (*answer)->message.body() << "\n";
    return 1;
  }
  std::cout << (*answer)->message.body() << "\n";
  return 0;
}

}  // namespace roadside::cli
