#include "globalconf/files.h"

#include <fstream>
#include <sstream>

#include "globalconf/directory.h"

namespace roadside::globalconf {

Result<std::string> read_file_limited(const std::filesystem::path& path, std::uintmax_t limit) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error(make_error_code(errc::unreadable), "cannot read " + path.string() + ": " + ec.message());
  if (size > limit) {
    return Error(make_error_code(errc::malformed), path.string() + " is larger than " + std::to_string(limit) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  if (!in) return Error(make_error_code(errc::unreadable), "cannot read " + path.string());
  return s.str();
}

Result<std::filesystem::path> part_path(std::string_view content_location) {
  std::string_view rel = content_location;
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  if (rel.empty()) return Error(make_error_code(errc::malformed), "empty Content-location");
  const std::filesystem::path p(rel);
  for (const auto& seg : p) {
    if (seg == ".." || seg == ".") {
      return Error(make_error_code(errc::malformed), "unsafe Content-location \"" + std::string(content_location) + "\"");
    }
  }
  return p;
}

Result<crypto::Certificate> decode_certificate(std::string_view base64, std::string_view where) {
  auto bytes = crypto::base64_decode(base64);
  if (!bytes.ok()) return Error(make_error_code(errc::malformed), std::string(where) + ": not base64");
  auto cert = bytes->rfind("-----BEGIN", 0) == 0 ? crypto::Certificate::from_pem(*bytes)
                                                  : crypto::Certificate::from_der(*bytes);
  if (!cert.ok()) return Error(make_error_code(errc::malformed), std::string(where) + ": " + cert.error().detail());
  return cert;
}

}  // namespace roadside::globalconf
