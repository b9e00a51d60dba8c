#include "backup/tar.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <system_error>

namespace roadside::backup {
namespace {

constexpr std::size_t kBlock = 512;
using Block = std::array<char, kBlock>;

Error bad(const std::string& what) {
  return Error(std::make_error_code(std::errc::invalid_argument), "tar: " + what);
}

// A NUL- or end-terminated field.
std::string field(const Block& b, std::size_t at, std::size_t size) {
  const char* begin = b.data() + at;
  return std::string(begin, std::find(begin, begin + size, '\0'));
}

// An octal number field (spaces and NULs around it), or GNU's base-256 (high bit set).
std::optional<std::uint64_t> number(const Block& b, std::size_t at, std::size_t size) {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data() + at);
  if (p[0] & 0x80) {
    if (p[0] != 0x80) return std::nullopt;  // negative, or larger than fits
    std::uint64_t v = 0;
    for (std::size_t i = 1; i < size; ++i) {
      if (v >> 56) return std::nullopt;
      v = (v << 8) | p[i];
    }
    return v;
  }
  std::uint64_t v = 0;
  std::size_t i = 0;
  while (i < size && (p[i] == ' ' || p[i] == '\0')) ++i;
  bool digits = false;
  for (; i < size && p[i] >= '0' && p[i] <= '7'; ++i) {
    if (v >> 60) return std::nullopt;
    v = v * 8 + (p[i] - '0');
    digits = true;
  }
  for (; i < size; ++i) {
    if (p[i] != ' ' && p[i] != '\0') return std::nullopt;
  }
  if (!digits) return std::uint64_t{0};
  return v;
}

bool checksum_ok(const Block& b) {
  auto stored = number(b, 148, 8);
  if (!stored) return false;
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? static_cast<unsigned char>(' ') : static_cast<unsigned char>(b[i]);
  }
  return sum == *stored;
}

bool zero(const Block& b) {
  return std::all_of(b.begin(), b.end(), [](char c) { return c == '\0'; });
}

// The "path" of pax records ("<length> <key>=<value>\n" ...), or "".
std::string pax_path(std::string_view records) {
  while (!records.empty()) {
    const auto space = records.find(' ');
    if (space == std::string_view::npos || space == 0 || space > 20) return {};
    std::size_t length = 0;
    for (char c : records.substr(0, space)) {
      if (c < '0' || c > '9') return {};
      length = length * 10 + static_cast<std::size_t>(c - '0');
    }
    if (length <= space + 1 || length > records.size()) return {};
    const std::string_view record = records.substr(space + 1, length - space - 2);  // without the newline
    if (record.starts_with("path=")) return std::string(record.substr(5));
    records.remove_prefix(length);
  }
  return {};
}

std::string normalized(std::string name) {
  while (name.starts_with("./")) name.erase(0, 2);
  while (name.size() > 1 && name.back() == '/') name.pop_back();
  return name;
}

void put_octal(Block& b, std::size_t at, std::size_t size, std::uint64_t v) {
  // size - 1 digits and a NUL; values past them use GNU's base-256.
  if (size - 1 < 22 && v >> (3 * (size - 1))) {
    b[at] = static_cast<char>(0x80);
    for (std::size_t i = size - 1; i > 0; --i, v >>= 8) b[at + i] = static_cast<char>(v & 0xff);
    return;
  }
  for (std::size_t i = size - 1; i-- > 0; v >>= 3) b[at + i] = static_cast<char>('0' + (v & 7));
  b[at + size - 1] = '\0';
}

}  // namespace

bool looks_like_tar(std::string_view head) {
  if (head.size() < kBlock) return false;
  Block b;
  std::copy_n(head.data(), kBlock, b.data());
  return b[0] != '\0' && checksum_ok(b);
}

bool safe_member_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find('\0') != std::string_view::npos) return false;
  for (std::string_view rest = name; !rest.empty();) {
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part == ".." || part.empty()) return false;
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  return true;
}

Status TarReader::skip_rest() {
  std::array<char, 8192> buf{};
  std::uint64_t left = remaining_ + padding_;
  while (left > 0) {
    const auto n = static_cast<std::streamsize>(std::min<std::uint64_t>(left, buf.size()));
    in_.read(buf.data(), n);
    if (in_.gcount() != n) return bad("the archive ends inside a member");
    left -= static_cast<std::uint64_t>(n);
  }
  remaining_ = padding_ = 0;
  return {};
}

