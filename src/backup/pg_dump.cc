#include "backup/pg_dump.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <system_error>

#include <zlib.h>

namespace roadside::backup {
namespace {

Error bad(const std::string& what) {
  return Error(std::make_error_code(std::errc::invalid_argument), "pg_dump archive: " + what);
}

// The archive's block types and data-offset flags (PostgreSQL's pg_backup_archiver.h).
constexpr int kBlockData = 1;
constexpr int kBlockLargeObjects = 3;
constexpr int kArchiveCustom = 1;

enum class Compression { none, gzip };

// Reads the archive's primitive values in order: bytes, its integers (a sign byte and intSize
// little-endian bytes), strings (an integer length, -1 for NULL, then the bytes) and offsets.
class Cursor {
 public:
  Cursor(std::string_view bytes, const PgDumpLimits& limits) : bytes_(bytes), limits_(limits) {}

  bool at_end() const { return at_ == bytes_.size(); }
  std::size_t position() const { return at_; }

  Result<unsigned char> byte() {
    if (at_ >= bytes_.size()) return bad("ends early, at byte " + std::to_string(at_));
    return static_cast<unsigned char>(bytes_[at_++]);
  }
  Result<std::string_view> take(std::size_t n) {
    if (bytes_.size() - at_ < n)
      return bad("ends early: " + std::to_string(n) + " bytes wanted at " + std::to_string(at_));
    auto out = bytes_.substr(at_, n);
    at_ += n;
    return out;
  }
  void set_int_size(std::size_t n) { int_size_ = n; }
  void set_offset_size(std::size_t n) { offset_size_ = n; }

  Result<std::int64_t> integer() {
    ROADSIDE_TRY(unsigned char sign, byte());
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < int_size_; ++i) {
      ROADSIDE_TRY(unsigned char b, byte());
      if (b == 0) continue;
      if (i >= 4) return bad("an integer larger than 32 bits at byte " + std::to_string(at_));
      v |= std::uint64_t{b} << (8 * i);
    }
    if (sign > 1) return bad("an integer's sign byte is " + std::to_string(sign));
    return sign ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
  }
  // A string; std::nullopt for NULL.
  Result<std::optional<std::string>> string() {
    ROADSIDE_TRY(std::int64_t n, integer());
    if (n < 0) return std::optional<std::string>();
    if (static_cast<std::uint64_t>(n) > limits_.max_string)
      return bad("a string of " + std::to_string(n) + " bytes (the limit is " + std::to_string(limits_.max_string) +
                 ")");
    ROADSIDE_TRY(std::string_view s, take(static_cast<std::size_t>(n)));
    return std::optional<std::string>(std::string(s));
  }
  Result<std::string> text() {
    ROADSIDE_TRY(auto s, string());
    return s.value_or(std::string());
  }
  // Fields read past: `strings` strings.
  Status skip_strings(int strings) {
    for (int i = 0; i < strings; ++i) ROADSIDE_TRY_STATUS(string());
    return {};
  }
  // A data offset: its flag byte and offSize bytes (the value is not needed: blocks are read in order).
  Status offset() {
    ROADSIDE_TRY(unsigned char flag, byte());
    if (flag < 1 || flag > 3) return bad("a data offset's flag is " + std::to_string(flag));
    ROADSIDE_TRY(auto skipped, take(offset_size_));
    (void)skipped;
    return {};
  }

 private:
  std::string_view bytes_;
  const PgDumpLimits& limits_;
  std::size_t at_ = 0;
  std::size_t int_size_ = 4;
  std::size_t offset_size_ = 8;
};

struct Entry {
  std::string tag, desc, copy_statement, schema;
  bool has_data = false;
};

// Inflates a zlib stream fed in chunks, up to `limit` bytes out.
class Inflater {
 public:
  explicit Inflater(std::size_t limit) : limit_(limit) { ok_ = inflateInit(&z_) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&z_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  Status feed(std::string_view chunk, std::string& out) {
    if (!ok_) return bad("zlib could not start");
    if (done_) {
      if (chunk.empty()) return {};
      return bad("data after the end of a compressed stream");
    }
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
    z_.avail_in = static_cast<uInt>(chunk.size());
    char buffer[16384];
    while (z_.avail_in > 0 && !done_) {
      z_.next_out = reinterpret_cast<Bytef*>(buffer);
      z_.avail_out = sizeof buffer;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END)
        return bad(std::string("compressed data is corrupt (zlib: ") + (z_.msg ? z_.msg : "error") + ")");
      const std::size_t made = sizeof buffer - z_.avail_out;
      if (out.size() + made > limit_) return bad("a table's data is larger than " + std::to_string(limit_) + " bytes");
      out.append(buffer, made);
      if (rc == Z_STREAM_END) done_ = true;
      if (rc == Z_OK && made == 0 && z_.avail_in > 0) return bad("compressed data makes no progress");
    }
    if (z_.avail_in > 0) return bad("data after the end of a compressed stream");
    return {};
  }
  Status finish() const { return done_ ? Status{} : Status(bad("a compressed stream ends early")); }

