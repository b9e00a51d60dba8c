// The signed directory and anchor of X-Road's own DEV instance (vectors/xroad/globalconf).
#include "globalconf/directory.h"

#include <gtest/gtest.h>

#include "base/clock.h"
#include "support/test_support.h"

namespace roadside::globalconf {
namespace {

using roadside::testing::read_file;

struct Vectors {
  std::string directory, anchor;
  std::filesystem::path public_dir;
};

const auto kBefore = *parse_rfc3339("2026-11-22T00:00:00Z");

#define LOAD_VECTORS(v)                                                                     \
  ROADSIDE_REQUIRE_VECTORS(vectors_root);                                                   \
  const auto gc_dir = vectors_root / "xroad" / "globalconf";                               \
  const Vectors v{read_file(gc_dir / "public" / "V6" / "internalconf"),                    \
                  read_file(gc_dir / "configuration_anchor_CS_internal.xml"), gc_dir / "public"}

TEST(Directory, XRoadsV6InternalDirectoryVerifiesAgainstItsAnchor) {
  LOAD_VECTORS(v);
  auto anchor = Anchor::parse(v.anchor);
  ASSERT_TRUE(anchor.ok()) << anchor.error().to_string();
  EXPECT_EQ(anchor->instance, "DEV");
  ASSERT_EQ(anchor->sources.size(), 2u);
  EXPECT_EQ(anchor->sources[0].download_url, "http://cs/internalconf");
  EXPECT_EQ(anchor->sources[0].verification_certs[0].subject(), "CN=internalSigningKey");

  auto dir = SignedDirectory::parse(v.directory);
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  EXPECT_EQ(dir->version, 6);
  EXPECT_EQ(format_rfc3339(dir->expires), "2035-11-11T03:07:40.000Z");
  ASSERT_EQ(dir->parts.size(), 2u);
  EXPECT_EQ(dir->parts[0].content_identifier, "SHARED-PARAMETERS");
  EXPECT_EQ(dir->parts[0].instance, "DEV");
  EXPECT_EQ(dir->parts[0].content_location, "/V6/20251110170000548026000/shared-params.xml");
  EXPECT_EQ(dir->parts[1].content_identifier, "PRIVATE-PARAMETERS");
  EXPECT_EQ(dir->signature_algorithm, crypto::kRsaSha512Uri);
  // The signed bytes run from the first inner delimiter through the inner close delimiter and its CRLF.
  EXPECT_EQ(dir->signed_bytes.rfind("--CNo5S3hBEIHbDGmANPgi\r\nExpire-date:", 0), 0u);
  EXPECT_TRUE(dir->signed_bytes.ends_with("--CNo5S3hBEIHbDGmANPgi--\r\n"));

  const auto certs = anchor->verification_certs();
  EXPECT_TRUE(dir->verify_signature(certs).ok());
  EXPECT_TRUE(dir->check_not_expired(kBefore).ok());
  for (const auto& part : dir->parts) {
    const std::string bytes = read_file(v.public_dir / part.content_location.substr(1));
    auto st = SignedDirectory::verify_part(part, bytes);
    EXPECT_TRUE(st.ok()) << part.content_identifier << ": " << st.error().to_string();
  }
}

TEST(Directory, AnyChangedSignatureByteIsRejected) {
  LOAD_VECTORS(v);
  const auto certs = Anchor::parse(v.anchor)->verification_certs();
  const auto dir = *SignedDirectory::parse(v.directory);
  for (std::size_t i : {std::size_t{0}, dir.signature.size() / 2, dir.signature.size() - 1}) {
    SignedDirectory tampered = dir;
    tampered.signature[i] ^= 0x01;
    auto st = tampered.verify_signature(certs);
    ASSERT_FALSE(st.ok()) << "byte " << i;
    EXPECT_EQ(st.error().fault_code(), "invalid_signature_value");
  }
  // The same through the file: one character of the base64 signature changed.
  std::string file = v.directory;
  const auto sig_at = file.rfind("==");  // the signature is the last base64 block
  file[sig_at - 10] = file[sig_at - 10] == 'A' ? 'B' : 'A';
  auto reparsed = SignedDirectory::parse(file);
  ASSERT_TRUE(reparsed.ok());
  EXPECT_FALSE(reparsed->verify_signature(certs).ok());
}

TEST(Directory, AnyChangedSignedContentIsRejected) {
  LOAD_VECTORS(v);
  const auto certs = Anchor::parse(v.anchor)->verification_certs();
  // Move the expiry date by one second inside the signed part.
  std::string file = v.directory;
  const auto at = file.find("2035-11-11T03:07:40Z");
  ASSERT_NE(at, std::string::npos);
  file[at + 18] = '1';
  auto dir = SignedDirectory::parse(file);
  ASSERT_TRUE(dir.ok());
  auto st = dir->verify_signature(certs);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().fault_code(), "invalid_signature_value");
}

TEST(Directory, AChangedPartByteIsRejected) {
  LOAD_VECTORS(v);
  const auto dir = *SignedDirectory::parse(v.directory);
  for (const auto& part : dir.parts) {
    std::string bytes = read_file(v.public_dir / part.content_location.substr(1));
    bytes[bytes.size() / 2] ^= 0x20;
    auto st = SignedDirectory::verify_part(part, bytes);
    ASSERT_FALSE(st.ok()) << part.content_identifier;
    EXPECT_EQ(st.error().fault_code(), "invalid_signature_value");
    EXPECT_NE(st.error().detail().find(part.content_location), std::string::npos);
  }
}

TEST(Directory, AnExpiredDirectoryIsRejected) {
  LOAD_VECTORS(v);
  const auto dir = *SignedDirectory::parse(v.directory);
  EXPECT_TRUE(dir.check_not_expired(*parse_rfc3339("2035-11-11T03:07:40Z")).ok());
  auto st = dir.check_not_expired(*parse_rfc3339("2035-11-11T03:07:41Z"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().fault_code(), "global_conf_outdated");
  EXPECT_NE(st.error().detail().find("expired at 2035-11-11T03:07:40"), std::string::npos);
}

TEST(Directory, AnAnchorWhoseCertificateDoesNotMatchIsRejected) {
  LOAD_VECTORS(v);
  const auto dir = *SignedDirectory::parse(v.directory);
  // A different key and certificate with the same name.
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::rsa2048);
  auto other = *crypto::issue_certificate({.common_name = "internalSigningKey", .usage = crypto::Usage::ca}, key,
                                          nullptr, key);
  const std::vector<crypto::Certificate> certs{other};
  auto st = dir.verify_signature(certs);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().fault_code(), "invalid_signature_value");
  EXPECT_NE(st.error().detail().find("no trusted verification certificate matches"), std::string::npos);

