// What the admin module's tests share: running a request through an Api, and a certificate a
// throwaway CA issues for a token's CSR.
#pragma once

#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "admin/api.h"
#include "crypto/csr.h"

namespace roadside::admin::test_support {

// Runs `request` through `api` to completion on a private io_context.
inline Response run(const Api& api, Request request) {
  boost::asio::io_context io;
  auto future = boost::asio::co_spawn(
      io, [&]() -> asio::awaitable<Response> { co_return co_await api.handle(request); }, boost::asio::use_future);
  io.run();
  return future.get();
}

// A certificate for the public key of the CSR `csr_der`, issued by a CA made for it.
inline Result<crypto::Certificate> issue_for_csr(std::string_view csr_der, std::string common_name,
                                                 crypto::Usage usage) {
  ROADSIDE_TRY(auto request, crypto::CertificateRequest::from_der(csr_der));
  ROADSIDE_TRY(auto ca_key, crypto::PrivateKey::generate(crypto::KeyType::ec_p256));
  ROADSIDE_TRY(auto ca,
               crypto::issue_certificate({.common_name = "CA", .usage = crypto::Usage::ca}, ca_key, nullptr, ca_key));
  return crypto::issue_certificate_for_public_key({.common_name = std::move(common_name), .usage = usage},
                                                  request.public_key_der(), ca, ca_key);
}

}  // namespace roadside::admin::test_support
