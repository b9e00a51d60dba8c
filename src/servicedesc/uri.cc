#include "servicedesc/uri.h"

namespace roadside::servicedesc {
namespace {

struct Parts {
  std::string scheme;
  std::optional<std::string> authority;
  std::string path;
  std::optional<std::string> query;
  std::optional<std::string> fragment;
};

bool scheme_char(char c, bool first) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return first ? alpha : alpha || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// RFC 3986 appendix B, by hand.
Parts split(std::string_view s) {
  Parts p;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ':' && i > 0) {
      p.scheme = std::string(s.substr(0, i));
      s.remove_prefix(i + 1);
      break;
    }
    if (!scheme_char(s[i], i == 0)) break;
  }
  if (const auto hash = s.find('#'); hash != std::string_view::npos) {
    p.fragment = std::string(s.substr(hash + 1));
    s = s.substr(0, hash);
  }
  if (const auto q = s.find('?'); q != std::string_view::npos) {
    p.query = std::string(s.substr(q + 1));
    s = s.substr(0, q);
  }
  if (s.starts_with("//")) {
    const auto end = s.find('/', 2);
    p.authority = std::string(s.substr(2, end == std::string_view::npos ? std::string_view::npos : end - 2));
    s = end == std::string_view::npos ? std::string_view() : s.substr(end);
  }
  p.path = std::string(s);
  return p;
}

// RFC 3986 section 5.2.4.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./") || in.starts_with("/./")) {
      in.remove_prefix(2);  // "./x" -> "x", "/./x" -> "/x"
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../") || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      const auto slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const auto next = in.find('/', in.front() == '/' ? 1 : 0);
      out += in.substr(0, next);
      in = next == std::string_view::npos ? std::string_view() : in.substr(next);
    }
  }
  return out;
}

std::string join(const Parts& p) {
  std::string out = p.scheme + ":";
  if (p.authority) out += "//" + *p.authority;
  out += p.path;
  if (p.query) out += "?" + *p.query;
  if (p.fragment) out += "#" + *p.fragment;
  return out;
}

}  // namespace

std::string uri_scheme(std::string_view uri) {
  std::string scheme = split(uri).scheme;
  for (char& c : scheme) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return scheme;
}

std::optional<std::string> resolve_uri(std::string_view base, std::string_view reference) {
  const Parts b = split(base);
  if (b.scheme.empty()) return std::nullopt;
  const Parts r = split(reference);
  Parts t;
  if (!r.scheme.empty()) {
    t = r;
    t.path = remove_dot_segments(r.path);
  } else {
    t.scheme = b.scheme;
    if (r.authority) {
      t.authority = r.authority;
      t.path = remove_dot_segments(r.path);
      t.query = r.query;
    } else {
      t.authority = b.authority;
      if (r.path.empty()) {
        t.path = b.path;
        t.query = r.query ? r.query : b.query;
      } else {
        if (r.path.front() == '/') {
          t.path = remove_dot_segments(r.path);
        } else if (b.authority && b.path.empty()) {
          t.path = remove_dot_segments("/" + r.path);
        } else {
          const auto slash = b.path.rfind('/');
          t.path =
              remove_dot_segments((slash == std::string::npos ? std::string() : b.path.substr(0, slash + 1)) + r.path);
        }
        t.query = r.query;
      }
    }
    t.fragment = r.fragment;
  }
  return join(t);
}

}  // namespace roadside::servicedesc
