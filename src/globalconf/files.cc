#include "globalconf/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes, FileMode mode) {
  auto failed = [&](const std::string& what) {
    return Error(make_error_code(errc::unreadable), "cannot " + what + " " + path.string() + ": " + std::strerror(errno));
  };
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  const std::string tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode == FileMode::secret ? 0600 : 0644);
  if (fd < 0) return failed("create a temporary file for");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const Error e = failed("write");
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return failed("flush");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const Error e = failed("replace");
    ::unlink(tmp.c_str());
    return e;
  }
  return {};
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
