// How the server proxy reaches the services of the members it hosts. ServiceTransport is the
// seam the server proxy's unit tests fake; HttpServiceTransport is the real one: one HTTP
// client per service timeout (a call that makes no progress for the service's timeout ends),
// connects within min(timeout, 10 s), answers up to the largest message taken.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "base/thread_annotations.h"
#include "net/http_client.h"

namespace roadside::proxy {

class ServiceTransport {
 public:
  virtual ~ServiceTransport() = default;
  // A request whose answer is read into memory (SOAP services).
  virtual boost::asio::awaitable<Result<net::ClientResponse>> request(net::Url url, net::http::request<net::http::string_body> request,
                                                                      std::chrono::milliseconds timeout) = 0;
  // A request whose body is sent from `body`'s pieces; an answer body over the in-memory
  // limit waits in a spool file (REST services).
  virtual boost::asio::awaitable<Result<net::ClientResponse>> send(net::Url url, net::http::request_header<> head,
                                                                   std::vector<net::Payload> body, std::chrono::milliseconds timeout) = 0;
  // A GET (WSDL and OpenAPI descriptions).
  virtual boost::asio::awaitable<Result<net::ClientResponse>> get(std::string url, std::chrono::milliseconds timeout) = 0;
};

class HttpServiceTransport final : public ServiceTransport {
 public:
  // Answer bodies up to `max_message_bytes`; those over `in_memory_limit` wait in `spool_dir`.
  HttpServiceTransport(boost::asio::io_context& io, std::uint64_t max_message_bytes, std::filesystem::path spool_dir,
                       std::uint64_t in_memory_limit);

  boost::asio::awaitable<Result<net::ClientResponse>> request(net::Url url, net::http::request<net::http::string_body> request,
                                                              std::chrono::milliseconds timeout) override;
  boost::asio::awaitable<Result<net::ClientResponse>> send(net::Url url, net::http::request_header<> head, std::vector<net::Payload> body,
                                                           std::chrono::milliseconds timeout) override;
  boost::asio::awaitable<Result<net::ClientResponse>> get(std::string url, std::chrono::milliseconds timeout) override;

 private:
  net::HttpClient& client(std::chrono::milliseconds timeout);

  boost::asio::io_context& io_;
  const std::uint64_t max_message_bytes_;
  const std::filesystem::path spool_dir_;
  const std::uint64_t in_memory_limit_;
  Mutex mu_;
  std::map<std::int64_t, std::unique_ptr<net::HttpClient>> clients_ GUARDED_BY(mu_);  // by timeout (ms)
};

}  // namespace roadside::proxy
