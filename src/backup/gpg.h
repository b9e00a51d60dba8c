// The OpenPGP wrapping of X-Road's backups, through gpg (X-Road's own scripts run it): a
// message signed, or signed and encrypted, whose content is the tar archive.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace roadside::backup {

struct GpgOptions {
  std::filesystem::path gpg = "/usr/bin/gpg";
  // The keyring to check the signature with (and to decrypt with): X-Road's
  // /etc/xroad/gpghome. Empty: the content is taken without checking any signature, and an
  // encrypted message cannot be opened.
  std::filesystem::path home;
  // With a home: whether the message must carry a good signature of one of its keys (X-Road's
  // backups), or is only to be decrypted with them (Roadside's, signed inside).
  bool check_signature = true;
  std::size_t max_bytes = std::size_t{1} << 30;  // of the content
  std::chrono::milliseconds timeout{300'000};
};

struct Unwrapped {
  std::string content;
  // With a home: the fingerprint of the key whose good signature gpg reported (VALIDSIG).
  std::optional<std::string> signed_by;
};

// The content of the OpenPGP message in `file`. With options.home the signature must be good
// (gpg's GOODSIG and VALIDSIG, exit 0), else std::errc::permission_denied says why (an unknown
// or bad signature, a message that does not read); without it the signature is not checked.
// std::errc::bad_message when gpg cannot read the message without a keyring, or an encrypted
// one's key is not at hand (gpg's words in the detail); base::errc::io_error when gpg cannot be
// run or does not end in time.
Result<Unwrapped> gpg_unwrap(const std::filesystem::path& file, const GpgOptions& options);

// `content` encrypted with gpg for every one of `recipients` (key ids, fingerprints or user ids
// of public keys in `options.home`), AES-256, not compressed, not signed. base::errc::io_error
// naming gpg's words when a recipient is unknown or gpg fails.
Result<std::string> gpg_encrypt(std::string_view content, const std::vector<std::string>& recipients,
                                const GpgOptions& options);

}  // namespace roadside::backup
