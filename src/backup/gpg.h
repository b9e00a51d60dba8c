// The OpenPGP wrapping of X-Road's backups, through gpg (X-Road's own scripts run it): a
// message signed, or signed and encrypted, whose content is the tar archive.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "base/result.h"

namespace roadside::backup {

struct GpgOptions {
  std::filesystem::path gpg = "/usr/bin/gpg";
  // The keyring to check the signature with (and to decrypt with): X-Road's
  // /etc/xroad/gpghome. Empty: the content is taken without checking any signature, and an
  // encrypted message cannot be opened.
  std::filesystem::path home;
  std::size_t max_bytes = std::size_t{1} << 30;  // of the content
  std::chrono::milliseconds timeout{300'000};
};

struct Unwrapped {
  std::string content;
  // With a home: the fingerprint of the key whose good signature gpg reported (VALIDSIG).
  std::optional<std::string> signed_by;
};

// Whether `head` (a file's first bytes, 512 or more) is a tar archive (ustar magic) rather
// than an OpenPGP message.
bool looks_like_tar(std::string_view head);

// The content of the OpenPGP message in `file`. With options.home the signature must be good
// (gpg's GOODSIG and VALIDSIG), else std::errc::permission_denied says why; without it the
// signature is not checked. errc::io_error when gpg is missing or fails (its words in the
// detail): an encrypted message without the key, a message cut short, not OpenPGP.
Result<Unwrapped> gpg_unwrap(const std::filesystem::path& file, const GpgOptions& options);

}  // namespace roadside::backup
