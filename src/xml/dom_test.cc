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

}  // namespace
}  // namespace roadside::xml
