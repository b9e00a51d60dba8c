// Zip archives in memory (libzip), with limits against zip bombs: ASiC-E containers and
// message-log archives are zips.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/errc.h"
#include "base/result.h"

namespace roadside::messagelog {

enum class errc {
  malformed = 1,             // not a readable zip / container / archive
  too_large,                 // over an entry or total size limit
  invalid_linking,           // the archive's linking chain does not verify
  unreadable,                // a file could not be read
  timestamping_failed,       // time-stamping has failed for longer than the acceptable period: no message is taken
  log_failed,                // a message could not be written to the message log: it is not taken
  body_too_large,            // a body over the largest loggable size, and truncation is not allowed
  no_timestamping_provider,  // no time-stamping service is configured: no message is taken
  transfer_failed,           // an archive file could not be transferred (S3: refused, unreachable, misconfigured)
};
const FaultCategory& messagelog_category() noexcept;
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), messagelog_category()};
}

struct ZipEntry {
  std::string name;
  std::string data;
  bool deflated = false;
  // Its modification time: written as the DOS time (2-second steps, local time as libzip
  // and Java both take it) and as the extended timestamp Java's ZipEntry writes (whole
  // seconds, UTC); none when written: the time of writing. Read back from the DOS time.
  std::optional<std::chrono::system_clock::time_point> mtime{};
};

struct ZipLimits {
  std::size_t max_entries = 10'000;
  std::uint64_t max_entry_bytes = 1ull << 30;  // uncompressed
  std::uint64_t max_total_bytes = 4ull << 30;  // uncompressed, all entries
};

struct ZipFile {
  std::vector<ZipEntry> entries;  // in the archive's order
  std::string comment;

  static Result<ZipFile> read(std::string_view bytes, const ZipLimits& limits = {});
  // Writes every entry deflated, in order, with the archive comment. errc::malformed when
  // libzip cannot keep one of them: names and the comment must be UTF-8 (libzip's rule),
  // names unique, the comment at most 65535 bytes.
  Result<std::string> write() const;
  const ZipEntry* find(std::string_view name) const;
};

}  // namespace roadside::messagelog

ROADSIDE_ERRC_ENUM(roadside::messagelog::errc)
