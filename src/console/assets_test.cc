#include "console/assets.h"

#include <gtest/gtest.h>

namespace roadside::console {
namespace {

TEST(ConsoleAssets, TheRootIsTheIndexPageAndEachFileHasItsTypeAndTag) {
  const auto index = find_asset("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_NE(index->body.find("<!DOCTYPE html>"), std::string_view::npos);
  EXPECT_EQ(index->etag.size(), 66u) << "a quoted SHA-256 in hex";
  EXPECT_EQ(index->etag.front(), '"');
  EXPECT_EQ(find_asset("/console/")->body, index->body);
  EXPECT_EQ(find_asset("/console/index.html")->etag, index->etag);

  const auto script = find_asset("/console/app.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(script->etag, index->etag);
  EXPECT_EQ(find_asset("/console/style.css")->content_type, "text/css; charset=utf-8");
}

TEST(ConsoleAssets, NoOtherPathFindsAFile) {
  EXPECT_FALSE(find_asset("/index.html"));
  EXPECT_FALSE(find_asset("/console/nope.js"));
  EXPECT_FALSE(find_asset("/console/../console/app.js"));
  EXPECT_FALSE(find_asset("/console//app.js"));
  EXPECT_FALSE(find_asset("/console/APP.JS"));
  EXPECT_FALSE(find_asset("/api/v1/user"));
  EXPECT_FALSE(find_asset(""));
}

TEST(ConsoleAssets, EveryFileIsEmbeddedWhole) {
  ASSERT_FALSE(embedded_files().empty());
  for (const auto& file : embedded_files()) {
    EXPECT_FALSE(file.path.empty());
    EXPECT_FALSE(file.path.starts_with("/")) << file.path;
    EXPECT_EQ(file.body.data()[file.body.size()], '\0') << "the NUL after the bytes: " << file.path;
  }
}

}  // namespace
}  // namespace roadside::console
