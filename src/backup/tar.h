// Tar archives as GNU tar writes them, which is what X-Road's backups are (`tar --create
// --label`): 512-byte ustar headers, GNU long names ('L'), pax extended headers ('x', their
// path), the volume label ('V'), regular files and directories. Read as a stream, one member
// at a time, from bytes nobody vouched for: every header's checksum is checked, sizes and
// counts are bounded, and a name is only given out once it is a relative path that stays in
// the archive (no "..", no leading '/').
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace roadside::backup {

enum class TarType { file, directory, other };  // other: links, devices, ... (skipped by readers)

struct TarHeader {
  std::string name;  // relative, '/'-separated, without a trailing '/'
  TarType type = TarType::file;
  std::uint64_t size = 0;
  std::uint32_t mode = 0644;
  std::int64_t mtime = 0;  // seconds since the epoch
};

struct TarLimits {
  std::size_t max_members = 100'000;
  std::uint64_t max_member_bytes = std::uint64_t{16} << 30;  // what one member may declare
  std::size_t max_name_bytes = 4096;
};

// Reads an archive from `in`, which must outlive it. Errors (errc::invalid_argument from
// std::errc, with a detail naming the member and what is wrong) end the reading.
class TarReader {
 public:
  explicit TarReader(std::istream& in, TarLimits limits = {}) : in_(in), limits_(limits) {}

  // The next member's header, or std::nullopt at the archive's end. The volume label, when
  // the archive starts with one, is label() and not a member. A member whose data was not
  // read is skipped.
  Result<std::optional<TarHeader>> next();
  // The volume label ("" without one), known after the first next().
  const std::string& label() const { return label_; }

  // The current member's data: whole, when it is at most `limit` bytes (else an error), or
  // copied to `out`.
  Result<std::string> read(std::uint64_t limit);
  Status copy_to(std::ostream& out);

 private:
  Status skip_rest();
  Result<std::string> read_block_data(std::uint64_t size, std::uint64_t limit);

  std::istream& in_;
  TarLimits limits_;
  std::string label_;
  std::uint64_t remaining_ = 0;  // of the current member's data
  std::uint64_t padding_ = 0;    // after it, to the next block
  std::size_t members_ = 0;
  bool first_ = true;
  bool ended_ = false;
};

// The longest volume label a header holds; a longer one is cut to it when written.
inline constexpr std::size_t kMaxLabelBytes = 99;

// Writes an archive to `out` as GNU tar would: the volume label first (when not empty), then
// each member (a long name in a GNU 'L' record), then the two zero blocks of its end.
class TarWriter {
 public:
  explicit TarWriter(std::ostream& out) : out_(out) {}
  Status label(const std::string& label, std::int64_t mtime);
  Status directory(const std::string& name, std::uint32_t mode, std::int64_t mtime);
  Status file(const std::string& name, std::string_view data, std::uint32_t mode, std::int64_t mtime);
  // A file of `size` bytes read from `in`.
  Status file(const std::string& name, std::istream& in, std::uint64_t size, std::uint32_t mode, std::int64_t mtime);
  Status finish();

 private:
  Status header(const std::string& name, char type, std::uint64_t size, std::uint32_t mode, std::int64_t mtime);
  std::ostream& out_;
};

// Whether `head` (a file's first bytes) starts with a tar header: a 512-byte block whose
// checksum holds (GNU tar's volume label has no ustar magic), as an OpenPGP message never does.
bool looks_like_tar(std::string_view head);

// Whether `name` is a relative path that stays inside the folder it is extracted to.
bool safe_member_name(std::string_view name);

}  // namespace roadside::backup
