// The bounded JSON/YAML tree the OpenAPI reader walks.
#include "servicedesc/document.h"

#include <gtest/gtest.h>

namespace roadside::servicedesc {
namespace {

TEST(Document, YamlAndJsonGiveTheSameTree) {
  for (const char* text : {"a: [1, 'two', ~]\nb: {c: true}\n", R"({"a": [1, "two", null], "b": {"c": true}})"}) {
    auto r = parse_document(text, {});
    ASSERT_TRUE(r.ok()) << text << r.error().to_string();
    const Node& root = **r;
    ASSERT_TRUE(root.is_mapping());
    const Node* a = root.get("a");
    ASSERT_TRUE(a && a->kind == Node::Kind::sequence && a->items.size() == 3);
    EXPECT_EQ(a->items[0]->text, "1");
    EXPECT_EQ(a->items[1]->text, "two");
    EXPECT_EQ(a->items[2]->kind, Node::Kind::null);
    EXPECT_EQ(root.get("b")->get("c")->text, "true");
    EXPECT_EQ(root.get("missing"), nullptr);
  }
  auto number = parse_document(R"({"v": 1.50})", {});
  ASSERT_TRUE(number.ok());
  EXPECT_EQ((*number)->get("v")->text, "1.50");  // as written
}

TEST(Document, AliasesShareTheirNodeAndCountItsSize) {
  auto r = parse_document("base: &b {x: 1, y: 2}\nuse: *b\nkey: &k name\n*k : value\n", {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)->get("use")->get("y")->text, "2");
  EXPECT_EQ((*r)->get("name")->text, "value");
  // base's mapping is 5 nodes (itself, two keys, two values); each alias to it counts 5 more.
  DocumentLimits limits;
  limits.max_nodes = 5 + 2 + 5 + 2 + 5;  // base, "use", *b, "again", *b
  EXPECT_TRUE(parse_document("base: &b {x: 1, y: 2}\nuse: *b\nagain: *b\n", limits).ok());
  limits.max_nodes -= 1;
  EXPECT_FALSE(parse_document("base: &b {x: 1, y: 2}\nuse: *b\nagain: *b\n", limits).ok());
}

TEST(Document, LimitsAndAmbiguitiesAreRefusedWithWhere) {
  DocumentLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(parse_document("a: {b: [1]}", limits).ok());
  auto deep = parse_document("a: {b: [[1]]}", limits);
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.error().detail().find("at /a/b/0"), std::string::npos) << deep.error().detail();
  auto dup = parse_document("a:\n  b: 1\n  b: 2\n", {});
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().detail().find("\"b\" twice in one mapping at /a"), std::string::npos) << dup.error().detail();
  EXPECT_FALSE(parse_document("a: *nowhere\n", {}).ok());
  EXPECT_FALSE(parse_document("~: 1\n", {}).ok());
  EXPECT_FALSE(parse_document("{\"a\": 1} trailing", {}).ok());
  EXPECT_FALSE(parse_document("[1, 2", {}).ok());
  EXPECT_FALSE(parse_document("a: 1\n---\nb: 2\n", {}).ok());
  EXPECT_TRUE(parse_document("---\na: 1\n...\n", {}).ok());
}

}  // namespace
}  // namespace roadside::servicedesc
