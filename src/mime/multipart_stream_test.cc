#include "mime/multipart_stream.h"

#include <algorithm>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace roadside::mime {
namespace {

// Reads `body` at most `piece` bytes at a time, as a spool file may; counts the reads.
struct Reader {
  std::string body;
  std::size_t piece = 7;
  int reads = 0;
  ReadAt at() {
    return [this](std::uint64_t offset, std::span<char> into) -> Result<std::size_t> {
      ++reads;
      if (offset >= body.size()) return std::size_t{0};
      const std::size_t n = std::min({into.size(), piece, body.size() - static_cast<std::size_t>(offset)});
      std::memcpy(into.data(), body.data() + offset, n);
      return n;
    };
  }
  std::string_view bytes(const PartRange& p) const { return std::string_view(body).substr(p.body_offset, p.body_size); }
};

TEST(MultipartStream, PartsAgreeWithTheInMemoryParserWhateverTheReadSize) {
  const std::string body =
      "preamble\r\n--B\r\nA: 1\r\n\r\nfirst\r\n--B  \r\nB: 2\r\n\r\nsecond\r\nline\r\n--B\r\n\r\n\r\n--B--\r\nepilogue";
  for (std::size_t piece : {1u, 2u, 3u, 5u, 7u, 64u * 1024u}) {
    Reader r{body, piece};
    auto parts = parse_multipart_stream(r.at(), "B");
    ASSERT_TRUE(parts.ok()) << piece << ": " << parts.error().to_string();
    auto in_memory = parse_multipart(body, "B");
    ASSERT_TRUE(in_memory.ok());
    ASSERT_EQ(parts->size(), in_memory->size()) << piece;
    for (std::size_t i = 0; i < parts->size(); ++i) {
      EXPECT_EQ(r.bytes((*parts)[i]), (*in_memory)[i].body) << piece << " part " << i;
    }
    EXPECT_EQ((*parts)[0].headers.get("a"), "1");
    EXPECT_EQ((*parts)[1].headers.get("b"), "2");
    EXPECT_EQ(r.bytes((*parts)[2]), "");
  }
}

TEST(MultipartStream, ABodyStartingWithItsDelimiterHasNoPreamble) {
  Reader r{"--B\r\nA: 1\r\n\r\nx\r\n--B--"};
  auto parts = parse_multipart_stream(r.at(), "B");
  ASSERT_TRUE(parts.ok()) << parts.error().to_string();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ(r.bytes((*parts)[0]), "x");
}

void expect_malformed(const std::string& body, const std::string& says, const StreamLimits& limits = {}) {
  Reader r{body};
  auto parts = parse_multipart_stream(r.at(), "B", limits);
  ASSERT_FALSE(parts.ok()) << body;
  // Not one delimiter is no_parts (the proxies report a missing SOAP message); the rest malformed.
  const errc expected = body.find("--B") == std::string::npos ? errc::no_parts : errc::malformed;
  EXPECT_EQ(parts.error().code(), make_error_code(expected)) << body;
  EXPECT_NE(parts.error().detail().find(says), std::string::npos) << parts.error().detail();
}

TEST(MultipartStream, MalformedBodiesAreRefusedNamingTheProblem) {
  expect_malformed("nothing here", "no boundary");
  expect_malformed("--B\r\nA: 1\r\n\r\nno end", "no close delimiter");
  expect_malformed("--Bjunk\r\n\r\nx\r\n--B--", "junk after");
  expect_malformed("--B \t x\r\n\r\nx\r\n--B--", "junk after");
  expect_malformed("--B\r\nA: 1\r\n\r\nx\r\n--B x", "ends inside a delimiter line");
  expect_malformed("--B", "ends inside a delimiter line");  // cut before any part
  expect_malformed("--B\r\nno colon\r\n\r\nx\r\n--B--", "");
}

// A body that closes before its first part has none, as parse_multipart has it: a spooled
// transport message with such an attachments part was taken, and the same message in memory
// refused (found by transport_stream_fuzz).
TEST(MultipartStream, ABodyThatClosesBeforeItsFirstPartHasNoParts) {
  for (const std::string body :
       {"--B--", "preamble\r\n--B--\r\n", "--B--\r\nepilogue", "--x\r\nA: 1\r\n\r\ny\r\n--B--"}) {
    Reader r{body};
    auto parts = parse_multipart_stream(r.at(), "B");
    ASSERT_FALSE(parts.ok()) << body;
    EXPECT_EQ(parts.error().code(), make_error_code(errc::no_parts)) << body;
    EXPECT_EQ(parse_multipart(body, "B").error().code(), make_error_code(errc::no_parts)) << body;
  }
}

// What parse_multipart takes from IS and services, so a message reads the same whether it
// was held in memory or spooled: LF alone as a line end, a body cut right after its last
// delimiter line, a part of headers alone, an epilogue holding delimiters.
TEST(MultipartStream, LenientWhereTheInMemoryParserIs) {
  const std::string bodies[] = {
      "--B\nContent-Type: text/xml\n\n<a/>\n--B\nContent-Type: x\n\n\x89\r\n\n--B--\n",
      "pre\n--B\r\nA: 1\r\n\r\nx\n--B\r\nB: 2\n\ny\r\n--B--",
      "--B\r\nA: 1\r\n\r\nx\r\n--B\r\n",
      "--B\r\nA: 1\r\n\r\nx\r\n--B \t",
      "--B\r\nA: 1\r\nB: 2\r\n--B--",
      "--B\r\nA: 1\r\n\r\nx\r\n--B--\r\n--B\r\n\r\ny\r\n--B--",
      "--B\r\n--B\r\nA: 1\r\n\r\nx\r\n--B--",  // the delimiter right after a delimiter line is content
      "--B\r\n\r\n\r\n--B\r\n\r\n--B--",
  };
  for (const auto& body : bodies) {
    auto in_memory = parse_multipart(body, "B");
    for (std::size_t piece : {1u, 3u, 64u * 1024u}) {
      Reader r{body, piece};
      auto parts = parse_multipart_stream(r.at(), "B");
      ASSERT_EQ(parts.ok(), in_memory.ok()) << body << " (" << piece << "): " << (parts.ok() ? in_memory.error() : parts.error()).to_string();
      if (!parts.ok()) continue;
      ASSERT_EQ(parts->size(), in_memory->size()) << body;
      for (std::size_t i = 0; i < parts->size(); ++i) {
        EXPECT_EQ(r.bytes((*parts)[i]), (*in_memory)[i].body) << body << " part " << i;
        ASSERT_EQ((*parts)[i].headers.list.size(), (*in_memory)[i].headers.list.size()) << body << " part " << i;
        for (std::size_t h = 0; h < (*parts)[i].headers.list.size(); ++h) {
          EXPECT_EQ((*parts)[i].headers.list[h].name, (*in_memory)[i].headers.list[h].name);
          EXPECT_EQ((*parts)[i].headers.list[h].value, (*in_memory)[i].headers.list[h].value);
        }
      }
    }
  }
  Reader lf{bodies[0]};
  auto parts = parse_multipart_stream(lf.at(), "B");
  ASSERT_TRUE(parts.ok()) << parts.error().to_string();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ(lf.bytes((*parts)[0]), "<a/>");
  EXPECT_EQ(lf.bytes((*parts)[1]), "\x89\r\n");
}

// The close delimiter ends the reading: a large epilogue is not read.
TEST(MultipartStream, TheEpilogueIsNotRead) {
  std::string body = "--B\r\nA: 1\r\n\r\nx\r\n--B--\r\n";
  const std::size_t before = body.size();
  body += std::string(1 << 20, 'e');
  Reader r{body, 64 * 1024};
  auto parts = parse_multipart_stream(r.at(), "B");
  ASSERT_TRUE(parts.ok());
  EXPECT_LT(r.reads, 8) << "read " << r.reads << " pieces for a body of " << before << " bytes before its epilogue";
}

TEST(MultipartStream, LimitsOnPartsAndHeadersHoldWhateverTheBodySize) {
  std::string many = "--B";
  for (int i = 0; i < 5; ++i) many += "\r\n\r\nx\r\n--B";
  many += "--";
  expect_malformed(many, "more than 3 parts", {.max_parts = 3});
  expect_malformed("--B\r\nA: " + std::string(100, 'a') + "\r\n\r\nx\r\n--B--", "headers are over 64",
                   {.max_header_block = 64});
  // Headers kept for all parts together: many parts each within its own limit still add up.
  std::string headed = "--B";
  for (int i = 0; i < 5; ++i) headed += "\r\nA: " + std::string(40, 'a') + "\r\n\r\nx\r\n--B";
  headed += "--";
  expect_malformed(headed, "headers are over 150 bytes in all", {.max_header_block = 64, .max_total_headers = 150});
  // A header block cut by the limit right after a CR is not taken for one ended by a blank line.
  expect_malformed("--B\r\nA: 1\r\n\rX: y\r\n\r\nbody\r\n--B--", "headers are over 9", {.max_header_block = 9});
  Reader empty{""};
  EXPECT_FALSE(parse_multipart_stream(empty.at(), "").ok());
  EXPECT_FALSE(parse_multipart_stream(empty.at(), std::string(201, 'b')).ok());
}

TEST(MultipartStream, ABoundaryThatOverlapsItselfOrAReaderThatOverrunsIsRefused) {
  // A boundary with CR LF in it (RFC 2046 forbids them) can make delimiters overlap.
  Reader overlapping{"--x\r\n--x\r\n--x\r\n--x--"};
  auto parts = parse_multipart_stream(overlapping.at(), "x\r\n--x");
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.error().code(), make_error_code(errc::malformed));
  const auto overrun = [](std::uint64_t, std::span<char> into) -> Result<std::size_t> { return into.size() + 1; };
  auto over = parse_multipart_stream(overrun, "B");
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().detail().find("more bytes than asked"), std::string::npos) << over.error().detail();
}

TEST(MultipartStream, AFailedReadPassesItsErrorThrough) {
  const auto failing = [](std::uint64_t, std::span<char>) -> Result<std::size_t> {
    return Error(std::make_error_code(std::errc::io_error), "disk gone");
  };
  auto parts = parse_multipart_stream(failing, "B");
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.error().code(), std::make_error_code(std::errc::io_error));
}

}  // namespace
}  // namespace roadside::mime
