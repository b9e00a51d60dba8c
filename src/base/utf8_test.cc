#include "base/utf8.h"

#include <string>

#include <gtest/gtest.h>

namespace roadside {
namespace {

TEST(Utf8, AcceptsAsciiAndEveryLength) {
  EXPECT_TRUE(is_utf8(""));
  EXPECT_TRUE(is_utf8("plain"));
  EXPECT_TRUE(is_utf8("\xC3\xA9"));          // é, ending the text
  EXPECT_TRUE(is_utf8("\xE2\x82\xAC x"));    // €
  EXPECT_TRUE(is_utf8("\xF0\x9F\x98\x80"));  // U+1F600
}

TEST(Utf8, RefusesOverlongSurrogatesTruncatedAndStrayBytes) {
  EXPECT_FALSE(is_utf8("\xC0\xAE"));          // overlong '.'
  EXPECT_FALSE(is_utf8("\xED\xA0\x80"));      // U+D800
  EXPECT_FALSE(is_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_utf8("\xE2\x82"));          // cut short
  EXPECT_FALSE(is_utf8("a\x80"));             // continuation without a lead
  EXPECT_FALSE(is_utf8(std::string("\xFF\x00", 2)));
}

}  // namespace
}  // namespace roadside
