#include "admin/tar_gz.h"

#include <array>
#include <cstdio>

namespace roadside::admin {

namespace {

constexpr std::size_t kBlock = 512;

// An octal field of `width` bytes: digits, then a NUL.
void octal(std::string& header, std::size_t at, std::size_t width, std::uint64_t value) {
  std::array<char, 24> digits{};
  std::snprintf(digits.data(), digits.size(), "%0*llo", static_cast<int>(width - 1),
                static_cast<unsigned long long>(value));
  header.replace(at, width - 1, digits.data(), width - 1);
}

std::string tar(const std::vector<TarEntry>& entries, std::int64_t mtime) {
  std::string out;
  for (const auto& e : entries) {
    std::string header(kBlock, '\0');
    header.replace(0, std::min<std::size_t>(e.name.size(), 100), e.name.substr(0, 100));
    octal(header, 100, 8, 0644);                                                // mode
    octal(header, 108, 8, 0);                                                   // uid
    octal(header, 116, 8, 0);                                                   // gid
    octal(header, 124, 12, e.data.size());                                      // size
    octal(header, 136, 12, static_cast<std::uint64_t>(mtime < 0 ? 0 : mtime));  // mtime
    header[156] = '0';                                                          // a regular file
    header.replace(257, 6, "ustar\0", 6);
    header.replace(263, 2, "00");
    // The checksum: the header's bytes summed with its own field as spaces.
    header.replace(148, 8, 8, ' ');
    std::uint64_t sum = 0;
    for (const unsigned char c : header) sum += c;
    octal(header, 148, 7, sum);
    header[155] = ' ';
    out += header;
    out += e.data;
    out.append((kBlock - e.data.size() % kBlock) % kBlock, '\0');
  }
  out.append(2 * kBlock, '\0');  // the end: two empty blocks
  return out;
}

std::uint32_t crc32(const std::string& data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

// RFC 1952 around RFC 1951 stored blocks (at most 65535 bytes each).
std::string gzip_stored(const std::string& data) {
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  std::size_t at = 0;
  do {
    const std::size_t n = std::min<std::size_t>(data.size() - at, 65535);
    const bool last = at + n == data.size();
    out += static_cast<char>(last ? 1 : 0);
    out += static_cast<char>(n & 0xFF);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(~n & 0xFF);
    out += static_cast<char>((~n >> 8) & 0xFF);
    out.append(data, at, n);
    at += n;
  } while (at < data.size());
  le32(out, crc32(data));
  le32(out, static_cast<std::uint32_t>(data.size()));
  return out;
}

}  // namespace

std::string tar_gz(const std::vector<TarEntry>& entries, std::int64_t mtime) {
  return gzip_stored(tar(entries, mtime));
}

}  // namespace roadside::admin
