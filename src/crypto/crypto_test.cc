#include "crypto/crypto.h"

#include <gtest/gtest.h>

namespace roadside::crypto {
namespace {

TEST(Crypto, IssuesACaAndALeafCertificate) {
  auto ca_key = PrivateKey::generate(KeyType::ec_p256);
  ASSERT_TRUE(ca_key.ok());
  auto ca = issue_certificate({.common_name = "Test CA", .organization = "Roadside", .usage = Usage::ca}, *ca_key,
                              nullptr, *ca_key);
  ASSERT_TRUE(ca.ok()) << ca.error().to_string();
  EXPECT_EQ(ca->subject(), "CN=Test CA,O=Roadside");
  EXPECT_EQ(ca->issuer(), ca->subject());

  auto leaf_key = PrivateKey::generate(KeyType::rsa2048);
  ASSERT_TRUE(leaf_key.ok());
  auto leaf = issue_certificate({.common_name = "localhost", .dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"},
                                 .usage = Usage::tls_server, .serial = 42},
                                *leaf_key, &*ca, *ca_key);
  ASSERT_TRUE(leaf.ok()) << leaf.error().to_string();
  EXPECT_EQ(leaf->issuer(), "CN=Test CA,O=Roadside");
  EXPECT_EQ(leaf->serial_hex(), "2A");
  EXPECT_TRUE(leaf->matches_key(*leaf_key));
  EXPECT_FALSE(leaf->matches_key(*ca_key));
  EXPECT_LT(leaf->not_before(), std::chrono::system_clock::now());
  EXPECT_GT(leaf->not_after(), std::chrono::system_clock::now() + std::chrono::hours(24 * 300));

  // PEM and DER round trips
  auto again = Certificate::from_pem(leaf->to_pem());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->to_der(), leaf->to_der());
  auto from_der = Certificate::from_der(leaf->to_der());
  ASSERT_TRUE(from_der.ok());
  EXPECT_EQ(from_der->sha1_hex(), leaf->sha1_hex());
  EXPECT_EQ(leaf->sha1_hex().size(), 40u);
  auto key_again = PrivateKey::from_pem(leaf_key->to_pem());
  ASSERT_TRUE(key_again.ok());
  EXPECT_TRUE(leaf->matches_key(*key_again));
  auto bundle = Certificate::all_from_pem(leaf->to_pem() + ca->to_pem());
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(bundle->size(), 2u);
}

TEST(Crypto, RejectsGarbage) {
  EXPECT_FALSE(Certificate::from_pem("not a certificate").ok());
  EXPECT_FALSE(Certificate::from_der(std::string("\x30\x03\x02\x01", 4)).ok());
  EXPECT_FALSE(PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").ok());
  EXPECT_FALSE(Certificate::all_from_pem("").ok());
}

TEST(Crypto, ANotAfterPastWhatTheClockCountsIsTheClocksEnd) {
  // A CA valid until year 9000 (beyond 2262, where 64-bit nanoseconds end) must read as valid
  // for ever, not as a time that overflowed into the past.
  auto key = *PrivateKey::generate(KeyType::ec_p256);
  auto cert = issue_certificate({.common_name = "Long-lived CA", .usage = Usage::ca,
                                 .validity = std::chrono::hours(24LL * 365 * 7000)},
                                key, nullptr, key);
  ASSERT_TRUE(cert.ok()) << cert.error().to_string();
  EXPECT_EQ(cert->not_after(), std::chrono::system_clock::time_point::max());
  EXPECT_LT(cert->not_before(), std::chrono::system_clock::now());
}

TEST(Crypto, ACertificateReadTwiceIsParsedOnce) {
  auto key = *PrivateKey::generate(KeyType::ec_p256);
  auto cert = *issue_certificate({.common_name = "cached"}, key, nullptr, key);
  const std::string der = cert.to_der();
  auto a = Certificate::from_der(der);
  auto b = Certificate::from_der(der);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->native(), b->native());  // one parsed certificate, shared
  EXPECT_EQ(b->subject(), "CN=cached");
  EXPECT_TRUE(b->matches_key(key));
  // The cache does not change what is refused.
  EXPECT_FALSE(Certificate::from_der(der + "x").ok());
  EXPECT_FALSE(Certificate::from_der(der.substr(0, der.size() - 1)).ok());
}

TEST(Crypto, AChainVerifiedBeforeIsStillJudgedAtEachTimeAndAgainstItsAnchors) {
  using namespace std::chrono_literals;
  auto ca_key = *PrivateKey::generate(KeyType::ec_p256);
  auto ca = *issue_certificate({.common_name = "CA", .usage = Usage::ca}, ca_key, nullptr, ca_key);
  auto other_key = *PrivateKey::generate(KeyType::ec_p256);
  auto other = *issue_certificate({.common_name = "Other CA", .usage = Usage::ca}, other_key, nullptr, other_key);
  auto key = *PrivateKey::generate(KeyType::ec_p256);
  CertificateSpec spec{.common_name = "leaf"};
  spec.validity = std::chrono::hours(24);
  auto leaf = *issue_certificate(spec, key, &ca, ca_key);
  const auto now = std::chrono::system_clock::now();
  EXPECT_TRUE(verify_chain(leaf, {}, {ca}, now).ok());
  EXPECT_TRUE(verify_chain(leaf, {}, {ca}, now + 1h).ok());  // from the cache
  // Past the leaf's notAfter, or before its notBefore: refused though the chain was seen.
  auto late = verify_chain(leaf, {}, {ca}, now + 48h);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code(), make_error_code(errc::cert_validation));
  EXPECT_FALSE(verify_chain(leaf, {}, {ca}, now - 1h).ok());
  // Other anchors, other answer.
  EXPECT_FALSE(verify_chain(leaf, {}, {other}, now).ok());
  EXPECT_TRUE(verify_chain(leaf, {}, {other, ca}, now).ok());
}

