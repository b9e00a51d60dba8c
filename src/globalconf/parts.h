// Helpers the globalconf sources share for the files a configuration is made of: reading
// one with a size limit as a globalconf error, turning a Content-location into a safe
// relative path, and decoding the certificates that anchors and shared parameters carry.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/crypto.h"

namespace roadside::globalconf {

// read_file_limited (base/files.h) with globalconf's errors: a file over `limit` bytes is
// errc::malformed (malformed_global_conf), an unreadable one errc::unreadable (io_error).
Result<std::string> read_conf_file(const std::filesystem::path& path, std::uintmax_t limit);

// A Content-location as a path relative to the parts folder; refuses empty locations and
// any "." or ".." segment, which could leave the folder.
Result<std::filesystem::path> part_path(std::string_view content_location);

// Anchors and shared parameters carry certificates as base64 of DER, or (in recent
// versions) as base64 of PEM text. `where` names the field in the error.
Result<crypto::Certificate> decode_certificate(std::string_view base64, std::string_view where);

}  // namespace roadside::globalconf
