// Reading and writing local files safely: a read refuses a file over a size limit before
// reading any of it; a write replaces a file whole or not at all.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace roadside {

// The whole file. A file over `limit` bytes is refused with base::errc::too_large, an
// unreadable one with base::errc::io_error; the detail names the file.
Result<std::string> read_file_limited(const std::filesystem::path& path, std::uintmax_t limit);

// Writes `path` whole or not at all: a temporary file beside it, flushed to disk, renamed
// over it. Parent folders are created. A secret file is mode 0600 from its creation on.
// Failures are base::errc::io_error naming the file and the OS error.
enum class FileMode { normal, secret };
Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                             FileMode mode = FileMode::normal);

}  // namespace roadside
