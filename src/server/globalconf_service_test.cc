#include "server/globalconf_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>

#include "proxy/client_proxy.h"
#include "proxy/proxy_fakes.h"
#include "support/test_support.h"

namespace roadside::server {
namespace {

// 7. Stale trust that looks fresh: a newer configuration whose shared parameters cannot be
// read keeps the old parameters with their old expiry, and says why.
TEST(StaleTrust, UnreadableNewSharedParametersDoNotExtendTheOldExpiry) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto gc = vectors / "xroad" / "globalconf";
  testing::TempDir dir;
  boost::asio::io_context io;
  metrics::Registry metrics;
  Readiness readiness;
  GlobalconfService service(io, {(gc / "configuration_anchor_CS_internal.xml").string(), dir / "cache", std::chrono::seconds(60)},
                            metrics, readiness);

  std::filesystem::create_directories(dir / "parts");
  testing::write_file(dir / "parts" / "good.xml",
                      testing::read_file(gc / "public" / "V6" / "20251110170000548026000" / "shared-params.xml"));
  testing::write_file(dir / "parts" / "bad.xml", "<not-shared-parameters/>");
  const auto now = std::chrono::system_clock::now();
  auto snapshot = [&](const std::string& file, std::string hash, std::chrono::system_clock::time_point expires) {
    globalconf::Snapshot s;
    s.parts_root = dir / "parts";
    s.version = 6;
    s.directory.expires = expires;
    s.directory.parts.push_back({"SHARED-PARAMETERS", "", "/" + file, "", std::move(hash)});
    return s;
  };
  const auto first_expiry = std::chrono::time_point_cast<std::chrono::seconds>(now + std::chrono::minutes(10));
  service.take(snapshot("good.xml", "h1", first_expiry));
  ASSERT_NE(service.shared(), nullptr);
  const double expires = static_cast<double>(first_expiry.time_since_epoch().count());
  EXPECT_EQ(metrics.value("roadside_globalconf_expires_timestamp_seconds"), expires);

  service.take(snapshot("bad.xml", "h2", now + std::chrono::hours(10)));
  EXPECT_NE(service.shared(), nullptr) << "the previous parameters stay in use";
  EXPECT_EQ(metrics.value("roadside_globalconf_expires_timestamp_seconds"), expires) << "with their own expiry";

  // Once that expiry passes, nothing is trusted: shared parameters already past their expiry.
  service.take(snapshot("good.xml", "h1", now - std::chrono::seconds(1)));
  service.take(snapshot("bad.xml", "h3", now + std::chrono::hours(10)));
  EXPECT_EQ(service.shared(), nullptr);
  auto why = service.not_ready();
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("shared parameters are unusable"), std::string::npos) << *why;
}

// The global configuration expires on the clock: the proxies refuse with
// global_conf_outdated and /readyz says "expired" the moment its expiry passes, with no
// download since. (A manual clock: no test waits for the expiry.)
TEST(GlobalconfExpiry, AnExpiredGlobalConfigurationStopsTraffic) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto gc = vectors / "xroad" / "globalconf";
  testing::TempDir dir;
  boost::asio::io_context io;
  metrics::Registry metrics;
  Readiness readiness;
  ManualClock clock;
  GlobalconfService service(io, {(gc / "configuration_anchor_CS_internal.xml").string(), dir / "cache", std::chrono::seconds(60)},
                            metrics, readiness, clock);
  std::filesystem::create_directories(dir / "parts");
  testing::write_file(dir / "parts" / "shared.xml",
                      testing::read_file(gc / "public" / "V6" / "20251110170000548026000" / "shared-params.xml"));
  globalconf::Snapshot snap;
  snap.parts_root = dir / "parts";
  snap.version = 6;
  snap.directory.expires = clock.now() + std::chrono::seconds(4);
  snap.directory.parts.push_back({"SHARED-PARAMETERS", "", "/shared.xml", "", "h1"});
  service.take(snap);

  proxy::ProxyContext ctx;
  ctx.shared = [&] { return service.shared(); };
  ctx.globalconf_problem = [&] { return service.not_ready(); };
  ctx.serverconf = [] { return std::shared_ptr<const serverconf::ServerConf>(); };
  ctx.clock = &clock;
  ctx.metrics = &metrics;
  proxy::ClientProxy proxy(io, ctx);
  auto list_clients = [&] {
    proxy::fakes::FakeExchange ex(boost::beast::http::verb::get, "/listClients", {}, "");
    proxy::fakes::run(io, proxy, ex);
    return ex;
  };

  clock.advance(std::chrono::seconds(3));
  EXPECT_FALSE(service.not_ready().has_value());
  EXPECT_EQ(list_clients().status(), 200u);

  clock.advance(std::chrono::seconds(2));  // past the expiry
  EXPECT_EQ(service.shared(), nullptr);
  auto refused = list_clients();
  EXPECT_EQ(refused.status(), 500u);
  EXPECT_EQ(proxy::fakes::fault_code_of(refused), "server.clientproxy.global_conf_outdated");
  auto reasons = readiness.reasons();
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0].component, "globalconf");
  EXPECT_NE(reasons[0].reason.find("expired"), std::string::npos) << reasons[0].reason;
}

