// The keys message bodies are sealed with in the database (X-Road's
// messagelog-encryption-enabled). A key file holds one key per line:
//
//   <key id> <base64 of 32 random bytes>
//
// (blank lines and lines starting with '#' are skipped). The first key seals new records; every
// key opens the records that name it, so a new key goes on the first line and old ones stay
// below it until their records are archived and cleaned up. Make one with
//   printf 'k2026 %s\n' "$(openssl rand -base64 32)" > messagelog.keys
// The file must be readable by the server only (mode 0600 or 0400 is checked).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace roadside::messagelog {

class Sealer {
 public:
  // Reads a key file; errc::malformed naming the line, or the file's mode when others may read it.
  static Result<Sealer> from_file(const std::filesystem::path& path);
  // From "<id> <base64>" lines (tests, and from_file).
  static Result<Sealer> from_text(std::string_view text);
  ~Sealer();
  Sealer(Sealer&&) noexcept = default;
  Sealer& operator=(Sealer&&) noexcept = default;

  const std::string& current_key_id() const { return current_; }
  // Seals with the current key; `context` (what the bytes are) must be the same when opened.
  Result<std::string> seal(std::string_view plain, std::string_view context) const;
  // Opens bytes sealed with key `key_id`; errc::unreadable when the key is unknown or the bytes
  // do not open.
  Result<std::string> open(std::string_view key_id, std::string_view sealed, std::string_view context) const;

 private:
  Sealer() = default;
  std::string current_;
  std::map<std::string, std::string, std::less<>> keys_;  // id -> 32 bytes
};

}  // namespace roadside::messagelog