  // An anchor file carrying that certificate instead.
  std::string anchor_xml = v.anchor;
  const std::string original = crypto::base64_encode(Anchor::parse(v.anchor)->sources[0].verification_certs[0].to_der());
  for (auto pos = anchor_xml.find(original); pos != std::string::npos; pos = anchor_xml.find(original)) {
    anchor_xml.replace(pos, original.size(), crypto::base64_encode(other.to_der()));
  }
  auto anchor = Anchor::parse(anchor_xml);
  ASSERT_TRUE(anchor.ok()) << anchor.error().to_string();
  EXPECT_FALSE(dir.verify_signature(anchor->verification_certs()).ok());
}

TEST(Directory, DirectoriesWeSignVerify) {
  // A directory signed with a fresh ECDSA key verifies with that key's certificate (and
  // exercises the ECDSA path the vectors do not).
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto cert = *crypto::issue_certificate({.common_name = "signer", .usage = crypto::Usage::ca}, key, nullptr, key);
  const std::string inner = "--IN\r\nExpire-date: 2030-01-01T00:00:00Z\r\nVersion: 6\r\n\r\n--IN--\r\n";
  const std::string sig = crypto::base64_encode(*crypto::sign(key, crypto::kEcdsaSha512Uri, inner));
  const std::string hash = crypto::base64_encode(crypto::sha512(cert.to_der()));
  const std::string file = "Content-Type: multipart/related; charset=UTF-8; boundary=OUT\r\n\r\n--OUT\r\n"
                           "Content-Type: multipart/mixed; charset=UTF-8; boundary=IN\r\n\r\n" + inner +
                           "\r\n--OUT\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                           "Signature-Algorithm-Id: " + std::string(crypto::kEcdsaSha512Uri) + "\r\n"
                           "Verification-certificate-hash: " + hash +
                           "; hash-algorithm-id=\"http://www.w3.org/2001/04/xmlenc#sha512\"\r\n\r\n" + sig +
                           "\r\n--OUT--\r\n";
  auto dir = SignedDirectory::parse(file);
  ASSERT_TRUE(dir.ok()) << dir.error().to_string();
  EXPECT_EQ(dir->signed_bytes, inner);
  const std::vector<crypto::Certificate> certs{cert};
  EXPECT_TRUE(dir->verify_signature(certs).ok());
}

TEST(Directory, MalformedInputIsRejectedWithMalformedGlobalConf) {
  for (const std::string& bad : {std::string(""), std::string("Content-Type: text/plain\r\n\r\nhello"),
                                std::string("Content-Type: multipart/related; boundary=X\r\n\r\n--X\r\n\r\nonly\r\n--X--"),
                                std::string(kMaxDirectoryBytes + 1, 'a')}) {
    auto d = SignedDirectory::parse(bad);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().fault_code(), "malformed_global_conf") << d.error().detail();
  }
  EXPECT_FALSE(Anchor::parse("<configurationAnchor/>").ok());
  EXPECT_FALSE(Anchor::parse("<other/>").ok());
  EXPECT_FALSE(Anchor::parse("not xml").ok());
}

}  // namespace
}  // namespace roadside::globalconf
