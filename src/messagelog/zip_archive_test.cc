#include <gtest/gtest.h>

#include "messagelog/archive.h"
#include "messagelog/zip.h"
#include "support/test_support.h"

namespace roadside::messagelog {
namespace {

using roadside::testing::read_file;

constexpr const char* kArchive0Last =
    "9011ab557706b5050584d6888af7b390e5350f4edad296bd7a582aa51732aac7f49a4ec44dd361027945ade0de8b8cf607fb7b7d11f17b0560d44b965c358eaa";

TEST(Zip, ReadsXRoadsAsicContainers) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  auto sample = ZipFile::read(read_file(vectors / "xroad" / "asic" / "valid-signed-message.asice"));
  ASSERT_TRUE(sample.ok()) << sample.error().to_string();
  ASSERT_NE(sample->find("META-INF/signatures.xml"), nullptr);
  ASSERT_NE(sample->find("message.xml"), nullptr);
  EXPECT_EQ(sample->find("mimetype")->data, "application/vnd.etsi.asic-e+zip");

  // A container as X-Road's message log writes it (inside an archive): the zip comment,
  // mimetype first, every entry deflated (even mimetype).
  auto archive = ZipFile::read(read_file(vectors / "xroad" / "archive" / "message-archive-0.zip"));
  ASSERT_TRUE(archive.ok());
  const ZipEntry* inner = nullptr;
  for (const auto& e : archive->entries) {
    if (e.name.ends_with(".asice")) inner = &e;
  }
  ASSERT_NE(inner, nullptr);
  auto zip = ZipFile::read(inner->data);
  ASSERT_TRUE(zip.ok()) << zip.error().to_string();
  EXPECT_EQ(zip->comment, "mimetype=application/vnd.etsi.asic-e+zip");
  std::vector<std::string> names;
  for (const auto& e : zip->entries) {
    names.push_back(e.name);
    EXPECT_TRUE(e.deflated) << e.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"mimetype", "message.xml", "META-INF/signatures.xml", "sig-hashchainresult.xml",
                                             "sig-hashchain.xml", "META-INF/manifest.xml"}));
}

TEST(Zip, WritesWhatItReadsBack) {
  ZipFile z;
  z.comment = "mimetype=application/vnd.etsi.asic-e+zip";
  z.entries = {{"mimetype", "application/vnd.etsi.asic-e+zip", true},
               {"message.xml", "<x/>", true},
               {"attachment1", std::string("\0\1\2binary", 9), true}};
  auto bytes = z.write();
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  auto back = ZipFile::read(*bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->comment, z.comment);
  ASSERT_EQ(back->entries.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back->entries[i].name, z.entries[i].name);
    EXPECT_EQ(back->entries[i].data, z.entries[i].data);
    EXPECT_TRUE(back->entries[i].deflated);
  }
}

// libzip keeps only a UTF-8 comment of up to 65535 bytes; a zip written without the comment
// asked for would pass for the one asked for (asic_fuzz, corpus/asic/zip-comment-not-utf8).
TEST(Zip, RefusesToWriteAZipWithoutItsComment) {
  for (const std::string& comment : {std::string("mimetype=application/vnd.etsi.\xf5/\xd5" "0-e+zip"), std::string(70'000, 'c')}) {
    ZipFile z;
    z.comment = comment;
    z.entries = {{"mimetype", "application/vnd.etsi.asic-e+zip", true}};
    auto bytes = z.write();
    ASSERT_FALSE(bytes.ok()) << comment.size();
    EXPECT_EQ(bytes.error().code(), errc::malformed);
    EXPECT_NE(bytes.error().detail().find("comment"), std::string::npos) << bytes.error().detail();
  }
}

TEST(Zip, RejectsGarbageAndBombs) {
  EXPECT_FALSE(ZipFile::read("not a zip").ok());
  EXPECT_FALSE(ZipFile::read("").ok());
  ZipFile z;
  z.entries = {{"big", std::string(1 << 20, 'a'), true}};  // compresses to ~1 KiB
  auto bytes = *z.write();
  EXPECT_LT(bytes.size(), 10'000u);
  ZipLimits tight;
  tight.max_entry_bytes = 1000;
  auto r = ZipFile::read(bytes, tight);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), errc::too_large);
  std::string truncated = bytes.substr(0, bytes.size() / 2);
  EXPECT_FALSE(ZipFile::read(truncated).ok());
}

TEST(Archive, VerifiesTheLinkingOfXRoadsFirstArchive) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  auto zip = ZipFile::read(read_file(vectors / "xroad" / "archive" / "message-archive-0.zip"));
  ASSERT_TRUE(zip.ok()) << zip.error().to_string();
  auto check = verify_archive_linking(*zip);
  ASSERT_TRUE(check.ok()) << check.error().to_string();
  EXPECT_EQ(check->last_digest, kArchive0Last);
  EXPECT_EQ(check->linking.previous_digest, "");
  EXPECT_EQ(check->linking.entries.size(), 1u);
  EXPECT_TRUE(verify_archive_linking(*zip, std::string()).ok());  // "-": the first archive

  auto wrong_prev = verify_archive_linking(*zip, std::string("abcd"));
  ASSERT_FALSE(wrong_prev.ok());
  EXPECT_EQ(wrong_prev.error().code(), errc::invalid_linking);
}

