// Uploaded anchors are untrusted bytes: read_anchor must refuse anything malformed with
// globalconf's malformed code, never crash, and hash exactly as X-Road does.
#include "admin/anchor_file.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "admin/tar_gz.h"
#include "base/clock.h"
#include "crypto/certificate.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "support/test_support.h"

namespace roadside::admin {
namespace {

std::string sample_anchor(const std::string& instance = "DEV") {
  auto key = crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto cert = crypto::issue_certificate({.common_name = "anchor signer"}, *key, nullptr, *key);
  globalconf::Anchor a;
  a.instance = instance;
  a.generated_at = *parse_rfc3339("2025-11-10T17:00:00.548Z");
  a.sources.push_back({"http://cs.example/internalconf", {*cert}});
  return a.to_xml();
}

TEST(AnchorFile, ReadsAnAnchorWithXRoadsHashAndTime) {
  const std::string xml = sample_anchor();
  auto file = read_anchor(xml);
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  EXPECT_EQ(file->anchor.instance, "DEV");
  EXPECT_EQ(file->created_at, "2025-11-10T17:00:00.548Z");
  // SHA-224: 28 upper-case hex pairs joined by ':'.
  EXPECT_EQ(file->hash.size(), 28u * 3 - 1);
  std::string plain = file->hash;
  std::erase(plain, ':');
  auto digest = crypto::digest("http://www.w3.org/2001/04/xmldsig-more#sha224", xml);
  ASSERT_TRUE(digest.ok());
  std::string expected = crypto::to_hex(*digest);
  for (char& c : expected) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(plain, expected);
}

TEST(AnchorFile, RefusesHostileAndMalformedBytes) {
  const std::string good = sample_anchor();
  std::string no_time = good;
  const auto at = no_time.find("<generatedAt>");
  ASSERT_NE(at, std::string::npos);
  no_time.erase(at, no_time.find("</generatedAt>") + std::string("</generatedAt>").size() - at);
  std::string bad_cert = good;
  const auto cert_at = bad_cert.find("<verificationCert>");
  ASSERT_NE(cert_at, std::string::npos);
  bad_cert.insert(cert_at + std::string("<verificationCert>").size(), "!!not base64!!");
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
      "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]><configurationAnchor><instanceIdentifier>&c;</instanceIdentifier>"
      "</configurationAnchor>";
  const std::string deep = std::string(100000, '<').insert(0, "<configurationAnchor>");
  std::string nested = "<configurationAnchor>";
  for (int i = 0; i < 50000; ++i) nested += "<x>";
  const std::string huge = "<configurationAnchor>" + std::string(kMaxAnchorBytes, ' ') + "</configurationAnchor>";
  for (const std::string& bytes :
       {std::string(), std::string("not xml"), std::string("\xff\xfe<a/>"), std::string("<other/>"),
        std::string("<configurationAnchor/>"),
        std::string("<configurationAnchor><instanceIdentifier>DEV</instanceIdentifier></configurationAnchor>"), no_time,
        bad_cert, laughs, deep, nested, huge, good.substr(0, good.size() / 2), good + "<trailing/>",
        std::string("<configurationAnchor>\0</configurationAnchor>", 44)}) {
    auto file = read_anchor(bytes);
    ASSERT_FALSE(file.ok()) << bytes.substr(0, 80);
    EXPECT_EQ(file.error().code(), make_error_code(globalconf::errc::malformed))
        << bytes.substr(0, 80) << ": " << file.error().to_string();
  }
}

TEST(TarGz, WritesGzipAroundUstarEntries) {
  const std::string big(70000, 'x');  // more than one stored block
  const std::string out = tar_gz({{"cert.pem", "PEM"}, {"big", big}}, 1700000000);
  ASSERT_GT(out.size(), 18u);
  EXPECT_EQ(out.substr(0, 3), std::string("\x1f\x8b\x08", 3));
  // The trailer's size: the tar's, two 512-byte headers, the data padded, two end blocks.
  const std::size_t tar_size = 512 + 512 + 512 + (70000 + 511) / 512 * 512 + 1024;
  const auto* tail = reinterpret_cast<const unsigned char*>(out.data() + out.size() - 4);
  const std::size_t isize = tail[0] | (tail[1] << 8) | (tail[2] << 16) | (static_cast<std::size_t>(tail[3]) << 24);
  EXPECT_EQ(isize, tar_size);
  EXPECT_NE(out.find("ustar"), std::string::npos);
  EXPECT_NE(out.find("cert.pem"), std::string::npos);
}

}  // namespace
}  // namespace roadside::admin
