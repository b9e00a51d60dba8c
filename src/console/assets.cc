#include "console/assets.h"

#include <algorithm>
#include <array>
#include <utility>

namespace roadside::console {

namespace {

constexpr std::string_view kPrefix = "/console/";

std::string_view content_type_of(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  const auto it = std::find_if(kTypes.begin(), kTypes.end(), [&](const auto& t) { return path.ends_with(t.first); });
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

}  // namespace

std::optional<Asset> find_asset(std::string_view url_path) {
  std::string_view path;
  if (url_path == "/" || url_path == "/console" || url_path == "/console/") {
    path = "index.html";
  } else if (url_path.starts_with(kPrefix)) {
    path = url_path.substr(kPrefix.size());
  } else {
    return std::nullopt;
  }
  for (const EmbeddedFile& file : embedded_files()) {
    if (file.path == path) return Asset{file.body, content_type_of(path), file.etag};
  }
  return std::nullopt;
}

}  // namespace roadside::console
