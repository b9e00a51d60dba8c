// Fuzz target: what the proxies read from a REST request before an access check -- the
// service path after the service code, the query, and the header parts that travel between
// Security Servers. Beyond not crashing, it checks what the access check relies on:
//   - a normalised path never holds an empty, "." or ".." segment (as sent or decoded, with or
//     without ";parameters"), starts with "/" unless the raw path was empty, decodes segment
//     by segment to the path the access check sees, and normalises to itself;
//   - a header part that parses serialises back to the same bytes (nothing dropped or
//     added that a signature or a backend would see differently), with no CR or LF inside
//     a line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/identifiers.h"
#include "fuzz_checks.h"
#include "proxy/rest.h"

namespace {

using roadside::fuzz::check;

// "/a/b/" -> {"a", "b", ""}; "/" -> {""}.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    const std::size_t end = std::min(path.find('/', i + 1), path.size());
    out.push_back(path.substr(i + 1, end - i - 1));
    i = end;
  }
  return out;
}

void check_path(std::string_view raw) {
  using namespace roadside;
  auto p = proxy::normalize_service_path(raw);
  if (!p.ok()) return;
  check(raw.empty() == p->forwarded.empty() && raw.empty() == p->decoded.empty());
  if (raw.empty()) return;
  check(p->forwarded.front() == '/' && p->decoded.front() == '/');
  const auto sent = segments(p->forwarded), decoded = segments(p->decoded);
  check(sent.size() == decoded.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const bool last = i + 1 == sent.size();
    check(!sent[i].empty() || last);  // only a trailing slash leaves an empty segment
    const std::string_view bare = decoded[i].substr(0, decoded[i].find(';'));  // "..;x" is ".." to Java services
    check(bare != "." && bare != "..");
    auto d = roadside::percent_decode(sent[i]);
    check(d.ok() && *d == decoded[i]);
  }
  auto again = proxy::normalize_service_path(p->forwarded);
  check(again.ok() && again->forwarded == p->forwarded && again->decoded == p->decoded);
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside::proxy;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // A target as an information system sends it: path, then "?" and a query.
  const auto q = input.find('?');
  check_path(input.substr(0, q));
  check_path("/" + std::string(input));
  if (q != std::string_view::npos) {
    const std::string_view query = input.substr(q + 1);
    if (check_query(query).ok()) check(!has_line_break(query) && query.find(' ') == std::string_view::npos);
    (void)query_params(query, "a");
  }

  if (auto h = RestRequestHead::parse(input); h.ok()) {
    check(h->serialize() == input);
    check(!has_line_break(h->method) && !has_line_break(h->target) && h->target.front() == '/');
    for (const auto& f : h->headers) check(!f.name.empty() && !has_line_break(f.name) && !has_line_break(f.value));
    auto again = RestRequestHead::parse(h->serialize());
    check(again.ok() && again->method == h->method && again->target == h->target && again->headers.size() == h->headers.size());
  }
  if (auto h = RestResponseHead::parse(input); h.ok()) {
    check(h->status >= 200 && h->status <= 599 && h->serialize() == input);
    check(!has_line_break(h->reason));
    for (const auto& f : h->headers) check(!f.name.empty() && !has_line_break(f.name) && !has_line_break(f.value));
  }
  return 0;
}
