// The configuration client against a real HTTP server publishing X-Road's V6 DEV directory.
#include "globalconf/client.h"

#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "globalconf/parameters.h"
#include "net/http_server.h"
#include "support/test_support.h"
#include "testbed/publish.h"

namespace roadside::globalconf {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using roadside::testing::read_file;
using roadside::testing::TempDir;
using testbed::build_signed_directory;
using testbed::DirectorySpec;
using testbed::PublishedPart;

// A stand-in central server: /internalconf?version=N and the parts under /V6/.
class CentralServer {
 public:
  CentralServer(asio::io_context& io, std::filesystem::path public_dir, std::set<int> versions)
      : public_(std::move(public_dir)),
        versions_(std::move(versions)),
        server_(
            io, options(), [this](net::ServerExchange& ex) { return handle(ex); }, metrics_) {
    EXPECT_TRUE(server_.start().ok());
  }
  ~CentralServer() { server_.stop_blocking(std::chrono::seconds(1)); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()) + "/internalconf"; }
  int hits(const std::string& target) {
    std::lock_guard lock(mu_);
    return hits_[target];
  }
  void override_body(const std::string& target, std::string body) {
    std::lock_guard lock(mu_);
    overrides_[target] = std::move(body);
  }

 private:
  static net::ServerOptions options() {
    net::ServerOptions o;
    o.name = "cs";
    return o;
  }

  asio::awaitable<void> handle(net::ServerExchange& ex) {
    const std::string target(ex.request().target());
    std::optional<std::string> body;
    {
      std::lock_guard lock(mu_);
      ++hits_[target];
      if (auto it = overrides_.find(target); it != overrides_.end()) body = it->second;
    }
    if (!body) {
      if (target.rfind("/internalconf?version=", 0) == 0) {
        const int v = std::stoi(target.substr(22));
        if (versions_.count(v)) body = read_file(public_ / "V6" / "internalconf");
      } else if (target.rfind("/V6/", 0) == 0 && target.find("..") == std::string::npos) {
        if (std::filesystem::exists(public_ / target.substr(1))) body = read_file(public_ / target.substr(1));
      }
    }
    if (!body) {
      (void)co_await ex.respond(net::make_response(http::status::not_found, "not found"));
      co_return;
    }
    (void)co_await ex.respond(net::make_response(http::status::ok, *body, "application/octet-stream"));
  }

  std::filesystem::path public_;
  std::set<int> versions_;
  std::mutex mu_;
  std::map<std::string, int> hits_;
  std::map<std::string, std::string> overrides_;
  metrics::Registry metrics_;
  net::HttpServer server_;
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = roadside::testing::vectors_dir();
    if (!v) GTEST_SKIP() << "X-Road test vectors not found (set ROADSIDE_VECTORS_DIR)";
    gc_ = *v / "xroad" / "globalconf";
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    central_.reset();
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  void start_central(std::set<int> versions = {6}) {
    central_ = std::make_unique<CentralServer>(io_, gc_ / "public", versions);
  }

  // X-Road's anchor with its download URLs pointed at our central server.
  Anchor anchor(const std::vector<std::string>& urls) {
    std::string xml = read_file(gc_ / "configuration_anchor_CS_internal.xml");
    auto a = Anchor::parse(xml);
    EXPECT_TRUE(a.ok());
    Anchor out = *a;
    out.sources.clear();
    for (const auto& u : urls) out.sources.push_back({u, a->sources[0].verification_certs});
    return out;
  }

  Result<Snapshot> update(ConfigurationClient& c) { return asio::co_spawn(io_, c.update(), asio::use_future).get(); }

  std::filesystem::path gc_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  std::thread thread_;
  std::unique_ptr<CentralServer> central_;
  TempDir cache_;
};

