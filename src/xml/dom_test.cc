#include "xml/dom.h"

#include <gtest/gtest.h>

namespace roadside::xml {
namespace {

// libxml2 reports some errors (a declared encoding the bytes do not match, an unknown one)
// on stderr outside the parser's own error channel: text from untrusted input that bypassed
// the JSON log. They must reach the caller as a refusal and nothing else.
TEST(Document, ParseErrorsStayOffStderr) {
  testing::internal::CaptureStderr();
  for (const char* bad : {"<?xml version=\"1.0\" encoding=\"UTF-16\"?><a>==</a>", "<?xml version=\"1.0\" encoding=\"no-such\"?><a/>",
                          "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><a>\x1b$B\xff\xff</a>", "<a><b></a>"}) {
    EXPECT_FALSE(Document::parse(bad).ok()) << bad;
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

// X-Road's messages are UTF-8, and the byte-level scans beside the parser read them so: a
// document in another encoding would be one document to the parser and another to a scan.
TEST(Document, OnlyUtf8IsRead) {
  const std::string utf16_bom("\xFF\xFE<\0a\0/\0>\0", 8);
  const std::string utf16_plain("<\0a\0/\0>\0", 6);
  for (const std::string& bad : {utf16_bom, utf16_plain, std::string("<?xml version='1.0' encoding='ISO-8859-1'?><a>\xE9</a>"),
                                 std::string("<?xml version=\"1.0\" encoding=\"UTF-16\"?><a/>"), std::string("<a>\xE9t\xE9</a>")}) {
    auto d = Document::parse(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.error().fault_code(), "internal_error") << d.error().detail();
  }
  EXPECT_NE(Document::parse(utf16_bom).error().detail().find("not UTF-8"), std::string::npos);
  // libxml2 ends the input at a NUL: what follows one would be seen by byte scans only
  // (found by markup_fuzz).
  const std::string after_nul("<?xml version='1.0'?><a:r xmlns:a='u'>x</a:r>\0<><b>", 51);
  auto nul = Document::parse(after_nul);
  ASSERT_FALSE(nul.ok());
  EXPECT_NE(nul.error().detail().find("NUL byte at offset 45"), std::string::npos) << nul.error().detail();
  EXPECT_NE(Document::parse("<?xml version=\"1.0\" encoding=\"latin1\"?><a/>").error().detail().find("\"latin1\""), std::string::npos);
  for (const char* good : {"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>\xC3\xA9</a>", "<?xml version='1.0'?><a/>", "<a/>"}) {
    auto d = Document::parse(good);
    ASSERT_TRUE(d.ok()) << good << ": " << d.error().detail();
  }
}

// A qualified name in an attribute value (a WSDL's binding="tns:name") means the namespace
// its prefix is bound to where the element stands: declarations on ancestors count, inner
// ones shadow outer ones, and an unbound prefix names nothing.
TEST(Element, NamespaceUriResolvesPrefixesInScope) {
  auto doc = Document::parse(R"(<a xmlns="urn:default" xmlns:t="urn:outer"><b xmlns:t="urn:inner"><c/></b><d/></a>)");
  ASSERT_TRUE(doc.ok()) << doc.error().to_string();
  const Element b = doc->root().children()[0], c = b.children()[0], d = doc->root().children()[1];
  EXPECT_EQ(c.namespace_uri("t"), "urn:inner");
  EXPECT_EQ(d.namespace_uri("t"), "urn:outer");
  EXPECT_EQ(c.namespace_uri(""), "urn:default");
  EXPECT_EQ(c.namespace_uri("none"), std::nullopt);
  EXPECT_EQ(c.namespace_uri("xml"), "http://www.w3.org/XML/1998/namespace");
}

// What escape() writes reads back as it was, in text and in an attribute: a parser would turn
// a literal CR into LF, and tab, CR and LF in an attribute into spaces (a description with a CR
// changed when shared parameters were written out and read again; found by parameters_fuzz).
TEST(Escape, TextAndAttributesReadBackAsTheyWere) {
  const std::string text = "a & <b> \"c\"\td\r\ne\rf\n";
  auto doc = Document::parse("<r a=\"" + escape(text) + "\">" + escape(text) + "</r>");
  ASSERT_TRUE(doc.ok()) << doc.error().to_string();
  EXPECT_EQ(doc->root().text(), text);
  EXPECT_EQ(doc->root().attribute("a"), text);
}

}  // namespace
}  // namespace roadside::xml
