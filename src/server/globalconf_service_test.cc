#include "server/globalconf_service.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace roadside::server