 private:
  z_stream z_{};
  std::size_t limit_;
  bool ok_ = false, done_ = false;
};

// The chunks of one data block (an integer length, the bytes; a zero length ends them),
// decompressed into `out`, or skipped when `out` is null.
Status read_chunks(Cursor& in, Compression compression, std::size_t limit, std::string* out) {
  std::optional<Inflater> inflater;
  if (out && compression == Compression::gzip) inflater.emplace(limit);
  while (true) {
    ROADSIDE_TRY(std::int64_t n, in.integer());
    if (n == 0) break;
    if (n < 0) return bad("a data chunk of negative length");
    ROADSIDE_TRY(std::string_view chunk, in.take(static_cast<std::size_t>(n)));
    if (!out) continue;
    if (inflater) {
      ROADSIDE_TRY_STATUS(inflater->feed(chunk, *out));
    } else {
      if (out->size() + chunk.size() > limit)
        return bad("a table's data is larger than " + std::to_string(limit) + " bytes");
      out->append(chunk);
    }
  }
  if (inflater) return inflater->finish();
  return {};
}

bool version_at_least(int major, int minor, int want_major, int want_minor) {
  return major > want_major || (major == want_major && minor >= want_minor);
}

}  // namespace

std::optional<std::size_t> PgTable::column(std::string_view wanted) const {
  auto it = std::find(columns.begin(), columns.end(), wanted);
  if (it == columns.end()) return std::nullopt;
  return static_cast<std::size_t>(it - columns.begin());
}

const PgTable* PgDump::table(std::string_view schema, std::string_view name) const {
  for (const auto& t : tables) {
    if (t.schema == schema && t.name == name) return &t;
  }
  return nullptr;
}

