#include "base/json_text.h"

#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace roadside::json {
namespace {

std::string nlohmann_text(std::string_view s) {
  return nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ours(std::string_view s) {
  std::string out;
  append_string(out, s);
  return out;
}

TEST(JsonText, NestingIsCountedOutsideStrings) {
  EXPECT_TRUE(nests_within("", 0));
  EXPECT_TRUE(nests_within("[1, {\"a\": [2]}]", 3));
  EXPECT_FALSE(nests_within("[1, {\"a\": [2]}]", 2));
  EXPECT_FALSE(nests_within(std::string(1'000'000, '{'), 64));
  // Brackets in strings are text, an escaped quote does not end the string, closing brackets
  // beyond the opening ones are not credit for more.
  EXPECT_TRUE(nests_within("[\"[[[\\\"[[[\"]", 1));
  EXPECT_FALSE(nests_within("]]][[", 1));
}

TEST(JsonText, EscapesAsNlohmannDoes) {
  for (std::string_view s :
       {std::string_view(""), std::string_view("plain"), std::string_view("quote \" back \\ slash /"),
        std::string_view("\b\f\n\r\t"), std::string_view("\x01\x1f\x7f", 3), std::string_view("nul \0 inside", 12),
        std::string_view("õäöü € 𝄞")}) {
    EXPECT_EQ(ours(s), nlohmann_text(s)) << s;
  }
}

TEST(JsonText, ReplacesWhatIsNotUtf8AsNlohmannDoes) {
  for (std::string_view s : {std::string_view("bad \xff byte"), std::string_view("cut \xe2\x82"),
                             std::string_view("overlong \xc0\xaf"), std::string_view("surrogate \xed\xa0\x80")}) {
    const std::string text = ours(s);
    EXPECT_EQ(text, nlohmann_text(s));
    EXPECT_TRUE(nlohmann::json::accept(text)) << text;
  }
}

TEST(JsonText, RandomBytesComeOutAsNlohmannWritesThem) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255), length(0, 24), ascii(0, 3);
  for (int i = 0; i < 20'000; ++i) {
    std::string s(static_cast<std::size_t>(length(rng)), '\0');
    for (auto& c : s) c = static_cast<char>(ascii(rng) ? byte(rng) & 0x7f : byte(rng));
    ASSERT_EQ(ours(s), nlohmann_text(s)) << "case " << i;
  }
}

TEST(JsonText, MembersMakeAnObjectInTheOrderAdded) {
  Members m;
  EXPECT_TRUE(m.empty());
  m.add("proxy", "client");
  m.add("bytes", std::int64_t{-925});
  m.add("id", std::string("a\"b"));
  EXPECT_EQ(m.text(), R"("proxy":"client","bytes":-925,"id":"a\"b")");
  const auto parsed = nlohmann::ordered_json::parse("{" + m.text() + "}");
  EXPECT_EQ(parsed.begin().key(), "proxy");
  EXPECT_EQ(parsed["bytes"], -925);
  EXPECT_EQ(parsed["id"], "a\"b");
}

}  // namespace
}  // namespace roadside::json
