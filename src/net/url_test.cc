#include "net/url.h"

#include <gtest/gtest.h>

namespace roadside::net {
namespace {

TEST(Url, ParsesWhatTheClientNeeds) {
  auto u = Url::parse("https://cs.example.org:4443/internalconf?version=6");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls());
  EXPECT_EQ(u->host, "cs.example.org");
  EXPECT_EQ(u->port, 4443);
  EXPECT_EQ(u->target, "/internalconf?version=6");
  EXPECT_EQ(u->to_string(), "https://cs.example.org:4443/internalconf?version=6");

  auto d = Url::parse("http://127.0.0.1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, 80);
  EXPECT_EQ(d->target, "/");
  auto v6 = Url::parse("http://[::1]:8080?x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->target, "/?x");
  EXPECT_EQ(v6->authority(), "[::1]:8080");
}

TEST(Url, RejectsWhatItCannotUse) {
  for (const char* bad : {"ftp://x/", "x/y", "http://", "http://:80/", "http://h:0/", "http://h:99999/",
                          "http://h:8a/", "http://u@h/", "http://[::1/"}) {
    EXPECT_FALSE(Url::parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace roadside::net

namespace roadside::net {
namespace {

TEST(LocalBaseUrl, AWildcardListenAddressIsReachedOnLoopback) {
  EXPECT_EQ(local_base_url("http", "0.0.0.0", 5588), "http://127.0.0.1:5588");
  EXPECT_EQ(local_base_url("http", "::", 5588), "http://127.0.0.1:5588");
  EXPECT_EQ(local_base_url("https", "", 8443), "https://127.0.0.1:8443");
  EXPECT_EQ(local_base_url("http", "127.0.0.3", 80), "http://127.0.0.3:80");
  EXPECT_EQ(local_base_url("http", "::1", 5588), "http://[::1]:5588");
}

}  // namespace
}  // namespace roadside::net