Result<PgDump> read_pg_dump(std::string_view archive, const PgDumpLimits& limits) {
  Cursor in(archive, limits);
  ROADSIDE_TRY(std::string_view magic, in.take(5));
  if (magic != "PGDMP") return bad("not a pg_dump custom-format archive (no PGDMP at its start)");
  PgDump dump;
  ROADSIDE_TRY(unsigned char major, in.byte());
  ROADSIDE_TRY(unsigned char minor, in.byte());
  ROADSIDE_TRY(unsigned char revision, in.byte());
  (void)revision;
  dump.version_major = major;
  dump.version_minor = minor;
  const std::string version = std::to_string(major) + "." + std::to_string(minor);
  // 1.12 is pg_dump 9.5; 1.16 is 17 and 18.
  if (!version_at_least(major, minor, 1, 12) || version_at_least(major, minor, 1, 17))
    return bad("archive version " + version + " is not read (1.12 to 1.16 are: pg_dump 9.5 to 18)");
  auto at_least = [&](int a, int b) { return version_at_least(major, minor, a, b); };
  ROADSIDE_TRY(unsigned char int_size, in.byte());
  ROADSIDE_TRY(unsigned char offset_size, in.byte());
  if (int_size < 1 || int_size > 8 || offset_size < 1 || offset_size > 8)
    return bad("integer size " + std::to_string(int_size) + " or offset size " + std::to_string(offset_size) +
               " is not 1 to 8");
  in.set_int_size(int_size);
  in.set_offset_size(offset_size);
  ROADSIDE_TRY(unsigned char format, in.byte());
  if (format != kArchiveCustom)
    return bad("archive format " + std::to_string(format) + " is not the custom format (pg_dump -F c)");
  Compression compression = Compression::none;
  if (at_least(1, 15)) {
    ROADSIDE_TRY(unsigned char algorithm, in.byte());
    if (algorithm == 2 || algorithm == 3)
      return bad(std::string("its data is compressed with ") + (algorithm == 2 ? "LZ4" : "zstd") +
                 ", which is not read: dump with pg_dump -Z gzip or -Z 0");
    if (algorithm > 1) return bad("unknown compression algorithm " + std::to_string(algorithm));
    compression = algorithm == 1 ? Compression::gzip : Compression::none;
  } else {
    ROADSIDE_TRY(std::int64_t level, in.integer());
    if (level < -1 || level > 9) return bad("compression level " + std::to_string(level));
    compression = level == 0 ? Compression::none : Compression::gzip;
  }
  for (int i = 0; i < 7; ++i) {  // the creation time: sec, min, hour, mday, mon, year, isdst
    ROADSIDE_TRY(auto part, in.integer());
    (void)part;
  }
  ROADSIDE_TRY(dump.database, in.text());
  ROADSIDE_TRY(dump.server_version, in.text());
  ROADSIDE_TRY(dump.pg_dump_version, in.text());

  ROADSIDE_TRY(std::int64_t count, in.integer());
  if (count < 0 || static_cast<std::uint64_t>(count) > limits.max_entries)
    return bad("a table of contents of " + std::to_string(count) + " entries");
  std::map<std::int64_t, Entry> entries;
  std::vector<std::int64_t> order;
  for (std::int64_t i = 0; i < count; ++i) {
    ROADSIDE_TRY(std::int64_t id, in.integer());
    ROADSIDE_TRY(std::int64_t had_dumper, in.integer());
    Entry e;
    e.has_data = had_dumper != 0;
    ROADSIDE_TRY_STATUS(in.skip_strings(2));  // the catalog id: table oid, oid
    ROADSIDE_TRY(e.tag, in.text());
    ROADSIDE_TRY(e.desc, in.text());
    ROADSIDE_TRY_STATUS(in.integer());        // the section
    ROADSIDE_TRY_STATUS(in.skip_strings(2));  // the definition, the drop statement
    ROADSIDE_TRY(e.copy_statement, in.text());
    ROADSIDE_TRY(e.schema, in.text());
    ROADSIDE_TRY_STATUS(in.skip_strings(at_least(1, 14) ? 2 : 1));  // the tablespace, the access method
    if (at_least(1, 16)) ROADSIDE_TRY_STATUS(in.integer());         // relkind
    ROADSIDE_TRY_STATUS(in.skip_strings(2));                        // the owner, "false" (with OIDs)
    for (std::size_t deps = 0;; ++deps) {
      if (deps > limits.max_entries) return bad("entry " + std::to_string(id) + " has too many dependencies");
      ROADSIDE_TRY(auto dep, in.string());
      if (!dep) break;
    }
    ROADSIDE_TRY_STATUS(in.offset());
    if (entries.contains(id)) return bad("entry " + std::to_string(id) + " appears twice");
    order.push_back(id);
    entries.emplace(id, std::move(e));
  }

  // The data blocks, in order: a block type, the entry's id, the chunks.
  std::map<std::int64_t, std::string> data;
  std::size_t total = 0;
  while (!in.at_end()) {
    ROADSIDE_TRY(unsigned char type, in.byte());
    ROADSIDE_TRY(std::int64_t id, in.integer());
    auto entry = entries.find(id);
    if (entry == entries.end()) return bad("a data block for entry " + std::to_string(id) + ", which is not listed");
    if (type == kBlockData) {
      const bool wanted = entry->second.desc == "TABLE DATA";
      if (wanted && data.contains(id)) return bad("entry " + std::to_string(id) + " has two data blocks");
      std::string text;
      const std::size_t limit = std::min(limits.max_table_bytes, limits.max_total_bytes - total);
      ROADSIDE_TRY_STATUS(read_chunks(in, compression, limit, wanted ? &text : nullptr));
      total += text.size();
      if (wanted) data.emplace(id, std::move(text));
    } else if (type == kBlockLargeObjects) {
      for (std::size_t n = 0;; ++n) {
        if (n > limits.max_entries) return bad("too many large objects");
        ROADSIDE_TRY(std::int64_t oid, in.integer());
        if (oid == 0) break;
        ROADSIDE_TRY_STATUS(read_chunks(in, compression, 0, nullptr));
      }
    } else {
      return bad("unknown block type " + std::to_string(type) + " at byte " + std::to_string(in.position() - 1));
    }
  }

  std::size_t values_left = limits.max_values;
  for (std::int64_t id : order) {
    const Entry& e = entries.at(id);
    if (e.desc != "TABLE DATA") continue;
    const std::string where = "table " + e.schema + "." + e.tag;
    PgTable table{e.schema, e.tag, {}, {}};
    auto columns = copy_columns(e.copy_statement);
    if (!columns.ok()) return bad(where + ": " + columns.error().detail());
    if (columns->size() > limits.max_columns) return bad(where + " has too many columns");
    table.columns = std::move(columns).value();
    auto text = data.find(id);
    if (text != data.end()) {
      auto rows = parse_copy_text(text->second, table.columns.size(), values_left);
      if (!rows.ok()) return bad(where + ": " + rows.error().detail());
      table.rows = std::move(rows).value();
      values_left -= table.rows.size() * table.columns.size();
      std::string().swap(text->second);  // (the text is not needed once parsed)
    } else if (e.has_data) {
      return bad(where + " has no data block");
    }
    dump.tables.push_back(std::move(table));
  }
  return dump;
}

