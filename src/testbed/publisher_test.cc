// The configuration publisher, read back by Roadside's own configuration client: the
// version probing, the Version 2 rule, parts under their Content-location, and re-signing
// before expiry.
#include "testbed/publisher.h"

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

#include "globalconf/client.h"
#include "globalconf/parameters.h"
#include "globalconf/verify.h"
#include "support/test_support.h"

namespace roadside::testbed {
namespace {

namespace asio = boost::asio;
using roadside::testing::TempDir;

constexpr std::string_view kShared =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ns2:conf xmlns:ns2=\"http://x-road.eu/xsd/xroad.xsd\"><instanceIdentifier>TB</instanceIdentifier>"
    "<globalSettings><ocspFreshnessSeconds>600</ocspFreshnessSeconds></globalSettings></ns2:conf>\n";
constexpr std::string_view kPrivate =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ns2:conf xmlns:ns2=\"http://x-road.eu/xsd/xroad.xsd\"><instanceIdentifier>TB</instanceIdentifier>"
    "<timeStampingIntervalSeconds>60</timeStampingIntervalSeconds></ns2:conf>\n";

class Publishing : public ::testing::Test {
 protected:
  void SetUp() override { thread_ = std::thread([this] { io_.run(); }); }
  void TearDown() override {
    if (server_) server_->stop_blocking(std::chrono::seconds(1));
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  void start(std::vector<int> versions, std::chrono::seconds validity = std::chrono::hours(1),
             std::chrono::milliseconds tick = std::chrono::seconds(5)) {
    PublisherConfig config{dir_.path() / "public", "TB", std::move(versions), validity,
                           {{"SHARED-PARAMETERS", "shared-params.xml", std::string(kShared)},
                            {"PRIVATE-PARAMETERS", "private-params.xml", std::string(kPrivate)}}};
    publisher_ = std::make_unique<ConfigurationPublisher>(std::move(config), key_, cert_);
    server_ = std::make_unique<PublisherServer>(io_, *publisher_, net::ServerOptions{}, metrics_, tick);
    ASSERT_TRUE(server_->start().ok());
  }
  globalconf::Anchor anchor() const { return {"TB", std::nullopt, {{server_->url(), {cert_}}}}; }
  Result<globalconf::Snapshot> update(globalconf::ConfigurationClient& c) {
    return asio::co_spawn(io_, c.update(), asio::use_future).get();
  }
  Result<net::ClientResponse> get(const std::string& url) { return asio::co_spawn(io_, http_.get(url), asio::use_future).get(); }

  TempDir dir_;
  crypto::PrivateKey key_ = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::Certificate cert_ =
      *crypto::issue_certificate({.common_name = "TB internal signing", .usage = crypto::Usage::ca}, key_, nullptr, key_);
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  std::thread thread_;
  metrics::Registry metrics_;
  net::HttpClient http_{io_.get_executor()};
  std::unique_ptr<ConfigurationPublisher> publisher_;
  std::unique_ptr<PublisherServer> server_;
};

TEST_F(Publishing, EveryVersionVerifiesAndTheClientTakesTheNewest) {
  start({2, 3, 4, 5, 6});
  for (int v = 2; v <= 6; ++v) {
    SCOPED_TRACE(v);
    const auto vdir = dir_.path() / "public" / ("V" + std::to_string(v));
    globalconf::Anchor a = anchor();
    auto checked = globalconf::verify_directory_files_with_anchor(a, vdir / "internalconf", dir_.path() / "public",
                                                                  std::chrono::system_clock::now());
    ASSERT_TRUE(checked.ok()) << checked.error().to_string();
    EXPECT_EQ(checked->directory.version, v);
  }
  globalconf::ConfigurationClient client(http_, anchor(), dir_.path() / "cache");
  auto snap = update(client);
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  EXPECT_EQ(snap->version, 6);
  auto shared = globalconf::SharedParameters::parse(*snap->part("SHARED-PARAMETERS"));
  ASSERT_TRUE(shared.ok()) << shared.error().to_string();
  EXPECT_EQ(shared->instance, "TB");

  // Without a version parameter: Version 2, which has no Version header.
  auto v2 = get(server_->url());
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->message.result_int(), 200);
  EXPECT_EQ(v2->message.body().find("Version:"), std::string::npos);
  auto nine = get(server_->url() + "?version=9");
  ASSERT_TRUE(nine.ok());
  EXPECT_EQ(nine->message.result_int(), 404);
  auto escape = get("http://127.0.0.1:" + std::to_string(server_->port()) + "/V6/../../etc/passwd");
  ASSERT_TRUE(escape.ok());
  EXPECT_EQ(escape->message.result_int(), 404);
}

TEST_F(Publishing, OlderVersionsOnlyMeanTheClientProbesDown) {
  start({2, 3});
  globalconf::ConfigurationClient client(http_, anchor(), dir_.path() / "cache");
  auto snap = update(client);
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  EXPECT_EQ(snap->version, 3);
}

TEST_F(Publishing, SignsAgainBeforeExpiry) {
  start({6}, std::chrono::seconds(2), std::chrono::milliseconds(100));
  globalconf::ConfigurationClient client(http_, anchor(), dir_.path() / "cache");
  auto first = update(client);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (server_->publications() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(server_->publications(), 3u);
  auto later = update(client);
  ASSERT_TRUE(later.ok()) << later.error().to_string();
  EXPECT_GT(later->directory.expires, first->directory.expires);
  // Old generations are cleaned up: this one and the one before it remain.
  std::size_t generations = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path() / "public" / "V6")) generations += e.is_directory();
  EXPECT_LE(generations, 2u);
}

}  // namespace
}  // namespace roadside::testbed
