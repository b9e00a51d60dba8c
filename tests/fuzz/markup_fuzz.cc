// Fuzz target: the XML parser (xml::Document, which refuses a DOCTYPE) and the linear tag
// scan (xml::scan_tags, xml::attribute_value_range) that edits messages by byte offsets.
// Both read SOAP from information systems, peers and services and WSDLs from services.
// Beyond not crashing, the target checks what callers rely on:
//   - every tag lies inside the text, starts with '<', ends with '>', and follows the one
//     before it; depths nest (a start tag opens one level, an end tag closes it);
//   - an attribute's value range lies inside its tag, between its quotes;
//   - for text the parser accepts: no element's text outgrows the document (no entity was
//     expanded), and the scan agrees: it ends cleanly with every element closed, names every
//     tag, and finds as many elements as the DOM and the same root. (The parser reads UTF-8
//     only, as the scan does: no text is one document to one and another to the other.)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_checks.h"
#include "xml/dom.h"
#include "xml/markup.h"

namespace {

using roadside::fuzz::check;

std::size_t count_elements(const roadside::xml::Element& e) {
  std::size_t n = 1;
  for (const auto& c : e.children()) n += count_elements(c);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside::xml;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  std::vector<Tag> tags;
  std::size_t open = 0, last_end = 0;
  const bool scanned = scan_tags(text, [&](const Tag& t) {
    check(t.begin < t.end && t.end <= text.size() && t.begin >= last_end);
    check(text[t.begin] == '<' && text[t.end - 1] == '>');
    switch (t.kind) {
      case Tag::Kind::start: check(t.depth == open++); break;
      case Tag::Kind::empty: check(t.depth == open && text[t.end - 2] == '/'); break;
      case Tag::Kind::end: check(open > 0 && t.depth == --open); break;
    }
    check(t.qname.data() >= text.data() + t.begin && t.qname.data() + t.qname.size() <= text.data() + t.end);
    check(t.local_name().size() <= t.qname.size() && t.prefix().size() <= t.qname.size());
    if (t.kind != Tag::Kind::end) {
      const std::string_view tag = text.substr(t.begin, t.end - t.begin);
      for (std::string_view name : {"id", "location", "xmlns", "a"}) {
        if (auto r = attribute_value_range(tag, name)) {
          check(r->first <= r->second && r->second < tag.size() && r->first > 0);
          check(tag[r->first - 1] == tag[r->second] && (tag[r->second] == '"' || tag[r->second] == '\''));
        }
      }
    }
    last_end = t.end;
    tags.push_back(t);
    return true;
  });
  (void)attribute_value_range(text, "a");

  auto doc = Document::parse(text);
  if (!doc.ok()) return 0;
  const Element root = doc->root();
  // No DOCTYPE, so no entity: a reference only shrinks (&lt; is one byte, &#x10FFFF; four),
  // and UTF-8 is read as UTF-8, byte for byte.
  check(root.text().size() <= text.size());
  // What the parser accepted, the scan reads the same way.
  check(scanned && open == 0 && !tags.empty());
  std::size_t elements = 0;
  for (const auto& t : tags) {
    check(!t.qname.empty());
    if (t.kind != Tag::Kind::end) ++elements;
  }
  check(elements == count_elements(root));
  // (An undeclared prefix leaves libxml2's name as "p:local" with no namespace.)
  const std::string root_qname = root.prefix().empty() ? std::string(root.name()) : std::string(root.prefix()) + ":" + std::string(root.name());
  check(tags.front().qname == root_qname && tags.front().depth == 0);
  return 0;
}