// PUT /system/anchor: the running download loop takes the replaced anchor file at once (its
// next round goes to the new anchor's source); one of another instance is not taken.
TEST(AnchorReload, TheLoopDownloadsWithTheReplacedAnchor) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto gc = vectors / "xroad" / "globalconf";
  testing::TempDir dir;
  const std::string original = testing::read_file(gc / "configuration_anchor_CS_internal.xml");
  const auto anchor = dir / "anchor.xml";
  testing::write_file(anchor, original);
  boost::asio::io_context io;
  metrics::Registry metrics;
  Readiness readiness;
  GlobalconfService service(io, {anchor.string(), dir / "cache", std::chrono::seconds(3600)}, metrics, readiness);
  ASSERT_TRUE(service.start().ok());
  auto round_after = [&](std::optional<Clock::time_point> before) {
    for (int i = 0; i < 200; ++i) {
      io.run_for(std::chrono::milliseconds(50));
      auto round = service.last_round();
      if (round.last && round.last != before && !round.error.empty()) return round;
    }
    return service.last_round();
  };
  const auto first = round_after(std::nullopt);
  ASSERT_TRUE(first.last.has_value());
  EXPECT_TRUE(first.next.has_value());

  // The same instance, its source on a port where nothing listens.
  std::string moved = original;
  for (std::string from : {"http://cs/internalconf", "https://cs/internalconf"}) {
    for (auto at = moved.find(from); at != std::string::npos; at = moved.find(from)) {
      moved.replace(at, from.size(), "http://127.0.0.1:1/moved");
    }
  }
  testing::write_file(anchor, moved);
  service.reload_anchor();
  const auto second = round_after(first.last);
  ASSERT_NE(second.last, first.last) << "the loop did not wake";
  EXPECT_NE(second.error.find("127.0.0.1"), std::string::npos) << second.error;
  EXPECT_EQ(service.instance(), "DEV");

  // Another instance's anchor (or an unreadable one) is not taken: the previous one stays.
  std::string foreign = original;
  foreign.replace(foreign.find("<instanceIdentifier>DEV<"), 24, "<instanceIdentifier>XYZ<");
  testing::write_file(anchor, foreign);
  service.reload_anchor();
  const auto third = round_after(second.last);
  ASSERT_NE(third.last, second.last);
  EXPECT_NE(third.error.find("127.0.0.1"), std::string::npos) << third.error;
  testing::write_file(anchor, "not an anchor");
  service.reload_anchor();
  const auto fourth = round_after(third.last);
  ASSERT_NE(fourth.last, third.last);
  EXPECT_NE(fourth.error.find("127.0.0.1"), std::string::npos) << fourth.error;
  EXPECT_EQ(service.instance(), "DEV");

  boost::asio::co_spawn(io, service.stop(), boost::asio::detached);
  io.run_for(std::chrono::seconds(2));
}

}  // namespace
}  // namespace roadside::server
