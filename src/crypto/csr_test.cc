// Certificate requests: what make_csr makes, `openssl req` reads and verifies; what `openssl req
// -new` makes, CertificateRequest reads and verifies; tampered, garbage and oversized input is
// refused; a CA issues from a request.
#include "crypto/csr.h"

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::crypto {
namespace {

using roadside::testing::read_file;
using roadside::testing::run_command;
using roadside::testing::TempDir;
using roadside::testing::write_file;

const SubjectEntries kSubject{{"C", "FI"}, {"O", "Org"}, {"serialNumber", "DEV/SS1/COM"}, {"CN", "1234"}};

class MakeCsr : public ::testing::TestWithParam<KeyType> {};

TEST_P(MakeCsr, OpenSslVerifiesItAndReadsTheSubject) {
  const auto key = *PrivateKey::generate(GetParam());
  auto der = make_csr(key, kSubject);
  ASSERT_TRUE(der.ok()) << der.error().to_string();
  TempDir dir;
  write_file(dir / "req.der", *der);
  const std::string in = " -inform DER -in " + (dir / "req.der").string();
  std::string out;
  ASSERT_EQ(run_command("openssl req -verify -noout" + in, &out), 0) << out;
  EXPECT_NE(out.find("verify OK"), std::string::npos) << out;
  ASSERT_EQ(run_command("openssl req -noout -subject" + in, &out), 0) << out;
  EXPECT_EQ(out, "subject=C = FI, O = Org, serialNumber = DEV/SS1/COM, CN = 1234\n");
  // As BouncyCastle's BCStyle writes X-Road's subjects: C and serialNumber PrintableString,
  // the rest UTF8String; no attributes (X-Road's older signers request no extensions).
  ASSERT_EQ(run_command("openssl asn1parse -inform DER -in " + (dir / "req.der").string(), &out), 0) << out;
  EXPECT_NE(out.find("PRINTABLESTRING   :FI"), std::string::npos) << out;
  EXPECT_NE(out.find("UTF8STRING        :Org"), std::string::npos) << out;
  EXPECT_NE(out.find("PRINTABLESTRING   :DEV/SS1/COM"), std::string::npos) << out;
  EXPECT_NE(out.find("UTF8STRING        :1234"), std::string::npos) << out;
  ASSERT_EQ(run_command("openssl req -noout -text" + in, &out), 0) << out;
  EXPECT_EQ(out.find("X509v3"), std::string::npos) << out;
  EXPECT_NE(out.find(key.is_ec_key() ? "ecdsa-with-SHA256" : "sha256WithRSAEncryption"), std::string::npos) << out;

  // And it reads back.
  auto csr = CertificateRequest::from_der(*der);
  ASSERT_TRUE(csr.ok()) << csr.error().to_string();
  EXPECT_TRUE(csr->verify().ok());
  EXPECT_EQ(csr->subject(), "CN=1234,serialNumber=DEV/SS1/COM,O=Org,C=FI");
  EXPECT_EQ(csr->subject_entries(), kSubject);
  EXPECT_EQ(csr->subject_attributes(),
            (SubjectEntries{{"2.5.4.6", "FI"}, {"2.5.4.10", "Org"}, {"2.5.4.5", "DEV/SS1/COM"}, {"2.5.4.3", "1234"}}));
  EXPECT_EQ(csr->public_key_der(), key.public_key_der());
  EXPECT_EQ(csr->is_ec_key(), key.is_ec_key());
  EXPECT_EQ(csr->is_rsa_key(), !key.is_ec_key());
  EXPECT_EQ(csr->key_bits(), GetParam() == KeyType::rsa2048 ? 2048 : GetParam() == KeyType::rsa3072 ? 3072 : 256);
  EXPECT_EQ(csr->to_der(), *der);
  auto pem = CertificateRequest::parse(csr->to_pem());
  ASSERT_TRUE(pem.ok()) << pem.error().to_string();
  EXPECT_EQ(pem->to_der(), *der);
  EXPECT_EQ(csr->to_pem().rfind("-----BEGIN CERTIFICATE REQUEST-----\n", 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(Keys, MakeCsr, ::testing::Values(KeyType::rsa2048, KeyType::rsa3072, KeyType::ec_p256),
                         [](const auto& p) {
                           return p.param == KeyType::rsa2048   ? std::string("rsa2048")
                                  : p.param == KeyType::rsa3072 ? std::string("rsa3072")
                                                                : std::string("ec_p256");
                         });

TEST(Csr, RequestsTheExtensionsNewerXRoadSignersAskFor) {
  const auto key = *PrivateKey::generate(KeyType::ec_p256);
  TempDir dir;
  std::string out;
  for (const auto& [usage, text] : {std::pair{CsrKeyUsage::sign, "Non Repudiation, Certificate Sign"},
                                    {CsrKeyUsage::auth, "Digital Signature, Key Encipherment, Data Encipherment"}}) {
    auto der = make_csr(key, kSubject, {.key_usage = usage, .dns_name = "ss1.example.org"});
    ASSERT_TRUE(der.ok()) << der.error().to_string();
    write_file(dir / "req.der", *der);
    ASSERT_EQ(run_command("openssl req -verify -noout -text -inform DER -in " + (dir / "req.der").string(), &out), 0)
        << out;
    EXPECT_NE(out.find("Requested Extensions:"), std::string::npos) << out;
    EXPECT_NE(out.find(text), std::string::npos) << out;
    EXPECT_NE(out.find("DNS:ss1.example.org"), std::string::npos) << out;
    EXPECT_EQ(out.find("critical"), std::string::npos) << out;
  }
}

TEST(Csr, SignsWithTheDigestAsked) {
  const auto rsa = *PrivateKey::generate(KeyType::rsa2048);
  const auto ec = *PrivateKey::generate(KeyType::ec_p256);
  TempDir dir;
  std::string out;
  for (const auto& [key, uri, name] :
       {std::tuple{&rsa, kSha512Uri, "sha512WithRSAEncryption"},
        {&ec, std::string_view("http://www.w3.org/2001/04/xmldsig-more#sha384"), "ecdsa-with-SHA384"}}) {
    auto der = make_csr(*key, kSubject, {.digest_uri = uri});
    ASSERT_TRUE(der.ok()) << der.error().to_string();
    write_file(dir / "req.der", *der);
    ASSERT_EQ(run_command("openssl req -verify -noout -text -inform DER -in " + (dir / "req.der").string(), &out), 0)
        << out;
    EXPECT_NE(out.find(name), std::string::npos) << out;
  }
  auto sha1 = make_csr(rsa, kSubject, {.digest_uri = kSha1Uri});
  ASSERT_FALSE(sha1.ok());
  EXPECT_EQ(sha1.error().code(), errc::unsupported_algorithm);
}

TEST(Csr, ValuesOutsideTheirNarrowTypesAreUtf8AndOidsAreAccepted) {
  const auto key = *PrivateKey::generate(KeyType::ec_p256);
  auto der = make_csr(key, {{"C", "DEV"}, {"2.5.4.97", "NTREE-1001"}, {"serialNumber", "Ä/1"}, {"CN", "Jürgen"}});
  ASSERT_TRUE(der.ok()) << der.error().to_string();
  TempDir dir;
  write_file(dir / "req.der", *der);
  std::string out;
  ASSERT_EQ(run_command("openssl asn1parse -inform DER -in " + (dir / "req.der").string(), &out), 0) << out;
  EXPECT_NE(out.find("PRINTABLESTRING   :DEV"), std::string::npos) << out;
  EXPECT_NE(out.find("organizationIdentifier"), std::string::npos) << out;
  auto csr = CertificateRequest::from_der(*der);
  ASSERT_TRUE(csr.ok());
  EXPECT_EQ(csr->subject_attributes()[2], (std::pair<std::string, std::string>{"2.5.4.5", "Ä/1"}));
  EXPECT_EQ(csr->subject_entries()[3], (std::pair<std::string, std::string>{"CN", "Jürgen"}));
}

TEST(Csr, RefusesSubjectsItCannotWriteFaithfully) {
  const auto key = *PrivateKey::generate(KeyType::ec_p256);
  const std::vector<std::pair<SubjectEntries, std::string>> cases{
      {{}, "needs a subject"},
      {{{"SN", "1234"}}, "ambiguous"},
      {{{"NoSuchAttribute", "x"}}, "unknown subject attribute"},
      {{{"CN", ""}}, "needs a value"},
      {{{"CN", std::string(1025, 'a')}}, "needs a value"},
      {{{"CN", std::string("a\0b", 3)}}, "not UTF-8 text"},
      {{{"CN", "\xff\xfe"}}, "not UTF-8 text"},
  };
  for (const auto& [subject, why] : cases) {
    auto der = make_csr(key, subject);
    ASSERT_FALSE(der.ok()) << why;
    EXPECT_EQ(der.error().code(), errc::bad_certificate_request) << why;
    EXPECT_NE(der.error().detail().find(why), std::string::npos) << der.error().detail();
  }
  const std::vector<std::string> not_dns{"a..b", "a b", "x,DNS:evil", ".a", "a.", std::string(254, 'a')};
  for (const std::string& name : not_dns) {
    auto der = make_csr(key, kSubject, {.dns_name = name});
    EXPECT_FALSE(der.ok()) << name;
  }
  EXPECT_TRUE(make_csr(key, kSubject, {.dns_name = "*.example.org"}).ok());
}

TEST(Csr, ReadsAndVerifiesWhatOpenSslMakes) {
  TempDir dir;
  const std::string d = dir.path().string();
  std::string out;
  for (const char* newkey : {"rsa:2048", "ec -pkeyopt ec_paramgen_curve:P-256"}) {
    ASSERT_EQ(run_command(std::string("openssl req -new -newkey ") + newkey + " -nodes -keyout " + d + "/k.pem -subj " +
                              "'/C=FI/O=Test Org/serialNumber=DEV\\/ss1\\/COM/CN=1001' -out " + d + "/r.pem",
                          &out),
              0)
        << out;
    ASSERT_EQ(run_command("openssl req -in " + d + "/r.pem -outform DER -out " + d + "/r.der", &out), 0) << out;
    for (const char* file : {"r.pem", "r.der"}) {
      SCOPED_TRACE(std::string(newkey) + " " + file);
      auto csr = CertificateRequest::parse(read_file(dir / file));
      ASSERT_TRUE(csr.ok()) << csr.error().to_string();
      EXPECT_TRUE(csr->verify().ok());
      EXPECT_EQ(csr->subject(), "CN=1001,serialNumber=DEV/ss1/COM,O=Test Org,C=FI");
      auto key = PrivateKey::from_pem(read_file(dir / "k.pem"));
      ASSERT_TRUE(key.ok());
      EXPECT_EQ(csr->public_key_der(), key->public_key_der());
    }
  }
}

TEST(Csr, ATamperedRequestDoesNotVerify) {
  const auto key = *PrivateKey::generate(KeyType::rsa2048);
  const std::string der = *make_csr(key, kSubject);
  std::string subject = der, signature = der;
  subject[subject.find("Org")] = 'P';
  signature[signature.size() - 1] ^= 0x01;
  for (const std::string& bad : {subject, signature}) {
    auto csr = CertificateRequest::from_der(bad);
    ASSERT_TRUE(csr.ok()) << csr.error().to_string();
    auto st = csr->verify();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), errc::bad_certificate_request);
    EXPECT_NE(st.error().fault_code(), "internal_error");
  }
  // Another key's public key in a request signed by this one.
  const auto other = *PrivateKey::generate(KeyType::rsa2048);
  std::string swapped = der;
  const std::string mine = key.public_key_der(), theirs = other.public_key_der();
  ASSERT_EQ(mine.size(), theirs.size());
  swapped.replace(swapped.find(mine), mine.size(), theirs);
  auto csr = CertificateRequest::from_der(swapped);
  ASSERT_TRUE(csr.ok());
  EXPECT_FALSE(csr->verify().ok());
}

TEST(Csr, GarbageAndOversizedInputIsRefused) {
  const auto key = *PrivateKey::generate(KeyType::ec_p256);
  const std::string der = *make_csr(key, kSubject);
  std::string version2 = der;
  version2[version2.find(std::string("\x02\x01\x00", 3)) + 2] = 1;
  const auto cert = issue_certificate({.common_name = "x"}, key, nullptr, key);
  ASSERT_TRUE(cert.ok());
  const std::vector<std::string> bad{
      "",
      "not a request",
      std::string("\x30\x03\x02\x01", 4),
      der + "x",
      der.substr(0, der.size() - 1),
      version2,
      cert->to_der(),
      cert->to_pem(),
      "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
      std::string(CertificateRequest::kMaxBytes + 1, '\x30'),
      "-----BEGIN CERTIFICATE REQUEST-----\n" + std::string(CertificateRequest::kMaxBytes, 'A'),
  };
  for (const auto& input : bad) {
    auto csr = CertificateRequest::parse(input);
    ASSERT_FALSE(csr.ok()) << input.substr(0, 40);
    EXPECT_EQ(csr.error().code(), errc::bad_certificate_request);
    EXPECT_FALSE(csr.error().detail().empty());
  }
  auto big = CertificateRequest::from_der(std::string(CertificateRequest::kMaxBytes + 1, '\x30'));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().detail().find("at most 65536"), std::string::npos) << big.error().detail();
  auto v2 = CertificateRequest::from_der(version2);
  ASSERT_FALSE(v2.ok());
  EXPECT_NE(v2.error().detail().find("version 2"), std::string::npos) << v2.error().detail();
}

TEST(Csr, ACaIssuesForTheRequestsKeyAndSubject) {
  const auto ca_key = *PrivateKey::generate(KeyType::ec_p256);
  const auto ca = *issue_certificate({.common_name = "Test CA", .usage = Usage::ca}, ca_key, nullptr, ca_key);
  const auto key = *PrivateKey::generate(KeyType::rsa2048);
  auto csr = CertificateRequest::from_der(*make_csr(key, kSubject));
  ASSERT_TRUE(csr.ok());

  auto cert = issue_certificate({.usage = Usage::signing}, *csr, ca, ca_key);
  ASSERT_TRUE(cert.ok()) << cert.error().to_string();
  EXPECT_TRUE(cert->matches_key(key));
  EXPECT_EQ(cert->subject(), csr->subject());
  EXPECT_EQ(cert->issuer(), ca.subject());
  EXPECT_TRUE(cert->is_signing_cert());
  EXPECT_EQ(cert->public_key_der(), key.public_key_der());
  TempDir dir;
  write_file(dir / "ca.pem", ca.to_pem());
  write_file(dir / "cert.pem", cert->to_pem());
  std::string out;
  EXPECT_EQ(
      run_command("openssl verify -CAfile " + (dir / "ca.pem").string() + " " + (dir / "cert.pem").string(), &out), 0)
      << out;
  // The subject keeps the request's string types.
  ASSERT_EQ(run_command("openssl asn1parse -in " + (dir / "cert.pem").string(), &out), 0) << out;
  EXPECT_NE(out.find("PRINTABLESTRING   :DEV/SS1/COM"), std::string::npos) << out;

  // A spec that names a subject overrides the request's.
  auto named = issue_certificate({.common_name = "other"}, *csr, ca, ca_key);
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->subject(), "CN=other");

  // A request whose signature does not verify is not issued for.
  std::string tampered = csr->to_der();
  tampered[tampered.find("Org")] = 'P';
  auto bad = CertificateRequest::from_der(tampered);
  ASSERT_TRUE(bad.ok());
  auto refused = issue_certificate({}, *bad, ca, ca_key);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), errc::bad_certificate_request);

  // By public key alone.
  auto by_key = issue_certificate_for_public_key({.common_name = "k"}, key.public_key_der(), ca, ca_key);
  ASSERT_TRUE(by_key.ok()) << by_key.error().to_string();
  EXPECT_TRUE(by_key->matches_key(key));
  EXPECT_FALSE(issue_certificate_for_public_key({}, "garbage", ca, ca_key).ok());
  EXPECT_FALSE(issue_certificate_for_public_key({}, key.public_key_der() + "x", ca, ca_key).ok());
}

}  // namespace
}  // namespace roadside::crypto
