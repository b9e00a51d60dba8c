// Internal to servicedesc: a JSON or YAML document read into a small tree within limits, for
// the OpenAPI reader. Neither library's own tree is used: nlohmann's SAX interface and
// yaml-cpp's event interface feed one builder that counts every node (an alias counts as
// many as the node it repeats, so an alias bomb is refused before it is walked), limits the
// nesting (yaml-cpp recurses once per level; the builder stops it early), and refuses a key
// twice in one mapping.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace roadside::servicedesc {

struct DocumentLimits {
  std::size_t max_depth = 64;         // nested mappings and sequences
  std::size_t max_nodes = 1'000'000;  // nodes, keys included, with aliases expanded
};

struct Node {
  enum class Kind { null, scalar, sequence, mapping };
  Kind kind = Kind::null;
  std::string text;                                                          // a scalar's text
  std::vector<std::shared_ptr<const Node>> items;                            // a sequence's
  std::vector<std::pair<std::string, std::shared_ptr<const Node>>> entries;  // a mapping's, in order

  bool is_mapping() const { return kind == Kind::mapping; }
  bool is_scalar() const { return kind == Kind::scalar; }
  // A mapping's value for `key`, or nullptr (for any other kind too).
  const Node* get(std::string_view key) const;
};

// The first document in `bytes`: JSON when it starts with '{' or '[' and is JSON, else YAML
// (YAML 1.2 reads JSON too, but not every JSON that nlohmann reads). Scalars are kept as
// their text (JSON numbers as written, true/false as such); a mapping key must be a scalar.
// errc::invalid_argument (base) naming the cause and where: not well-formed, over a limit, a
// key twice in one mapping, an alias to an unfinished node (a cycle) or an unknown anchor.
Result<std::shared_ptr<const Node>> parse_document(std::string_view bytes, const DocumentLimits& limits);

}  // namespace roadside::servicedesc
