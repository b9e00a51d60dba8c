// An HTTPS service on its own thread, for tests of calls to services over TLS: it asks for a
// client certificate (optional), remembers the one each request came with, reads the body
// and answers 200 with what `answer` makes of the request target. Header-only: the including
// test links roadside::net.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "metrics/metrics.h"
#include "net/http_server.h"
#include "net/tls.h"

namespace roadside::testing {

class HttpsService {
 public:
  using Answer = std::function<std::string(const std::string& target)>;

  // `policy` empty: OpenSSL's defaults, as a service would have.
  HttpsService(std::string cert_pem, std::string key_pem, net::TlsPolicy policy = {},
               Answer answer = [](const std::string& target) { return "served " + target; },
               std::string content_type = "text/plain")
      : guard_(io_.get_executor()), answer_(std::move(answer)), content_type_(std::move(content_type)) {
    net::ServerOptions o;
    o.name = "https_service";
    net::TlsServerConfig tls;
    tls.cert_chain_pem = std::move(cert_pem);
    tls.key_pem = std::move(key_pem);
    tls.client_auth = net::ClientAuth::optional;
    tls.policy = std::move(policy);
    o.tls = tls;
    server_ = std::make_unique<net::HttpServer>(
        io_, o, [this](net::ServerExchange& ex) -> boost::asio::awaitable<void> {
          {
            std::lock_guard lock(mu_);
            client_leaf_ = ex.peer().chain.empty() ? "" : ex.peer().chain.front();
          }
          ++requests_;
          (void)co_await ex.read_body_all();  // as a service does: an unread body would end the keep-alive
          (void)co_await ex.respond(net::make_response(boost::beast::http::status::ok, answer_(std::string(ex.request().target())), content_type_));
        },
        metrics_);
    EXPECT_TRUE(server_->start().ok());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~HttpsService() {
    server_->stop_blocking(std::chrono::seconds(1));
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  HttpsService(const HttpsService&) = delete;
  HttpsService& operator=(const HttpsService&) = delete;

  std::string url(const std::string& path = "") const { return "https://127.0.0.1:" + std::to_string(server_->port()) + path; }
  int requests() const { return requests_; }
  // The DER of the client certificate the last request came with ("" for none).
  std::string client_leaf() const {
    std::lock_guard lock(mu_);
    return client_leaf_;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  metrics::Registry metrics_;
  const Answer answer_;
  const std::string content_type_;
  std::unique_ptr<net::HttpServer> server_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::string client_leaf_;
  std::atomic<int> requests_{0};
};

}  // namespace roadside::testing