TEST(Crypto, PasswordHashesAreSaltedAndCheckable) {
  const std::string a = hash_password("correct horse");
  const std::string b = hash_password("correct horse");
  EXPECT_EQ(a.rfind("pbkdf2-sha256$600000$", 0), 0u) << a;
  EXPECT_NE(a, b);  // a salt of its own each time
  EXPECT_EQ(a.find("correct horse"), std::string::npos);
  EXPECT_TRUE(verify_password("correct horse", a));
  EXPECT_TRUE(verify_password("correct horse", b));
  EXPECT_FALSE(verify_password("correct horse!", a));
  EXPECT_FALSE(verify_password("", a));
  EXPECT_FALSE(verify_password("correct horse", ""));
  EXPECT_FALSE(verify_password("correct horse", "pbkdf2-sha256$x$y$z"));
  EXPECT_FALSE(verify_password("correct horse", a.substr(0, a.size() - 4)));
  EXPECT_TRUE(equal_secrets("token", "token"));
  EXPECT_FALSE(equal_secrets("token", "tokem"));
  EXPECT_FALSE(equal_secrets("token", "token!")) << "a prefix is not the secret";
  EXPECT_TRUE(equal_secrets("", ""));
}

TEST(Crypto, DigestsAndEncodings) {
  EXPECT_EQ(to_hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(to_delimited_hex(std::string("\x0a\xff\x00", 3)), "0A:FF:00");
  EXPECT_EQ(to_delimited_hex(""), "");
  EXPECT_EQ(sha512("abc").size(), 64u);
  EXPECT_EQ(base64_encode("hello!?"), "aGVsbG8hPw==");
  EXPECT_EQ(*base64_decode("aGVsbG8hPw=="), "hello!?");
  EXPECT_EQ(*base64_decode("aGVs\nbG8h"), "hello!");
  EXPECT_FALSE(base64_decode("abc").ok());
}

TEST(Crypto, HasherGivesTheDigestOfThePiecesTogether) {
  auto h = Hasher::create(kSha512Uri);
  ASSERT_TRUE(h.ok());
  h->update("a");
  h->update("");
  h->update("bc");
  EXPECT_EQ(h->finish(), sha512("abc"));
  h->update("abc");  // starts over after finish()
  EXPECT_EQ(h->finish(), sha512("abc"));
  Hasher moved = std::move(*h);
  moved.update("x");
  EXPECT_EQ(moved.finish(), sha512("x"));
  auto s = Hasher::sha256();
  s.update("ab");
  s.update("c");
  EXPECT_EQ(to_hex(s.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hasher::create("urn:no-such-digest").error().code(), make_error_code(errc::unsupported_algorithm));
  auto m = Hasher::md5();  // RFC 1321's test suite
  m.update("message ");
  m.update("digest");
  EXPECT_EQ(to_hex(m.finish()), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(to_hex(m.finish()), "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(Crypto, HmacSha256MatchesRfc4231) {
  // RFC 4231, test cases 1 and 2.
  EXPECT_EQ(to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace roadside::crypto

namespace roadside::crypto {
namespace {

TEST(Crypto, SignAndVerifyRsaAndEcdsa) {
  for (auto [type, alg] : {std::pair{KeyType::rsa2048, kRsaSha512Uri}, std::pair{KeyType::ec_p256, kEcdsaSha512Uri},
                           std::pair{KeyType::ec_p256, kEcdsaSha256Uri}}) {
    auto key = *PrivateKey::generate(type);
    auto cert = *issue_certificate({.common_name = "signer"}, key, nullptr, key);
    auto sig = sign(key, alg, "the signed bytes");
    ASSERT_TRUE(sig.ok()) << sig.error().to_string();
    EXPECT_TRUE(verify_signature(cert, alg, "the signed bytes", *sig).ok());
    auto tampered = verify_signature(cert, alg, "the signed byteS", *sig);
    ASSERT_FALSE(tampered.ok());
    EXPECT_EQ(tampered.error().fault_code(), "invalid_signature_value");
    std::string bad_sig = *sig;
    bad_sig[bad_sig.size() / 2] ^= 1;
    EXPECT_FALSE(verify_signature(cert, alg, "the signed bytes", bad_sig).ok());
  }
  auto rsa = *PrivateKey::generate(KeyType::rsa2048);
  auto rsa_cert = *issue_certificate({.common_name = "rsa"}, rsa, nullptr, rsa);
  EXPECT_FALSE(verify_signature(rsa_cert, kEcdsaSha512Uri, "x", "y").ok());  // wrong key type
  EXPECT_EQ(verify_signature(rsa_cert, "urn:nope", "x", "y").error().code(), errc::unsupported_algorithm);
}

TEST(Crypto, DigestByUri) {
  EXPECT_EQ(to_hex(*digest(kSha256Uri, "abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(digest(kSha512Uri, "abc")->size(), 64u);
  EXPECT_FALSE(digest("http://example.org/md5", "abc").ok());
}

}  // namespace
}  // namespace roadside::crypto
