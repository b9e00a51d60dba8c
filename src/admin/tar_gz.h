// A gzip-compressed tar archive of a few small files, as X-Road exports its internal TLS
// certificate (certs.tar.gz). Written only, never read: POSIX ustar entries (mode 0644, the
// given time), in gzip's deflate "stored" blocks (no compression: the files are certificates).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace roadside::admin {

struct TarEntry {
  std::string name;  // at most 100 bytes (ustar's name field); longer is cut
  std::string data;
};

// The archive; `mtime` is each entry's modification time (seconds since the epoch).
std::string tar_gz(const std::vector<TarEntry>& entries, std::int64_t mtime);

}  // namespace roadside::admin