TEST_F(ClientTest, DownloadsVerifiesAndStores) {
  start_central({6});
  net::HttpClient http(io_.get_executor());
  ConfigurationClient client(http, anchor({central_->url()}), cache_.path());
  auto snap = update(client);
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  EXPECT_EQ(snap->version, 6);
  EXPECT_EQ(snap->downloaded_parts.size(), 2u);
  auto shared = snap->part("SHARED-PARAMETERS");
  ASSERT_TRUE(shared.ok());
  auto sp = SharedParameters::parse(*shared);
  ASSERT_TRUE(sp.ok());
  EXPECT_EQ(sp->instance, "DEV");

  // An unchanged directory fetches no part and writes no new generation.
  const auto generation = std::filesystem::canonical(cache_.path() / "current");
  auto again = update(client);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_TRUE(again->downloaded_parts.empty());
  EXPECT_EQ(std::filesystem::canonical(cache_.path() / "current"), generation);
  EXPECT_EQ(central_->hits("/V6/20251110170000548026000/shared-params.xml"), 1);
  EXPECT_EQ(central_->hits("/internalconf?version=6"), 2);
}

TEST_F(ClientTest, ProbesFromVersion6Down) {
  start_central({4, 3});
  net::HttpClient http(io_.get_executor());
  ConfigurationClient client(http, anchor({central_->url()}), cache_.path());
  auto snap = update(client);
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  EXPECT_EQ(snap->version, 4);
  EXPECT_EQ(central_->hits("/internalconf?version=6"), 1);
  EXPECT_EQ(central_->hits("/internalconf?version=5"), 1);
  EXPECT_EQ(central_->hits("/internalconf?version=3"), 0);
}

TEST_F(ClientTest, FallsBackToTheNextSource) {
  start_central();
  net::HttpClient http(io_.get_executor());
  const std::string dead = "http://127.0.0.1:" + std::to_string(roadside::testing::free_port()) + "/internalconf";
  ConfigurationClient client(http, anchor({dead, central_->url()}), cache_.path());
  auto snap = update(client);
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  EXPECT_EQ(snap->source_url, central_->url());
}

TEST_F(ClientTest, WorksOfflineFromTheCacheUntilExpiry) {
  start_central();
  std::string url = central_->url();
  {
    net::HttpClient http(io_.get_executor());
    ConfigurationClient client(http, anchor({url}), cache_.path());
    ASSERT_TRUE(update(client).ok());
  }
  central_.reset();  // the central server goes away
  net::HttpClient http(io_.get_executor());
  ConfigurationClient restarted(http, anchor({url}), cache_.path());
  EXPECT_FALSE(update(restarted).ok());
  auto cached = restarted.load_cached();
  ASSERT_TRUE(cached.ok()) << cached.error().to_string();
  EXPECT_TRUE(cached->part("PRIVATE-PARAMETERS").ok());

  ManualClock later(*parse_rfc3339("2035-11-11T03:07:41Z"));
  ConfigurationClient expired(http, anchor({url}), cache_.path(), later);
  auto e = expired.load_cached();
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().fault_code(), "global_conf_outdated");
}

TEST_F(ClientTest, AFailedUpdateKeepsThePreviousConfiguration) {
  start_central();
  net::HttpClient http(io_.get_executor());
  ConfigurationClient client(http, anchor({central_->url()}), cache_.path());
  ASSERT_TRUE(update(client).ok());
  std::string directory = read_file(gc_ / "public" / "V6" / "internalconf");
  const auto at = directory.rfind("==") - 10;
  directory[at] = directory[at] == 'A' ? 'B' : 'A';  // the signature no longer verifies
  central_->override_body("/internalconf?version=6", directory);
  auto r = update(client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().fault_code(), "invalid_signature_value");
  auto kept = client.load_cached();
  ASSERT_TRUE(kept.ok()) << kept.error().to_string();
  EXPECT_TRUE(kept->part("SHARED-PARAMETERS").ok());
}