Result<std::string> TarReader::read_block_data(std::uint64_t size, std::uint64_t limit) {
  if (size > limit) return bad("a header record of " + std::to_string(size) + " bytes");
  std::string data(size, '\0');
  in_.read(data.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uint64_t>(in_.gcount()) != size) return bad("the archive ends inside a header record");
  const std::uint64_t pad = (kBlock - size % kBlock) % kBlock;
  in_.ignore(static_cast<std::streamsize>(pad));
  if (static_cast<std::uint64_t>(in_.gcount()) != pad) return bad("the archive ends inside a header record");
  return data;
}

Result<std::optional<TarHeader>> TarReader::next() {
  if (ended_) return std::optional<TarHeader>();
  ROADSIDE_TRY_STATUS(skip_rest());
  std::string long_name;
  for (;;) {
    Block b{};
    in_.read(b.data(), kBlock);
    if (in_.gcount() == 0 && in_.eof()) {  // an archive cut after its last member: taken as ended
      ended_ = true;
      return std::optional<TarHeader>();
    }
    if (in_.gcount() != static_cast<std::streamsize>(kBlock)) return bad("the archive ends inside a header");
    if (zero(b)) {
      ended_ = true;
      return std::optional<TarHeader>();
    }
    const std::string where = "member " + std::to_string(members_ + 1);
    if (!checksum_ok(b)) return bad(where + ": the header's checksum is wrong (not a tar archive?)");
    auto size = number(b, 124, 12);
    auto mode = number(b, 100, 8);
    auto mtime = number(b, 136, 12);
    if (!size || !mode || !mtime) return bad(where + ": a number in the header is not one");
    const char type = b[156];
    const bool first = std::exchange(first_, false);
    if (type == 'V') {  // GNU's volume label: the archive's first header
      if (!first) return bad(where + ": a volume label that is not first");
      label_ = field(b, 0, 100);
      if (*size != 0) ROADSIDE_TRY_STATUS(read_block_data(*size, limits_.max_name_bytes));
      continue;
    }
    if (type == 'L' || type == 'x') {  // the next member's long name
      ROADSIDE_TRY(const std::string data, read_block_data(*size, type == 'x' ? 64 * 1024 : limits_.max_name_bytes));
      long_name = type == 'L' ? data.substr(0, data.find('\0')) : pax_path(data);
      continue;
    }
    if (type == 'K' || type == 'g') {  // a long link name, global pax records: not used
      ROADSIDE_TRY_STATUS(read_block_data(*size, 64 * 1024));
      continue;
    }
    if (++members_ > limits_.max_members) return bad("more than " + std::to_string(limits_.max_members) + " members");
    TarHeader h;
    std::string name = long_name;
    if (name.empty()) {
      name = field(b, 0, 100);
      const std::string magic = field(b, 257, 6);
      const std::string prefix = magic == "ustar" ? field(b, 345, 155) : std::string();
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    h.name = normalized(name);
    if (h.name.size() > limits_.max_name_bytes || !safe_member_name(h.name))
      return bad(where + ": the name \"" + h.name.substr(0, 200) + "\" leaves the archive or is empty");
    h.type = (type == '0' || type == '\0' || type == '7') ? TarType::file
             : type == '5'                                ? TarType::directory
                                                          : TarType::other;
    h.mode = static_cast<std::uint32_t>(*mode & 07777);
    h.mtime = static_cast<std::int64_t>(std::min<std::uint64_t>(*mtime, std::uint64_t{1} << 62));
    // Links and devices carry no data; a directory none either.
    h.size = h.type == TarType::file ? *size : 0;
    if (h.size > limits_.max_member_bytes)
      return bad(h.name + ": " + std::to_string(h.size) + " bytes, over the limit");
    remaining_ = *size;
    padding_ = (kBlock - *size % kBlock) % kBlock;
    if (h.type != TarType::file) {
      ROADSIDE_TRY_STATUS(skip_rest());
    }
    return std::optional<TarHeader>(std::move(h));
  }
}

Result<std::string> TarReader::read(std::uint64_t limit) {
  if (remaining_ > limit)
    return bad("a member of " + std::to_string(remaining_) + " bytes, over " + std::to_string(limit));
  std::string data(remaining_, '\0');
  in_.read(data.data(), static_cast<std::streamsize>(remaining_));
  if (static_cast<std::uint64_t>(in_.gcount()) != remaining_) return bad("the archive ends inside a member");
  remaining_ = 0;
  ROADSIDE_TRY_STATUS(skip_rest());
  return data;
}

Status TarReader::copy_to(std::ostream& out) {
  std::array<char, 65536> buf{};
  while (remaining_ > 0) {
    const auto n = static_cast<std::streamsize>(std::min<std::uint64_t>(remaining_, buf.size()));
    in_.read(buf.data(), n);
    if (in_.gcount() != n) return bad("the archive ends inside a member");
    out.write(buf.data(), n);
    if (!out) return Error(std::make_error_code(std::errc::io_error), "tar: cannot write a member out");
    remaining_ -= static_cast<std::uint64_t>(n);
  }
  return skip_rest();
}

Status TarWriter::header(const std::string& name, char type, std::uint64_t size, std::uint32_t mode,
                         std::int64_t mtime) {
  if (name.size() > 100) {  // GNU's long name record first
    ROADSIDE_TRY_STATUS(header("././@LongLink", 'L', name.size() + 1, 0644, 0));
    out_.write(name.c_str(), static_cast<std::streamsize>(name.size() + 1));
    const std::size_t pad = (kBlock - (name.size() + 1) % kBlock) % kBlock;
    out_.write(std::string(pad, '\0').data(), static_cast<std::streamsize>(pad));
  }
  Block b{};
  std::memcpy(b.data(), name.data(), std::min<std::size_t>(name.size(), 100));
  put_octal(b, 100, 8, mode);
  put_octal(b, 108, 8, 0);
  put_octal(b, 116, 8, 0);
  put_octal(b, 124, 12, size);
  put_octal(b, 136, 12, static_cast<std::uint64_t>(std::max<std::int64_t>(mtime, 0)));
  b[156] = type;
  std::memcpy(b.data() + 257, "ustar  ", 8);  // GNU's magic and version
  std::memset(b.data() + 148, ' ', 8);
  std::uint64_t sum = 0;
  for (char c : b) sum += static_cast<unsigned char>(c);
  put_octal(b, 148, 7, sum);
  b[155] = ' ';
  out_.write(b.data(), kBlock);
  if (!out_) return Error(std::make_error_code(std::errc::io_error), "tar: cannot write");
  return {};
}

Status TarWriter::label(const std::string& label, std::int64_t mtime) {
  return header(label.substr(0, kMaxLabelBytes), 'V', 0, 0, mtime);
}

Status TarWriter::directory(const std::string& name, std::uint32_t mode, std::int64_t mtime) {
  return header(name + "/", '5', 0, mode, mtime);
}

Status TarWriter::file(const std::string& name, std::string_view data, std::uint32_t mode, std::int64_t mtime) {
  ROADSIDE_TRY_STATUS(header(name, '0', data.size(), mode, mtime));
  out_.write(data.data(), static_cast<std::streamsize>(data.size()));
  const std::size_t pad = (kBlock - data.size() % kBlock) % kBlock;
  out_.write(std::string(pad, '\0').data(), static_cast<std::streamsize>(pad));
  if (!out_) return Error(std::make_error_code(std::errc::io_error), "tar: cannot write " + name);
  return {};
}

Status TarWriter::file(const std::string& name, std::istream& in, std::uint64_t size, std::uint32_t mode,
                       std::int64_t mtime) {
  ROADSIDE_TRY_STATUS(header(name, '0', size, mode, mtime));
  std::array<char, 65536> buf{};
  for (std::uint64_t left = size; left > 0;) {
    const auto n = static_cast<std::streamsize>(std::min<std::uint64_t>(left, buf.size()));
    in.read(buf.data(), n);
    if (in.gcount() != n) return Error(std::make_error_code(std::errc::io_error), "tar: " + name + " ended early");
    out_.write(buf.data(), n);
    left -= static_cast<std::uint64_t>(n);
  }
  const std::size_t pad = (kBlock - size % kBlock) % kBlock;
  out_.write(std::string(pad, '\0').data(), static_cast<std::streamsize>(pad));
  if (!out_) return Error(std::make_error_code(std::errc::io_error), "tar: cannot write " + name);
  return {};
}

Status TarWriter::finish() {
  const std::string end(2 * kBlock, '\0');
  out_.write(end.data(), static_cast<std::streamsize>(end.size()));
  out_.flush();
  if (!out_) return Error(std::make_error_code(std::errc::io_error), "tar: cannot write");
  return {};
}

}  // namespace roadside::backup
