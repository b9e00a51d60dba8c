#include "base/log.h"

#include <gtest/gtest.h>

#include <sstream>

namespace roadside {
namespace {

std::vector<nlohmann::json> lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(Log, WritesOneJsonObjectPerLineAndFiltersByLevel) {
  std::ostringstream out;
  log::redirect_for_testing(out);
  log::set_level(log::Level::info);
  log::debug("hidden");
  log::info("listening", {{"port", 5588}, {"component", "health"}});
  log::warn("quote \" and newline \n and bad utf8 \xff");
  auto l = lines(out.str());
  ASSERT_EQ(l.size(), 2u) << out.str();
  EXPECT_EQ(l[0]["level"], "info");
  EXPECT_EQ(l[0]["msg"], "listening");
  EXPECT_EQ(l[0]["port"], 5588);
  EXPECT_EQ(l[0]["component"], "health");
  EXPECT_TRUE(l[0].contains("time"));
  EXPECT_EQ(l[1]["level"], "warn");
}

TEST(Log, AuditRecordsAreMarked) {
  std::ostringstream out;
  log::redirect_for_testing(out);
  log::set_level(log::Level::off);  // the audit log is not subject to the level
  log::audit("Log in user", "admin", {{"method", "api-key"}});
  auto l = lines(out.str());
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]["log"], "audit");
  EXPECT_EQ(l[0]["msg"], "Log in user");
  EXPECT_EQ(l[0]["user"], "admin");
  EXPECT_EQ(l[0]["data"]["method"], "api-key");
  log::set_level(log::Level::info);
}

TEST(Log, ParsesXRoadLevelNames) {
  EXPECT_EQ(*log::parse_level("INFO"), log::Level::info);
  EXPECT_EQ(*log::parse_level("debug"), log::Level::debug);
  EXPECT_EQ(*log::parse_level("ALL"), log::Level::trace);
  EXPECT_EQ(*log::parse_level("OFF"), log::Level::off);
  auto bad = log::parse_level("LOUD");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail().find("LOUD"), std::string::npos);
}

}  // namespace
}  // namespace roadside
