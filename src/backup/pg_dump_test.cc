// PostgreSQL's custom-format archive, read without pg_restore: COPY text with every escape,
// archives of each version pg_dump 12 to 18 writes (made here by a writer that follows
// pg_dump's layout; dumps by the real pg_dump are read in xroadimport_test), and hostile
// archives: errors that say why, never a crash.
#include "backup/pg_dump.h"

#include <cstdint>

#include <gtest/gtest.h>
#include <zlib.h>

namespace roadside::backup {
namespace {

TEST(CopyText, RowsNullsAndEscapes) {
  auto rows = parse_copy_text("1\t\\N\ta\\tb\\nc\\\\d\n2\t\\\\N\t\\101\\x42\\.\n\\.\n\n\n", 3);
  ASSERT_TRUE(rows.ok()) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0][0], "1");
  EXPECT_EQ((*rows)[0][1], std::nullopt);
  EXPECT_EQ((*rows)[0][2], "a\tb\nc\\d");
  EXPECT_EQ((*rows)[1][1], "\\N");  // the text \N, not NULL
  EXPECT_EQ((*rows)[1][2], "AB.");
  // An empty field is the empty string; without an end marker the rows still count.
  auto empty = parse_copy_text("\t\n", 2);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)[0][0], "");
  EXPECT_EQ((*empty)[0][1], "");
}

TEST(CopyText, WrongShapesAreErrors) {
  EXPECT_FALSE(parse_copy_text("1\t2\n", 3).ok());
  EXPECT_FALSE(parse_copy_text("1\t2\t3\t4\n", 3).ok());
  EXPECT_FALSE(parse_copy_text("1\t2\t3", 3).ok());         // no line end
  EXPECT_FALSE(parse_copy_text("\\.\n1\t2\t3\n", 3).ok());  // rows after the end marker
  EXPECT_FALSE(parse_copy_text("x\n", 0).ok());
  // Many empty values in few bytes: the values, not the bytes, are bounded.
  std::string tabs;
  for (int i = 0; i < 10; ++i) tabs += "\t\t\n";
  auto many = parse_copy_text(tabs, 3, 20);
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.error().detail().find("more than 20 values"), std::string::npos) << many.error().detail();
  EXPECT_TRUE(parse_copy_text(tabs, 3, 30).ok());
  auto named = parse_copy_text("1\t2\n", 3);
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.error().detail().find("line 1 has 2 columns, not 3"), std::string::npos) << named.error().detail();
}

