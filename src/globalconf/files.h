// Helpers the globalconf sources share: reading configuration files with a size limit,
// turning a Content-location into a safe relative path, and decoding the certificates that
// anchors and shared parameters carry.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/crypto.h"

namespace roadside::globalconf {

// The whole file, refusing files over `limit` bytes (errc::malformed) and unreadable ones
// (errc::unreadable).
Result<std::string> read_file_limited(const std::filesystem::path& path, std::uintmax_t limit);

// Writes `path` whole or not at all: a temporary file beside it, flushed to disk, renamed
// over it. Parent folders are created. A secret file is mode 0600 from its creation on.
enum class FileMode { normal, secret };
Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes, FileMode mode = FileMode::normal);

// A Content-location as a path relative to the parts folder; refuses empty locations and
// any "." or ".." segment, which could leave the folder.
Result<std::filesystem::path> part_path(std::string_view content_location);

// Anchors and shared parameters carry certificates as base64 of DER, or (in recent
// versions) as base64 of PEM text. `where` names the field in the error.
Result<crypto::Certificate> decode_certificate(std::string_view base64, std::string_view where);

}  // namespace roadside::globalconf
