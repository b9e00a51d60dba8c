#include "xml/markup.h"

namespace roadside::xml {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

namespace {

bool ends_name(char c) {
  return is_space(c) || c == '>' || c == '/';
}

// The offset just past the first `terminator` at or after `from`, or npos.
std::size_t past(std::string_view text, std::size_t from, std::string_view terminator) {
  const std::size_t at = text.find(terminator, from);
  return at == std::string_view::npos ? at : at + terminator.size();
}

// The offset just past the '>' that closes the markup starting at `from`, skipping quoted
// values and, in a DOCTYPE (`subset`), the internal subset in brackets with '>' inside.
std::size_t past_close(std::string_view text, std::size_t from, bool subset) {
  char quote = 0;
  bool in_subset = false;
  for (std::size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (subset && (c == '[' || c == ']')) {
      in_subset = c == '[';
    } else if (c == '>' && !in_subset) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace

std::string_view Tag::local_name() const {
  const auto colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

std::string_view Tag::prefix() const {
  const auto colon = qname.find(':');
  return colon == std::string_view::npos ? std::string_view() : qname.substr(0, colon);
}

bool scan_tags(std::string_view text, const std::function<bool(const Tag&)>& visit) {
  std::size_t depth = 0;
  std::size_t i = 0;
  while ((i = text.find('<', i)) != std::string_view::npos) {
    const std::string_view rest = text.substr(i);
    std::size_t next;
    if (rest.starts_with("<!--")) {
      next = past(text, i + 4, "-->");
    } else if (rest.starts_with("<![CDATA[")) {
      next = past(text, i + 9, "]]>");
    } else if (rest.starts_with("<?")) {
      next = past(text, i + 2, "?>");
    } else if (rest.starts_with("<!")) {
      next = past_close(text, i + 2, /*subset=*/true);
    } else {
      const bool closing = rest.starts_with("</");
      const std::size_t name_at = i + (closing ? 2 : 1);
      std::size_t name_end = name_at;
      while (name_end < text.size() && !ends_name(text[name_end])) ++name_end;
      next = past_close(text, name_end, /*subset=*/false);
      if (next == std::string_view::npos) return false;
      Tag tag{Tag::Kind::start, text.substr(name_at, name_end - name_at), i, next, depth};
      if (closing) {
        if (depth == 0) return false;
        tag.kind = Tag::Kind::end;
        tag.depth = --depth;
      } else if (text[next - 2] == '/') {
        tag.kind = Tag::Kind::empty;
      } else {
        ++depth;
      }
      if (!visit(tag)) return true;
    }
    if (next == std::string_view::npos) return false;
    i = next;
  }
  return true;
}

std::optional<std::pair<std::size_t, std::size_t>> attribute_value_range(std::string_view tag, std::string_view name) {
  std::size_t i = 1;
  while (i < tag.size() && !ends_name(tag[i])) ++i;  // the element's name
  while (i < tag.size()) {
    while (i < tag.size() && is_space(tag[i])) ++i;
    const std::size_t name_at = i;
    while (i < tag.size() && tag[i] != '=' && !is_space(tag[i]) && tag[i] != '>' && tag[i] != '/') ++i;
    const std::string_view attr = tag.substr(name_at, i - name_at);
    while (i < tag.size() && is_space(tag[i])) ++i;
    if (attr.empty() || i >= tag.size() || tag[i] != '=') return std::nullopt;
    ++i;
    while (i < tag.size() && is_space(tag[i])) ++i;
    if (i >= tag.size() || (tag[i] != '"' && tag[i] != '\'')) return std::nullopt;
    const std::size_t value_at = i + 1;
    const std::size_t value_end = tag.find(tag[i], value_at);
    if (value_end == std::string_view::npos) return std::nullopt;
    if (attr == name) return std::make_pair(value_at, value_end);
    i = value_end + 1;
  }
  return std::nullopt;
}

}  // namespace roadside::xml
