#include "base/files.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errors.h"

namespace roadside {
namespace {

Error io_error(const std::filesystem::path& path, const std::string& what, int err) {
  return Error(make_error_code(base::errc::io_error),
               "cannot " + what + " " + path.string() + ": " + std::strerror(err));
}

// Closes a descriptor when it goes out of scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Writes all of `bytes` to `fd`; errno on failure.
bool write_all(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Result<std::string> read_file_limited(const std::filesystem::path& path, std::uintmax_t limit) {
  // One open file for the checks and the read: a file replaced, grown or swapped for a FIFO
  // between a check by name and the read cannot be read in part or block the reader.
  const Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (f.fd < 0) return io_error(path, "read", errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return io_error(path, "read", errno);
  if (!S_ISREG(st.st_mode)) {
    return Error(make_error_code(base::errc::io_error), "cannot read " + path.string() + ": not a regular file");
  }
  auto too_large = [&] {
    return Error(make_error_code(base::errc::too_large),
                 path.string() + " is larger than " + std::to_string(limit) + " bytes");
  };
  if (static_cast<std::uintmax_t>(st.st_size) > limit) return too_large();
  // Read to the end, never past the limit: the file may still grow while it is read.
  std::string bytes;
  bytes.reserve(static_cast<std::size_t>(st.st_size));
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(path, "read", errno);
    if (n == 0) return bytes;
    if (bytes.size() + static_cast<std::size_t>(n) > limit) return too_large();
    bytes.append(buf, static_cast<std::size_t>(n));
  }
}

Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes, FileMode mode) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(make_error_code(base::errc::io_error), "cannot create " + dir.string() + ": " + ec.message());
  // A temporary name of its own, so two writers never write into one file, created 0600
  // (mkostemp) and opened up only for a file that is not secret.
  std::string tmp = path.string() + ".XXXXXX";
  const Fd f{::mkostemp(tmp.data(), O_CLOEXEC)};
  if (f.fd < 0) return io_error(path, "create a temporary file for", errno);
  auto fail = [&](const std::string& what) {
    Error e = io_error(path, what, errno);
    ::unlink(tmp.c_str());
    return e;
  };
  if (mode == FileMode::normal && ::fchmod(f.fd, 0644) != 0) return fail("set the mode of");
  if (!write_all(f.fd, bytes)) return fail("write");
  if (::fsync(f.fd) != 0) return fail("flush");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("replace");
  // The rename is durable once the folder is.
  const Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0 || ::fsync(d.fd) != 0) return io_error(dir, "flush the folder of", errno);
  return {};
}

Result<PrivateTempDir> PrivateTempDir::make(std::string_view prefix) {
  std::error_code ec;
  const std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  std::string pattern = ((ec ? std::filesystem::path("/tmp") : base) / (std::string(prefix) + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) return io_error(pattern, "make the folder", errno);  // (mkdtemp makes it 0700)
  return PrivateTempDir(pattern);
}

PrivateTempDir::PrivateTempDir(PrivateTempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

PrivateTempDir::~PrivateTempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace roadside