TEST_F(ClientTest, ATamperedPartIsRefusedAndNothingHalfWrittenBecomesCurrent) {
  start_central();
  net::HttpClient http(io_.get_executor());
  ConfigurationClient client(http, anchor({central_->url()}), cache_.path());
  std::string bytes = read_file(gc_ / "public" / "V6" / "20251110170000548026000" / "private-params.xml");
  bytes[100] ^= 1;
  central_->override_body("/V6/20251110170000548026000/private-params.xml", bytes);
  auto r = update(client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().fault_code(), "invalid_signature_value");
  EXPECT_NE(r.error().detail().find("private-params.xml"), std::string::npos);
  EXPECT_FALSE(client.load_cached().ok());
  EXPECT_FALSE(std::filesystem::exists(cache_.path() / "current"));
}

TEST_F(ClientTest, AnExpiredDirectoryIsNotTaken) {
  start_central();
  net::HttpClient http(io_.get_executor());
  ManualClock later(*parse_rfc3339("2036-01-01T00:00:00Z"));
  ConfigurationClient client(http, anchor({central_->url()}), cache_.path(), later);
  auto r = update(client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().fault_code(), "global_conf_outdated");
}

TEST_F(ClientTest, SigningKeyRolloverThroughSharedParameters) {
  start_central();
  const auto key_dir = gc_ / "signing-key";
  const auto old_key = *crypto::PrivateKey::from_pem(read_file(key_dir / "internal.key"));
  const auto old_cert = *crypto::Certificate::from_pem(read_file(key_dir / "internal.crt"));
  const auto new_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  const auto new_cert = *crypto::issue_certificate({.common_name = "internalSigningKey2", .usage = crypto::Usage::ca},
                                                   new_key, nullptr, new_key);

  // The Central Server announces its next key in the shared parameters, signed with the old one.
  const auto gen = gc_ / "public" / "V6" / "20251110170000548026000";
  std::string shared = read_file(gen / "shared-params.xml");
  const std::string marker = "<internalVerificationCert>";
  shared.insert(shared.find(marker),
                marker + crypto::base64_encode(new_cert.to_der()) + "</internalVerificationCert>\n        ");
  const std::vector<PublishedPart> parts = {
      {"SHARED-PARAMETERS", "DEV", "/V6/gen-2/shared-params.xml", shared},
      {"PRIVATE-PARAMETERS", "DEV", "/V6/gen-2/private-params.xml", read_file(gen / "private-params.xml")}};
  for (const auto& p : parts) central_->override_body(p.content_location, p.bytes);
  const DirectorySpec spec{parts, std::chrono::system_clock::now() + std::chrono::hours(24), 6};
  central_->override_body("/internalconf?version=6", *build_signed_directory(spec, old_key, old_cert));

  net::HttpClient http(io_.get_executor());
  {
    ConfigurationClient client(http, anchor({central_->url()}), cache_.path());
    auto announced = update(client);
    ASSERT_TRUE(announced.ok()) << announced.error().to_string();
    EXPECT_EQ(client.trusted_certs().size(), 3u);  // the anchor's, and the two listed

    // Then it signs with the new key; the anchor knows nothing of it.
    DirectorySpec next = spec;
    next.signature_algorithm = std::string(crypto::kEcdsaSha512Uri);
    central_->override_body("/internalconf?version=6", *build_signed_directory(next, new_key, new_cert));
    auto rolled = update(client);
    ASSERT_TRUE(rolled.ok()) << rolled.error().to_string();
  }
  // After a restart the cached configuration, signed with the new key, still verifies.
  ConfigurationClient restarted(http, anchor({central_->url()}), cache_.path());
  EXPECT_TRUE(restarted.load_cached().ok());

  // A server that never saw the announcement refuses the new key.
  TempDir fresh;
  ConfigurationClient stranger(http, anchor({central_->url()}), fresh.path());
  auto refused = update(stranger);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().fault_code(), "invalid_signature_value");
}

}  // namespace
}  // namespace roadside::globalconf
