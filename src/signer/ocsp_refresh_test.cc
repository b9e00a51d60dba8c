// Issue 13, item 15: what a refresh of this server's own OCSP responses keeps. A responder's
// "revoked" replaces a cached "good" response at once, even one that is still fresh.
#include <atomic>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "crypto/test_pki.h"
#include "net/http_server.h"
#include "signer/ocsp.h"
#include "testbed/authority.h"

namespace roadside::signer {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace std::chrono_literals;

const roadside::testing::TestPki& pki() {
  return roadside::testing::test_pki();
}

// The CA's OCSP responder (its delegated responder certificate), answering `status`.
class Responder {
 public:
  explicit Responder(asio::io_context& io)
      : server_(
            io, net::ServerOptions{}, [this](net::ServerExchange& ex) { return handle(ex); }, metrics_) {
    EXPECT_TRUE(server_.start().ok());
  }
  ~Responder() { server_.stop_blocking(1s); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/ocsp"; }
  std::atomic<crypto::CertStatus> status{crypto::CertStatus::good};

 private:
  asio::awaitable<void> handle(net::ServerExchange& ex) {
    auto request = co_await ex.read_body_all(1 << 16);
    const crypto::CertStatus answer = status.load();
    auto lookup = [answer](const std::string&) -> std::optional<testbed::OcspAnswer> {
      return testbed::OcspAnswer{answer, std::chrono::system_clock::now() - 1h};
    };
    const testbed::OcspResponderKey key{pki().ca, pki().ocsp, pki().ocsp_key};
    const std::string asked = request.ok() ? *request : std::string();
    auto der = testbed::make_ocsp_response(asked, lookup, key, std::chrono::system_clock::now(), 1h);
    // Named first: GCC 12 destroys a ?: temporary inside a co_await expression twice.
    auto reply = net::make_response(http::status::ok, der.ok() ? *der : std::string(), "application/ocsp-response");
    (void)co_await ex.respond(std::move(reply));
  }

  metrics::Registry metrics_;
  net::HttpServer server_;
};

class OcspRevokedReplacesGood : public ::testing::Test {
 protected:
  OcspRevokedReplacesGood() : thread_([this] { io_.run(); }) {
    auto shared = std::make_shared<globalconf::SharedParameters>();
    shared->instance = "DEV";
    shared->ocsp_freshness_seconds = 3600;
    shared->approved_cas.push_back({"Test CA", false, {pki().ca, {{responder_->url(), pki().ocsp, "FREE"}}}, {}, ""});
    shared_ = shared;
  }
  ~OcspRevokedReplacesGood() override {
    responder_.reset();
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  // A good response the responder made `age` ago, as if fetched then.
  std::string good_response_made(std::chrono::seconds age) {
    auto request = crypto::make_ocsp_request(pki().good, pki().ca);
    auto good = [](const std::string&) -> std::optional<testbed::OcspAnswer> {
      return testbed::OcspAnswer{crypto::CertStatus::good, {}};
    };
    return *testbed::make_ocsp_response(*request, good, {pki().ca, pki().ocsp, pki().ocsp_key},
                                        std::chrono::system_clock::now() - age, 2h);
  }
  Status refresh() {
    std::vector<crypto::Certificate> own{pki().good};
    return asio::co_spawn(io_, manager_.refresh(std::move(own), shared_), asio::use_future).get();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  std::unique_ptr<Responder> responder_ = std::make_unique<Responder>(io_);
  std::thread thread_;
  net::HttpClient http_{io_.get_executor()};
  OcspCache cache_{""};
  OcspManager manager_{http_, cache_};
  std::shared_ptr<const globalconf::SharedParameters> shared_;
};

TEST_F(OcspRevokedReplacesGood, ARevokedAnswerReplacesAFreshGoodResponseAtOnce) {
  // A good response 40 minutes old: still fresh (3600 s), past half of it, so the refresh asks.
  const std::string good = good_response_made(40min);
  ASSERT_TRUE(cache_.put(pki().good, good).ok());
  ASSERT_TRUE(manager_.fresh_response(pki().good, shared_, std::chrono::system_clock::now()).ok());

  responder_->status = crypto::CertStatus::revoked;
  const Status st = refresh();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().fault_code(), "cert_validation") << st.error().detail();

  // The revoked response is what the cache holds (and what port 5577 serves) ...
  ASSERT_TRUE(cache_.get(pki().good).has_value());
  EXPECT_NE(*cache_.get(pki().good), good);
  // ... and nothing is signed with the certificate any more.
  auto fresh = manager_.fresh_response(pki().good, shared_, std::chrono::system_clock::now());
  ASSERT_FALSE(fresh.ok());
  EXPECT_EQ(fresh.error().fault_code(), "cert_validation");
  EXPECT_NE(fresh.error().detail().find("revoked"), std::string::npos) << fresh.error().detail();
}

TEST_F(OcspRevokedReplacesGood, ARevokedAnswerIsNotOverruledByAnotherResponder) {
  // Two responders for the CA: the first says revoked, the second (same keys) good. X-Road
  // takes the first valid answer; a good one from further down the list must not win.
  auto second = std::make_unique<Responder>(io_);
  second->status = crypto::CertStatus::good;
  responder_->status = crypto::CertStatus::revoked;
  auto shared = std::make_shared<globalconf::SharedParameters>(*shared_);
  shared->approved_cas[0].top.ocsp.push_back({second->url(), pki().ocsp, "FREE"});
  shared_ = shared;
  EXPECT_FALSE(refresh().ok());
  auto fresh = manager_.fresh_response(pki().good, shared_, std::chrono::system_clock::now());
  ASSERT_FALSE(fresh.ok());
  EXPECT_EQ(fresh.error().fault_code(), "cert_validation");
  second.reset();
}

TEST_F(OcspRevokedReplacesGood, AGoodAnswerIsStillTaken) {
  ASSERT_TRUE(refresh().ok());
  ASSERT_TRUE(manager_.fresh_response(pki().good, shared_, std::chrono::system_clock::now()).ok());
}

}  // namespace
}  // namespace roadside::signer
