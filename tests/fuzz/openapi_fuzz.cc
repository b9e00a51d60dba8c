// Fuzz target: the OpenAPI reader (servicedesc::parse_openapi) and the bounded JSON/YAML tree
// under it (yaml-cpp's and nlohmann's parsers behind node, depth and alias limits). OpenAPI
// descriptions come from any URL an administrator enters. Beyond not crashing or exhausting
// memory (an alias bomb, deep nesting):
//   - a refusal is openapi_parsing_error (with its cause as metadata) or
//     unsupported_openapi_version, and explains itself;
//   - what is accepted has a version X-Road supports, a base URL that is http(s) or keeps a
//     variable, endpoints with upper-case methods X-Road knows, no template braces left in a
//     path segment, each method and path once, and no changes against itself.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "fuzz_checks.h"
#include "servicedesc/openapi.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace roadside::servicedesc;
  using roadside::fuzz::check;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = parse_openapi(text, "https://fuzz.example/api/openapi.yaml");
  if (!r.ok()) {
    const Failure& f = r.failure();
    roadside::fuzz::check_refusal(f.error());
    check(f.code() == errc::openapi_parsing_error || f.code() == errc::unsupported_openapi_version);
    check(f.code() != errc::openapi_parsing_error || f.metadata().size() == 1);
    return 0;
  }
  const OpenApiDescription& d = *r;
  check(d.version.starts_with("3.0") || d.version == "3.1.0");
  // http(s) with a host, whatever the scheme's case, unless the URL keeps a variable.
  std::string head = d.base_url.substr(0, 9);
  for (char& c : head) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  const bool http = (head.starts_with("http://") && head.size() > 7 && head[7] != '/') ||
                    (head.starts_with("https://") && head.size() > 8 && head[8] != '/');
  check(http || d.base_url.find('{') != std::string::npos);
  static constexpr std::array<std::string_view, 8> methods = {"GET",     "PUT",  "POST",  "DELETE",
                                                              "OPTIONS", "HEAD", "PATCH", "TRACE"};
  std::set<std::string> seen;
  for (const auto& e : d.endpoints) {
    check(std::find(methods.begin(), methods.end(), e.method) != methods.end());
    check(seen.insert(e.to_string()).second);
    // Every "{...}" within a segment became '*'.
    std::size_t open = 0;
    while ((open = e.path.find('{', open)) != std::string::npos) {
      const std::size_t end = std::min(e.path.find('/', open), e.path.size());
      check(e.path.substr(open, end - open).find('}') == std::string::npos);
      ++open;
    }
  }
  check(d.validation_warnings().empty() == d.warnings.empty());
  check(diff_endpoints(d.endpoints, d.endpoints).empty());
  return 0;
}
