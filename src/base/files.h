// Reading and writing local files safely: a read refuses a file over a size limit before
// reading any of it; a write replaces a file whole or not at all.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace roadside {

// The whole file, read through one open descriptor: a file over `limit` bytes (or growing
// past it while read) is refused with base::errc::too_large; an unreadable one, or one that
// is not a regular file (a FIFO, a device, a folder), with base::errc::io_error. The detail
// names the file.
Result<std::string> read_file_limited(const std::filesystem::path& path, std::uintmax_t limit);

// Writes `path` whole or not at all: a temporary file of its own beside it, flushed to
// disk, renamed over it, and the folder flushed so the rename survives a power loss. Parent
// folders are created. A secret file is mode 0600 from its creation on; others are 0644. A
// symbolic link at `path` is replaced, not written through. Failures are
// base::errc::io_error naming the file and the OS error; a failed write leaves the old file.
enum class FileMode { normal, secret };
Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                             FileMode mode = FileMode::normal);

// A folder only this user can read (0700), made under the system's temporary folder for what
// a helper program or a file-based API must find on disk for a moment (a keyring, key files),
// and removed with everything in it when this goes. base::errc::io_error when it cannot be made.
class PrivateTempDir {
 public:
  static Result<PrivateTempDir> make(std::string_view prefix);
  PrivateTempDir(PrivateTempDir&& other) noexcept;
  PrivateTempDir& operator=(PrivateTempDir&&) = delete;
  PrivateTempDir(const PrivateTempDir&) = delete;
  PrivateTempDir& operator=(const PrivateTempDir&) = delete;
  ~PrivateTempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit PrivateTempDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace roadside