namespace {

Error bad_copy(const std::string& what) {
  return Error(std::make_error_code(std::errc::invalid_argument), what);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One field of COPY text, its escapes undone.
std::string unescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out += field[i];
      continue;
    }
    const char c = field[++i];
    switch (c) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x': {
        int v = 0, digits = 0;
        while (digits < 2 && i + 1 < field.size() && hex_digit(field[i + 1]) >= 0) {
          v = v * 16 + hex_digit(field[++i]);
          ++digits;
        }
        if (digits == 0) {
          out += 'x';
        } else {
          out += static_cast<char>(v);
        }
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0';
          for (int digits = 1; digits < 3 && i + 1 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '7';
               ++digits)
            v = v * 8 + (field[++i] - '0');
          out += static_cast<char>(v & 0xff);
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace

Result<std::vector<PgRow>> parse_copy_text(std::string_view text, std::size_t columns, std::size_t max_values) {
  if (columns == 0) return bad_copy("COPY data of a table without columns");
  const std::size_t max_rows = max_values / columns;
  std::vector<PgRow> rows;
  std::size_t line_number = 0;
  bool ended = false;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    if (end == std::string_view::npos) return bad_copy("COPY data does not end with a line break");
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    ++line_number;
    if (ended) {
      if (!line.empty())
        return bad_copy("COPY data goes on after its end marker (line " + std::to_string(line_number) + ")");
      continue;
    }
    if (line == "\\.") {
      ended = true;
      continue;
    }
    if (rows.size() >= max_rows)
      return bad_copy("more than " + std::to_string(max_values) + " values (line " + std::to_string(line_number) + ")");
    PgRow row;
    row.reserve(columns);
    std::size_t start = 0;
    while (true) {
      const std::size_t tab = line.find('\t', start);
      const std::string_view field =
          line.substr(start, tab == std::string_view::npos ? line.size() - start : tab - start);
      if (row.size() == columns)
        return bad_copy("line " + std::to_string(line_number) + " has more than " + std::to_string(columns) +
                        " columns");
      if (field == "\\N") {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(unescape(field));
      }
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (row.size() != columns)
      return bad_copy("line " + std::to_string(line_number) + " has " + std::to_string(row.size()) + " columns, not " +
                      std::to_string(columns));
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<std::string>> copy_columns(std::string_view s) {
  auto fail = [&] { return bad_copy("not a COPY statement as pg_dump writes it: " + std::string(s.substr(0, 200))); };
  if (s.rfind("COPY ", 0) != 0) return fail();
  std::size_t i = 5;
  // An identifier: unquoted up to a delimiter, or "quoted" with "" for a quote.
  auto identifier = [&](std::string& out) -> bool {
    out.clear();
    if (i < s.size() && s[i] == '"') {
      for (++i; i < s.size(); ++i) {
        if (s[i] != '"') {
          out += s[i];
        } else if (i + 1 < s.size() && s[i + 1] == '"') {
          out += '"';
          ++i;
        } else {
          ++i;
          return true;
        }
      }
      return false;
    }
    while (i < s.size() && s[i] != '.' && s[i] != ' ' && s[i] != ',' && s[i] != ')' && s[i] != '(') out += s[i++];
    return !out.empty();
  };
  std::string name;
  do {
    if (!identifier(name)) return fail();
  } while (i < s.size() && s[i] == '.' && ++i);
  if (s.substr(i, 2) != " (") return fail();
  i += 2;
  std::vector<std::string> columns;
  while (true) {
    if (!identifier(name)) return fail();
    columns.push_back(name);
    if (s.substr(i, 2) == ", ") {
      i += 2;
      continue;
    }
    if (i < s.size() && s[i] == ')') break;
    return fail();
  }
  if (s.substr(i).rfind(") FROM stdin;", 0) != 0) return fail();
  return columns;
}

std::optional<std::string> decode_bytea_hex(std::string_view value) {
  if (value.size() < 2 || value[0] != '\\' || value[1] != 'x' || value.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(value.size() / 2 - 1);
  for (std::size_t i = 2; i < value.size(); i += 2) {
    const int hi = hex_digit(value[i]), lo = hex_digit(value[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace roadside::backup
