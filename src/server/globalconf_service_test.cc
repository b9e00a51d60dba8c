#include "server/globalconf_service.h"

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

}  // namespace
}  // namespace roadside::server
