// Tar as GNU tar writes it: our archives read back and are read by GNU tar itself, GNU tar's
// (with a volume label, long names, a directory) read here, X-Road's own backup sample read
// here once gpg_unwrap has unwrapped it; hostile archives are errors that say why.
#include "backup/tar.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "backup/gpg.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::backup {
namespace {

namespace fs = std::filesystem;

// What a shell command printed (stdout and stderr).
std::string sh(const std::string& command) {
  std::string out;
  (void)roadside::testing::run_command(command + " 2>&1", &out);
  return out;
}

struct Member {
  TarHeader header;
  std::string data;
};

Result<std::pair<std::string, std::vector<Member>>> read_all(const std::string& bytes, TarLimits limits = {}) {
  std::istringstream in(bytes);
  TarReader reader(in, limits);
  std::vector<Member> out;
  for (;;) {
    ROADSIDE_TRY(auto h, reader.next());
    if (!h) break;
    ROADSIDE_TRY(std::string data, reader.read(1 << 20));
    out.push_back({*h, std::move(data)});
  }
  return std::make_pair(reader.label(), std::move(out));
}

std::string written() {
  std::ostringstream out;
  TarWriter w(out);
  EXPECT_TRUE(w.label("security_XROAD_7.1_DEV/COM/1234/ss1", 1'700'000'000).ok());
  EXPECT_TRUE(w.directory("etc/xroad", 0755, 1'700'000'000).ok());
  EXPECT_TRUE(w.file("etc/xroad/signer/keyconf.xml", "<keyConf/>", 0640, 1'700'000'001).ok());
  EXPECT_TRUE(
      w.file("etc/xroad/" + std::string(150, 'n') + ".p12", std::string(1000, '\x01'), 0600, 1'700'000'002).ok());
  EXPECT_TRUE(w.file("var/lib/xroad/empty", "", 0644, 0).ok());
  EXPECT_TRUE(w.finish().ok());
  return out.str();
}

TEST(Tar, WhatIsWrittenReadsBack) {
  auto all = read_all(written());
  ASSERT_TRUE(all.ok()) << all.error().detail();
  EXPECT_EQ(all->first, "security_XROAD_7.1_DEV/COM/1234/ss1");
  const auto& m = all->second;
  ASSERT_EQ(m.size(), 4U);
  EXPECT_EQ(m[0].header.name, "etc/xroad");
  EXPECT_EQ(m[0].header.type, TarType::directory);
  EXPECT_EQ(m[1].header.name, "etc/xroad/signer/keyconf.xml");
  EXPECT_EQ(m[1].data, "<keyConf/>");
  EXPECT_EQ(m[1].header.mode, 0640U);
  EXPECT_EQ(m[1].header.mtime, 1'700'000'001);
  EXPECT_EQ(m[2].header.name, "etc/xroad/" + std::string(150, 'n') + ".p12") << "a GNU long name";
  EXPECT_EQ(m[2].data, std::string(1000, '\x01'));
  EXPECT_EQ(m[3].data, "");
}

// GNU tar reads ours (label, long name and all), and writes what we read.
TEST(Tar, GnuTarAgreesBothWays) {
  roadside::testing::TempDir dir;
  std::ofstream(dir / "ours.tar", std::ios::binary) << written();
  const std::string listed = sh("tar --test-label -f " + (dir / "ours.tar").string());
  EXPECT_NE(listed.find("security_XROAD_7.1_DEV/COM/1234/ss1"), std::string::npos) << listed;
  const std::string names = sh("tar -tf " + (dir / "ours.tar").string());
  EXPECT_NE(names.find(std::string(150, 'n') + ".p12"), std::string::npos) << names;

  fs::create_directories(dir / "tree/etc/xroad/ssl");
  std::ofstream(dir / "tree/etc/xroad/ssl/internal.crt") << "CERT";
  std::ofstream(dir / ("tree/etc/xroad/" + std::string(120, 'l'))) << "long";
  const std::string made =
      sh("cd " + (dir / "tree").string() + " && tar --create --label security_XROAD_7.1_DEV/COM/1/ss -f " +
         (dir / "gnu.tar").string() + " etc");
  EXPECT_TRUE(made.empty()) << made;
  std::ifstream in(dir / "gnu.tar", std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto all = read_all(bytes.str());
  ASSERT_TRUE(all.ok()) << all.error().detail();
  EXPECT_EQ(all->first, "security_XROAD_7.1_DEV/COM/1/ss");
  std::map<std::string, std::string> files;
  for (const auto& m : all->second) {
    if (m.header.type == TarType::file) files[m.header.name] = m.data;
  }
  EXPECT_EQ(files["etc/xroad/ssl/internal.crt"], "CERT");
  EXPECT_EQ(files["etc/xroad/" + std::string(120, 'l')], "long");
}

// X-Road's own backup archive (a Central Server's, signed only): gpg_unwrap gives its content
// without a keyring (its key is not published), and the tar inside reads; with a keyring that
// lacks the signer's key, the signature is not good and nothing is given.
TEST(Tar, XRoadsBackupSampleReads) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const fs::path sample = vectors / "xroad" / "backup" / "samples" / "cs-int-test" / "test_backup.gpg";
  std::string head(512, '\0');
  std::ifstream(sample, std::ios::binary).read(head.data(), 512);
  EXPECT_FALSE(looks_like_tar(head));
  auto unwrapped = gpg_unwrap(sample, {});
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.error().to_string();
  EXPECT_FALSE(unwrapped->signed_by);
  EXPECT_TRUE(looks_like_tar(unwrapped->content));
  auto all = read_all(unwrapped->content);
  ASSERT_TRUE(all.ok()) << all.error().detail();
  EXPECT_EQ(all->first, "central_XROAD_7.1_CS");
  EXPECT_EQ(all->second.size(), 74U) << "75 entries with the label";
  bool devices = false;
  for (const auto& m : all->second) devices = devices || m.header.name == "etc/xroad/devices.ini";
  EXPECT_TRUE(devices);

  roadside::testing::TempDir keyring;
  ::chmod(keyring.path().c_str(), 0700);
  auto unchecked = gpg_unwrap(sample, {.home = keyring.path()});
  ASSERT_FALSE(unchecked.ok());
  EXPECT_EQ(unchecked.error().code(), std::make_error_code(std::errc::permission_denied));
  EXPECT_NE(unchecked.error().detail().find("has no good signature"), std::string::npos) << unchecked.error().detail();
  auto missing = gpg_unwrap(sample, {.gpg = "/nonexistent/gpg"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().detail().find("/nonexistent/gpg"), std::string::npos) << missing.error().detail();
}

TEST(Tar, HostileArchivesAreErrorsThatSayWhy) {
  const std::string good = written();
  auto refused = [](const std::string& bytes, const std::string& why, TarLimits limits = {}) {
    auto all = read_all(bytes, limits);
    ASSERT_FALSE(all.ok()) << why;
    EXPECT_EQ(all.error().code(), std::make_error_code(std::errc::invalid_argument));
    EXPECT_NE(all.error().detail().find(why), std::string::npos) << all.error().detail();
  };
  std::string flipped = good;
  flipped[512 + 10] ^= 1;  // the directory's header
  refused(flipped, "checksum");
  refused(good.substr(0, 512 * 3 + 100), "ends inside");
  refused(std::string(100, 'x') + std::string(412, '\0'), "checksum");
  refused(good, "more than 2 members", TarLimits{.max_members = 2});
  refused(good, "over the limit", TarLimits{.max_member_bytes = 500});
  for (const std::string name : {"../etc/passwd", "/etc/passwd", "a/../../b", "a//b"}) {
    std::ostringstream out;
    TarWriter w(out);
    ASSERT_TRUE(w.file(name, "x", 0644, 0).ok());
    ASSERT_TRUE(w.finish().ok());
    refused(out.str(), "leaves the archive");
  }
  EXPECT_TRUE(safe_member_name("etc/xroad/keyconf.xml"));
  EXPECT_FALSE(safe_member_name(""));
  // An archive cut after a member (no end blocks) has ended; empty input is an empty archive.
  auto cut = read_all(good.substr(0, good.size() - 1024));
  ASSERT_TRUE(cut.ok()) << cut.error().detail();
  EXPECT_EQ(cut->second.size(), 4U);
  EXPECT_TRUE(read_all("").ok());
}

}  // namespace
}  // namespace roadside::backup
