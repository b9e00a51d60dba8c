#include "server/backup_service.h"

#include <atomic>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "serverconf/revisions.h"
#include "support/test_support.h"

namespace roadside::server {
namespace {

using namespace std::chrono_literals;
using roadside::testing::TempDir;

// The authentication key of a server, or none (a logged-out token).
class FakeKeys final : public signer::KeySource {
 public:
  FakeKeys() {
    auto key = crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
    auto cert =
        crypto::issue_certificate({.common_name = "ss1", .usage = crypto::Usage::tls_client}, *key, nullptr, *key);
    auth_ = std::make_shared<signer::OpenKey>(
        signer::OpenKey{{"K", signer::KeyUsage::authentication, {}, "", *cert}, *key});
  }
  Result<std::shared_ptr<const signer::OpenKey>> signing_key(const XRoadId&) const override {
    return Error(make_error_code(signer::errc::key_not_found), "none");
  }
  Result<std::shared_ptr<const signer::OpenKey>> auth_key() const override {
    if (!active) return Error(make_error_code(signer::errc::token_not_active), "logged out");
    return std::shared_ptr<const signer::OpenKey>(auth_);
  }
  std::atomic<bool> active{true};  // (read on the service's thread)

 private:
  std::shared_ptr<signer::OpenKey> auth_;
};

struct Fixture {
  TempDir dir;
  std::unique_ptr<storage::Store> store;
  FakeKeys keys;
  metrics::Registry metrics;

  Fixture() {
    store = std::make_unique<storage::Store>(*storage::open_sqlite({dir / "roadside.db"}));
    EXPECT_TRUE(store->migrate().ok());
    serverconf::ServerConf conf;
    conf.owner = *XRoadId::member("DEV", "COM", "1001");
    conf.server_code = "ss1";
    EXPECT_TRUE(serverconf::apply(*store, conf, "test").ok());
  }
  config::Config config(const std::string& cron) const {
    config::Config c = config::Config::defaults();
    EXPECT_TRUE(c.set("data_dir", dir.path().string()).ok());
    EXPECT_TRUE(c.set("backup.cron", cron).ok());
    return c;
  }
  std::size_t counter(const std::string& result) const {
    const std::string text = metrics.render();
    const std::string line = "roadside_backups_total{result=\"" + result + "\"} ";
    const auto at = text.find(line);
    return at == std::string::npos ? 0 : std::stoul(text.substr(at + line.size()));
  }
};

TEST(BackupServiceOptions, AreXRoadsScheduleAndNameTheOptionAtFault) {
  Fixture f;
  auto o = BackupServiceOptions::from(f.config("0 15 3 * * ?"));
  ASSERT_TRUE(o.ok()) << o.error().to_string();
  EXPECT_EQ(o->backups.dir, f.dir.path() / "backups");
  EXPECT_EQ(o->keep, std::chrono::hours(24 * 30));
  EXPECT_EQ(o->schedule->text(), "0 15 3 * * ?");
  auto bad = BackupServiceOptions::from(f.config("every day"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail().find("backup.cron"), std::string::npos);
  config::Config encrypt = f.config("");
  ASSERT_TRUE(encrypt.set("backup.encrypt_to", "ABCD1234").ok());
  auto no_home = BackupServiceOptions::from(encrypt);
  ASSERT_FALSE(no_home.ok());
  EXPECT_NE(no_home.error().detail().find("backup.gpg_home"), std::string::npos);
  EXPECT_FALSE(BackupServiceOptions::from(f.config(""))->schedule.has_value());
}

TEST(BackupService, BacksUpOnItsScheduleAndCountsFailures) {
  Fixture f;
  auto options = BackupServiceOptions::from(f.config("* * * * * ?"));  // every second
  ASSERT_TRUE(options.ok());
  const auto dir = options->backups.dir;
  BackupService service(
      std::move(*options), *f.store, f.keys, [&] { return storage::open_sqlite({f.dir / "roadside.db"}); }, f.metrics);
  ASSERT_TRUE(service.start().ok());
  for (int i = 0; i < 100 && f.counter("ok") == 0; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_GE(f.counter("ok"), 1u);
  auto listed = serverbackup::list_backups(dir);
  ASSERT_TRUE(listed.ok());
  ASSERT_FALSE(listed->empty());
  EXPECT_EQ(listed->front().kind, serverbackup::BackupKind::automatic);
  // A logged-out token: the round fails, is counted, and the next one comes.
  f.keys.active = false;
  auto failed = service.back_up_now();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), signer::errc::token_not_active);
  EXPECT_GE(f.counter("failed"), 1u);
  boost::asio::io_context io;
  auto stopped = boost::asio::co_spawn(io, service.stop(), boost::asio::use_future);
  io.run();
  stopped.get();
}

}  // namespace
}  // namespace roadside::server
