#include "messagelog/zip_stream.h"

#include <array>
#include <ctime>

#include "messagelog/zip.h"

namespace roadside::messagelog {
namespace {

constexpr std::uint64_t kMaxZip32 = 0xFFFFFFFFull;
constexpr std::size_t kMaxEntries = 0xFFFF;
constexpr std::uint16_t kUtf8Names = 0x0800;             // general purpose flag bit 11
constexpr std::uint16_t kVersionNeeded = 10;             // 1.0: stored entries
constexpr std::uint16_t kVersionMadeBy = (3 << 8) | 30;  // Unix, 3.0
constexpr std::uint32_t kRegularFileMode = 0100644u << 16;

const std::array<std::uint32_t, 256>& crc_table() {
  static const auto table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

void le16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>(v >> 8);
}
void le32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

Error too_large(std::string detail) {
  return Error(make_error_code(errc::too_large), std::move(detail));
}

}  // namespace

std::uint32_t crc32(std::string_view data, std::uint32_t crc) {
  const auto& t = crc_table();
  crc = ~crc;
  for (const unsigned char c : data) crc = t[(crc ^ c) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

Status ZipStreamWriter::emit(const std::string& bytes) {
  if (auto st = sink_(bytes); !st.ok()) return st;
  offset_ += bytes.size();
  return {};
}

Status ZipStreamWriter::add(std::string_view name, std::string_view data, std::chrono::system_clock::time_point time) {
  if (entries_.size() == kMaxEntries) return too_large("a zip holds at most 65535 entries here");
  if (name.size() > 0xFFFF) return too_large("a zip entry's name is longer than 65535 bytes");
  if (offset_ + 30 + name.size() + data.size() > kMaxZip32) return too_large("the zip would be larger than 4 GiB");
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  if (tm.tm_year < 80) tm = std::tm{0, 0, 0, 1, 0, 80, 0, 0, 0, 0, nullptr};  // zip's epoch: 1980-01-01
  Entry e{std::string(name),
          crc32(data),
          static_cast<std::uint32_t>(data.size()),
          static_cast<std::uint32_t>(offset_),
          static_cast<std::uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2)),
          static_cast<std::uint16_t>(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday)};
  std::string header;
  le32(header, 0x04034b50);
  le16(header, kVersionNeeded);
  le16(header, kUtf8Names);
  le16(header, 0);  // stored
  le16(header, e.dos_time);
  le16(header, e.dos_date);
  le32(header, e.crc);
  le32(header, e.size);
  le32(header, e.size);
  le16(header, static_cast<std::uint16_t>(e.name.size()));
  le16(header, 0);
  header += e.name;
  if (auto st = emit(header); !st.ok()) return st;
  if (auto st = sink_(data); !st.ok()) return st;
  offset_ += data.size();
  entries_.push_back(std::move(e));
  return {};
}

Status ZipStreamWriter::finish() {
  const std::uint64_t start = offset_;
  std::string dir;
  for (const auto& e : entries_) {
    le32(dir, 0x02014b50);
    le16(dir, kVersionMadeBy);
    le16(dir, kVersionNeeded);
    le16(dir, kUtf8Names);
    le16(dir, 0);
    le16(dir, e.dos_time);
    le16(dir, e.dos_date);
    le32(dir, e.crc);
    le32(dir, e.size);
    le32(dir, e.size);
    le16(dir, static_cast<std::uint16_t>(e.name.size()));
    le16(dir, 0);  // extra
    le16(dir, 0);  // comment
    le16(dir, 0);  // disk
    le16(dir, 0);  // internal attributes
    le32(dir, kRegularFileMode);
    le32(dir, e.offset);
    dir += e.name;
  }
  if (start + dir.size() + 22 > kMaxZip32) return too_large("the zip would be larger than 4 GiB");
  const auto dir_size = static_cast<std::uint32_t>(dir.size());
  le32(dir, 0x06054b50);
  le16(dir, 0);
  le16(dir, 0);
  le16(dir, static_cast<std::uint16_t>(entries_.size()));
  le16(dir, static_cast<std::uint16_t>(entries_.size()));
  le32(dir, dir_size);
  le32(dir, static_cast<std::uint32_t>(start));
  le16(dir, 0);  // comment
  return emit(dir);
}

}  // namespace roadside::messagelog