TEST(CopyStatement, ColumnsQuotedOrNot) {
  auto plain = copy_columns("COPY serverconf.client (id, conf_id, identifier) FROM stdin;\n");
  ASSERT_TRUE(plain.ok()) << plain.error().to_string();
  EXPECT_EQ(*plain, (std::vector<std::string>{"id", "conf_id", "identifier"}));
  auto quoted = copy_columns(R"(COPY "My ""Schema""".t ("a b", "Upper", c) FROM stdin;)");
  ASSERT_TRUE(quoted.ok()) << quoted.error().to_string();
  EXPECT_EQ(*quoted, (std::vector<std::string>{"a b", "Upper", "c"}));
  EXPECT_FALSE(copy_columns("INSERT INTO t VALUES (1);").ok());
  EXPECT_FALSE(copy_columns("COPY t FROM stdin;").ok());
  EXPECT_FALSE(copy_columns("COPY t (a, \"b) FROM stdin;").ok());
}

TEST(Bytea, HexOutput) {
  EXPECT_EQ(decode_bytea_hex("\\x30820a"), std::string("\x30\x82\x0a", 3));
  EXPECT_EQ(decode_bytea_hex("\\x"), std::string());
  EXPECT_EQ(decode_bytea_hex("\\x3"), std::nullopt);
  EXPECT_EQ(decode_bytea_hex("\\xzz"), std::nullopt);
  EXPECT_EQ(decode_bytea_hex("\\060"), std::nullopt);  // the escape output format
}

// An archive laid out as pg_dump writes one (pg_backup_archiver.c WriteHead/WriteToc,
// pg_backup_custom.c): one TABLE DATA entry and, with `blobs`, a large-object block.
struct ArchiveSpec {
  int minor = 14;
  int compression = -1;  // 1.14: a zlib level (0 none); 1.15+: 0 none, 1 gzip, 2 lz4, 3 zstd
  std::string copy = "COPY s.t (id, name) FROM stdin;\n";
  std::string data = "1\tone\n2\t\\N\n\\.\n\n\n";
  bool blobs = false;
};

class Writer {
 public:
  void byte(int b) { out += static_cast<char>(b); }
  void integer(std::int64_t v) {
    byte(v < 0 ? 1 : 0);
    std::uint64_t u = v < 0 ? static_cast<std::uint64_t>(-v) : static_cast<std::uint64_t>(v);
    for (int i = 0; i < 4; ++i) byte(static_cast<int>((u >> (8 * i)) & 0xff));
  }
  void string(const std::optional<std::string>& s) {
    if (!s) return integer(-1);
    integer(static_cast<std::int64_t>(s->size()));
    out += *s;
  }
  std::string out;
};

std::string zlib(const std::string& text) {
  uLongf size = compressBound(static_cast<uLong>(text.size()));
  std::string out(size, '\0');
  compress(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(text.data()),
           static_cast<uLong>(text.size()));
  out.resize(size);
  return out;
}

std::string archive(const ArchiveSpec& a) {
  Writer w;
  w.out = "PGDMP";
  for (int b : {1, a.minor, 0, 4, 8, 1}) w.byte(b);
  if (a.minor >= 15) {
    w.byte(a.compression);
  } else {
    w.integer(a.compression);
  }
  for (int t : {1, 2, 3, 4, 5, 126, 0}) w.integer(t);
  for (const char* s : {"serverconf", "15.8", "17.2"}) w.string(s);
  const int entries = a.blobs ? 3 : 2;
  w.integer(entries);
  auto entry = [&](int id, bool data, const std::string& tag, const std::string& desc,
                   const std::optional<std::string>& copy) {
    w.integer(id);
    w.integer(data ? 1 : 0);
    w.string("0");
    w.string("16385");
    w.string(tag);
    w.string(desc);
    w.integer(3);
    w.string("");
    w.string("");
    w.string(copy);
    w.string("s");
    w.string("");
    w.string("heap");                   // tableam, 1.14+
    if (a.minor >= 16) w.integer('r');  // relkind, 1.16+
    w.string("");
    w.string("false");
    w.string("1");
    w.string(std::nullopt);
    w.byte(1);  // offset not set (a pipe), then 8 bytes
    for (int i = 0; i < 8; ++i) w.byte(0);
  };
  entry(1, false, "t", "TABLE", std::nullopt);
  entry(2, true, "t", "TABLE DATA", a.copy);
  if (a.blobs) entry(3, true, "BLOBS", "BLOBS", std::nullopt);
  const bool compressed = a.minor >= 15 ? a.compression == 1 : a.compression != 0;
  const std::string payload = compressed ? zlib(a.data) : a.data;
  w.byte(1);
  w.integer(2);
  // Two chunks, as a stream split where a buffer filled.
  const std::size_t half = payload.size() / 2;
  w.integer(static_cast<std::int64_t>(half));
  w.out += payload.substr(0, half);
  w.integer(static_cast<std::int64_t>(payload.size() - half));
  w.out += payload.substr(half);
  w.integer(0);
  if (a.blobs) {
    w.byte(3);
    w.integer(3);
    w.integer(16400);
    const std::string lo = compressed ? zlib("large object") : "large object";
    w.integer(static_cast<std::int64_t>(lo.size()));
    w.out += lo;
    w.integer(0);
    w.integer(0);
  }
  return w.out;
}

void expect_table(const Result<PgDump>& dump) {
  ASSERT_TRUE(dump.ok()) << dump.error().to_string();
  ASSERT_EQ(dump->tables.size(), 1u);
  const PgTable* t = dump->table("s", "t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->columns, (std::vector<std::string>{"id", "name"}));
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0][1], "one");
  EXPECT_EQ(t->rows[1][1], std::nullopt);
  EXPECT_EQ(*t->column("name"), 1u);
  EXPECT_EQ(dump->database, "serverconf");
  EXPECT_EQ(dump->pg_dump_version, "17.2");
}

TEST(PgDump, EveryVersionAndCompressionPgDumpWrites) {
  for (int level : {-1, 0, 6}) expect_table(read_pg_dump(archive({.minor = 14, .compression = level})));
  for (int minor : {15, 16}) {
    for (int algorithm : {0, 1}) {
      SCOPED_TRACE(minor * 10 + algorithm);
      auto dump = read_pg_dump(archive({.minor = minor, .compression = algorithm}));
      expect_table(dump);
      if (dump.ok()) {
        EXPECT_EQ(dump->version_minor, minor);
      }
    }
  }
  expect_table(read_pg_dump(archive({.minor = 16, .compression = 1, .blobs = true})));
}

TEST(PgDump, WhatIsNotReadIsNamed) {
  auto lz4 = read_pg_dump(archive({.minor = 16, .compression = 2}));
  ASSERT_FALSE(lz4.ok());
  EXPECT_NE(lz4.error().detail().find("LZ4"), std::string::npos) << lz4.error().detail();
  std::string future = archive({});
  future[6] = 17;
  auto newer = read_pg_dump(future);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().detail().find("archive version 1.17"), std::string::npos) << newer.error().detail();
  std::string directory = archive({});
  directory[10] = 3;  // the directory format's number
  EXPECT_FALSE(read_pg_dump(directory).ok());
  EXPECT_FALSE(read_pg_dump("PGDMX").ok());
  auto bad_rows = read_pg_dump(archive({.data = "1\tone\textra\n"}));
  ASSERT_FALSE(bad_rows.ok());
  EXPECT_NE(bad_rows.error().detail().find("table s.t"), std::string::npos) << bad_rows.error().detail();
}

TEST(PgDump, EveryCutAndEveryFlippedByteIsAnErrorOrAReading) {
  for (int level : {0, 6}) {
    const std::string whole = archive({.minor = 16, .compression = level == 0 ? 0 : 1, .blobs = true});
    for (std::size_t n = 0; n < whole.size(); ++n) {
      auto cut = read_pg_dump(std::string_view(whole).substr(0, n));
      // (A cut between blocks is a shorter archive; every other cut is an error.)
      if (cut.ok()) {
        EXPECT_LE(cut->tables.size(), 1u);
      }
      std::string flipped = whole;
      flipped[n] = static_cast<char>(flipped[n] ^ 0x5a);
      (void)read_pg_dump(flipped);
    }
  }
}

TEST(PgDump, LimitsHold) {
  ArchiveSpec big;
  big.data.clear();
  for (int i = 0; i < 20'000; ++i) big.data += std::to_string(i) + "\tname\n";
  PgDumpLimits limits;
  limits.max_table_bytes = 64 << 10;
  auto refused = read_pg_dump(archive(big), limits);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().detail().find("larger than 65536 bytes"), std::string::npos) << refused.error().detail();
  limits = {};
  limits.max_entries = 1;
  EXPECT_FALSE(read_pg_dump(archive({}), limits).ok());
  EXPECT_TRUE(read_pg_dump(archive(big)).ok());
}

}  // namespace
}  // namespace roadside::backup