TEST(Archive, DetectsTamperingMissingAndExtraContainers) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto original = *ZipFile::read(read_file(vectors / "xroad" / "archive" / "message-archive-0.zip"));
  {
    ZipFile z = original;
    for (auto& e : z.entries) {
      if (e.name != "linkinginfo") e.data[e.data.size() / 2] ^= 1;
    }
    auto st = verify_archive_linking(z);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().detail().find("does not match linkinginfo"), std::string::npos);
  }
  {
    ZipFile z = original;
    z.entries.push_back({"smuggled.asice", "x", true});
    auto st = verify_archive_linking(z);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().detail().find("smuggled.asice"), std::string::npos);
  }
  {
    ZipFile z = original;
    std::erase_if(z.entries, [](const ZipEntry& e) { return e.name != "linkinginfo"; });
    auto st = verify_archive_linking(z);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().detail().find("does not hold"), std::string::npos);
  }
  EXPECT_FALSE(LinkingInfo::parse("").ok());
  EXPECT_FALSE(LinkingInfo::parse("- -\n").ok());
  EXPECT_FALSE(LinkingInfo::parse("- - SHA-512\nnodigest\n").ok());
}

}  // namespace
}  // namespace roadside::messagelog

namespace roadside::messagelog {
namespace {

TEST(Archive, WrittenArchivesChainAndVerify) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  // X-Road's first archive rewritten from its container gives X-Road's digest.
  auto original = ZipFile::read(read_file(vectors / "xroad" / "archive" / "message-archive-0.zip"));
  ASSERT_TRUE(original.ok());
  const ZipEntry& container = original->entries.front();
  auto first = write_archive({{container.name, container.data}});
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(first->last_digest,
            "9011ab557706b5050584d6888af7b390e5350f4edad296bd7a582aa51732aac7f49a4ec44dd361027945ade0de8b8cf607fb7b7d11f17b05"
            "60d44b965c358eaa");
  EXPECT_EQ(ZipFile::read(first->zip)->find("linkinginfo")->data, original->find("linkinginfo")->data);

  // The next archive continues from it.
  auto second = write_archive({{"a-request-1.asice", "one"}, {"a-response-2.asice", "two"}}, first->last_digest, "mlog-1.zip");
  ASSERT_TRUE(second.ok());
  auto check = verify_archive_linking(*ZipFile::read(second->zip), first->last_digest);
  ASSERT_TRUE(check.ok()) << check.error().to_string();
  EXPECT_EQ(check->last_digest, second->last_digest);
  EXPECT_EQ(check->linking.previous_archive, "mlog-1.zip");
  EXPECT_FALSE(verify_archive_linking(*ZipFile::read(second->zip), std::string(128, '0')).ok());

  EXPECT_FALSE(write_archive({{"x", "1"}, {"x", "2"}}).ok());
  EXPECT_FALSE(write_archive({{"linkinginfo", "1"}}).ok());
  EXPECT_FALSE(write_archive({{"a b", "1"}}).ok());
  EXPECT_FALSE(write_archive({}, "abc").ok());
}

}  // namespace
}  // namespace roadside::messagelog
