// The admin console's files (web/: HTML, JavaScript, CSS, images), built into the binary so
// the console needs no files beside it and loads nothing from elsewhere. The admin API's front
// serves them (admin/http_front.h).
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace roadside::console {

// One file as the build embedded it (cmake/embed_files.cmake).
struct EmbeddedFile {
  std::string_view path;  // relative to web/: "index.html", "pages/dashboard.js"
  std::string_view body;
  std::string_view etag;  // the quoted SHA-256 of the body
};
std::span<const EmbeddedFile> embedded_files();

struct Asset {
  std::string_view body;
  std::string_view content_type;  // from the file's extension; application/octet-stream if unknown
  std::string_view etag;
};

// The file at a URL path under the console ("/" is index.html; "/console/app.js" is web/app.js).
// nullopt for any other path: no such file, or a path that is not one of them byte for byte.
std::optional<Asset> find_asset(std::string_view url_path);

// The Content-Security-Policy every console page is served with: its own scripts, styles,
// images and API only; no inline script, no frames, no other origin.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

}  // namespace roadside::console
