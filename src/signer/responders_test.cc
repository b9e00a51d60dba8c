// OCSP and time-stamp requests over HTTP to responders Roadside did not write: OpenSSL's
// `ocsp` and `ts` commands behind a small HTTP front, which also records what was sent.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

#include <thread>

#include "base/thread_annotations.h"
#include "messagelog/timestamper.h"
#include "net/http_server.h"
#include "signer/ocsp.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::signer {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using roadside::testing::TempDir;

struct Pki {
  crypto::PrivateKey ca_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::Certificate ca = *crypto::issue_certificate({.common_name = "Test CA", .usage = crypto::Usage::ca}, ca_key, nullptr, ca_key);
  crypto::PrivateKey ocsp_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::Certificate ocsp = *crypto::issue_certificate({.common_name = "Test OCSP", .usage = crypto::Usage::ocsp_signing},
                                                        ocsp_key, &ca, ca_key);
  crypto::PrivateKey tsa_key = *crypto::PrivateKey::generate(crypto::KeyType::rsa2048);
  crypto::Certificate tsa = *crypto::issue_certificate({.common_name = "Test TSA", .usage = crypto::Usage::timestamping},
                                                       tsa_key, &ca, ca_key);
  crypto::PrivateKey member_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::Certificate member = *crypto::issue_certificate({.common_name = "1234", .usage = crypto::Usage::signing},
                                                          member_key, &ca, ca_key);
};

// /ocsp answers with `openssl ocsp`, /tsa with `openssl ts -reply`, anything else 404.
class Responders {
 public:
  Responders(asio::io_context& io, const Pki& pki)
      : pki_(pki), server_(io, net::ServerOptions{}, [this](net::ServerExchange& ex) { return handle(ex); }, metrics_) {
    EXPECT_TRUE(server_.start().ok());
  }
  ~Responders() { server_.stop_blocking(std::chrono::seconds(1)); }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(server_.port()) + path; }
  std::string content_type() {
    MutexLock lock(mu_);
    return content_type_;
  }

 private:
  asio::awaitable<void> handle(net::ServerExchange& ex) {
    const std::string target(ex.request().target());
    {
      MutexLock lock(mu_);
      content_type_ = std::string(ex.request()[http::field::content_type]);
    }
    auto body = co_await ex.read_body_all(1 << 20);
    std::string reply;
    std::string type;
    if (target == "/ocsp" && body.ok()) {
      reply = roadside::testing::openssl_ocsp_respond(
          dir_, {pki_.ca.to_pem(), pki_.ocsp.to_pem(), pki_.ocsp_key.to_pem(), roadside::testing::ocsp_index_valid(pki_.member.serial_hex())},
          *body);
      type = "application/ocsp-response";
    } else if (target == "/tsa" && body.ok()) {
      reply = roadside::testing::openssl_ts_reply(dir_, pki_.tsa.to_pem(), pki_.tsa_key.to_pem(), *body);
      type = "application/timestamp-reply";
    } else if (target == "/garbage") {
      reply = "<html>not a responder</html>";
      type = "text/html";
    }
    if (reply.empty()) {
      (void)co_await ex.respond(net::make_response(http::status::not_found, "not found"));
      co_return;
    }
    (void)co_await ex.respond(net::make_response(http::status::ok, reply, type));
  }

  const Pki& pki_;
  TempDir dir_;
  metrics::Registry metrics_;
  Mutex mu_;
  std::string content_type_ GUARDED_BY(mu_);
  net::HttpServer server_;
};

class OverHttp : public ::testing::Test {
 protected:
  void SetUp() override { thread_ = std::thread([this] { io_.run(); }); }
  void TearDown() override {
    responders_.reset();
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  template <typename T>
  T run(asio::awaitable<T> a) {
    return asio::co_spawn(io_, std::move(a), asio::use_future).get();
  }
  static const Pki& pki() {
    static const Pki p;
    return p;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  std::thread thread_;
  std::unique_ptr<Responders> responders_ = std::make_unique<Responders>(io_, pki());
  net::HttpClient http_{io_.get_executor()};
};

TEST_F(OverHttp, OcspResponseFetchedVerifiedAndCached) {
  auto der = run(fetch_ocsp_response(http_, responders_->url("/ocsp"), pki().member, pki().ca));
  ASSERT_TRUE(der.ok()) << der.error().to_string();
  EXPECT_EQ(responders_->content_type(), "application/ocsp-request");
  crypto::OcspCheck check;
  check.now = std::chrono::system_clock::now();
  auto status = crypto::verify_ocsp_response(*der, pki().member, pki().ca, check);
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  EXPECT_EQ(status->status, crypto::CertStatus::good);

  TempDir dir;
  {
    OcspCache cache(dir.path() / "ocsp");
    EXPECT_FALSE(cache.get(pki().member).has_value());
    ASSERT_TRUE(cache.put(pki().member, *der).ok());
  }
  // A new process finds it on disk.
  OcspCache restarted(dir.path() / "ocsp");
  EXPECT_EQ(restarted.load(), 1u);
  ASSERT_TRUE(restarted.get(pki().member).has_value());
  EXPECT_EQ(*restarted.get(pki().member), *der);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "ocsp" / (pki().member.sha1_hex() + ".ocsp")));

  auto missing = run(fetch_ocsp_response(http_, responders_->url("/nothing"), pki().member, pki().ca));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().fault_code(), "incorrect_validation_info");
}

TEST_F(OverHttp, TimestampRequestedAndVerifiedAgainstApprovedTsas) {
  const std::string data = "<ts-hashchainresult/>";
  auto ts = run(messagelog::request_timestamp(http_, responders_->url("/tsa"), data, {pki().tsa}));
  ASSERT_TRUE(ts.ok()) << ts.error().to_string();
  EXPECT_EQ(responders_->content_type(), "application/timestamp-query");
  EXPECT_EQ(ts->info.tsa_subject, pki().tsa.subject());
  EXPECT_TRUE(crypto::verify_timestamp_token(ts->token, data, {pki().tsa}).ok());

  // A TSA that is not approved, and a server that is no TSA at all.
  auto unapproved = run(messagelog::request_timestamp(http_, responders_->url("/tsa"), data, {pki().ocsp}));
  EXPECT_FALSE(unapproved.ok());
  auto garbage = run(messagelog::request_timestamp(http_, responders_->url("/garbage"), data, {pki().tsa}));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().fault_code(), "incorrect_validation_info");
}

}  // namespace
}  // namespace roadside::signer
