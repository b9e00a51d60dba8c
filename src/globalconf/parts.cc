#include "globalconf/parts.h"

#include "base/errors.h"
#include "base/files.h"
#include "globalconf/directory.h"

namespace roadside::globalconf {

Result<std::string> read_conf_file(const std::filesystem::path& path, std::uintmax_t limit) {
  auto bytes = read_file_limited(path, limit);
  if (bytes.ok()) return bytes;
  const bool too_large = bytes.error().code() == make_error_code(base::errc::too_large);
  return Error(make_error_code(too_large ? errc::malformed : errc::unreadable), bytes.error().detail());
}

Result<std::filesystem::path> part_path(std::string_view content_location) {
  std::string_view rel = content_location;
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  if (rel.empty()) return Error(make_error_code(errc::malformed), "empty Content-location");
  const std::filesystem::path p(rel);
  for (const auto& seg : p) {
    if (seg == ".." || seg == ".") {
      return Error(make_error_code(errc::malformed),
                   "unsafe Content-location \"" + std::string(content_location) + "\"");
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
