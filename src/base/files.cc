#include "base/files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include "base/errors.h"

namespace roadside {

Result<std::string> read_file_limited(const std::filesystem::path& path, std::uintmax_t limit) {
  using base::errc;
  auto too_large = [&] {
    return Error(make_error_code(errc::too_large),
                 path.string() + " is larger than " + std::to_string(limit) + " bytes");
  };
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error(make_error_code(errc::io_error), "cannot read " + path.string() + ": " + ec.message());
  if (size > limit) return too_large();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(make_error_code(errc::io_error), "cannot read " + path.string() + ": " + std::strerror(errno));
  // The file may grow between the size check and the read: never read past the limit.
  std::string bytes(static_cast<std::size_t>(size) + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.bad()) return Error(make_error_code(errc::io_error), "cannot read " + path.string());
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.size() > limit) return too_large();
  return bytes;
}

Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes, FileMode mode) {
  auto failed = [&](const std::string& what) {
    return Error(make_error_code(base::errc::io_error),
                 "cannot " + what + " " + path.string() + ": " + std::strerror(errno));
  };
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  const std::string tmp = path.string() + ".tmp";
  // A temporary file left by a crash keeps its mode through O_CREAT: start from none, and
  // create exclusively so a secret is never written into a file others can read.
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode == FileMode::secret ? 0600 : 0644);
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
  if (::fsync(fd) != 0) {
    const Error e = failed("flush");
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  if (::close(fd) != 0) {
    const Error e = failed("close");
    ::unlink(tmp.c_str());
    return e;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const Error e = failed("replace");
    ::unlink(tmp.c_str());
    return e;
  }
  return {};
}

}  // namespace roadside
