// Where the tags are in XML text, by byte offsets: for the few places that must edit a
// message as its sender wrote it (the requestHash put into a service's response, a
// metaservice's answer built on the request's envelope, the endpoints of a WSDL), where
// re-serialising a DOM would change bytes that are signed or hashed.
//
// The scan is one pass with no recursion and no backtracking, so its cost is linear in the
// text whatever the text holds. It reads markup only: comments, processing instructions,
// CDATA sections and a DOCTYPE are skipped whole, attribute values are skipped by their
// quotes. It does not check well-formedness: callers parse the same text with
// xml::Document first and use the scan only to find offsets in it.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>

namespace roadside::xml {

// XML's white space (S): space, tab, CR, LF.
bool is_space(char c);

struct Tag {
  enum class Kind { start, end, empty };  // <a ...>, </a>, <a .../>
  Kind kind;
  std::string_view qname;  // "prefix:local" or "local", as written
  std::size_t begin;       // offset of '<'
  std::size_t end;         // offset just past '>'
  std::size_t depth;       // elements open around this one (the root's tags: 0)

  std::string_view local_name() const;
  std::string_view prefix() const;  // "" when the name has none
};

// Calls `visit` with every tag in document order until it returns false. Returns false when
// the text ends inside a construct or an end tag closes nothing (not well-formed), true
// otherwise.
bool scan_tags(std::string_view text, const std::function<bool(const Tag&)>& visit);

// The offsets [first, second) of the value of attribute `name` (as written, with its prefix)
// inside `start_tag` (the bytes of one start or empty tag), without its quotes.
std::optional<std::pair<std::size_t, std::size_t>> attribute_value_range(std::string_view start_tag,
                                                                         std::string_view name);

}  // namespace roadside::xml
