// The test CA in every certificate profile: what it issues, for its own keys and for CSRs,
// the profile maps back to the member, and the profile survives a reload.
#include "testbed/ca.h"

#include <gtest/gtest.h>

#include "base/errors.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"
#include "trust/certificate_profile.h"

namespace roadside::testbed {
namespace {

using roadside::testing::run_command;
using roadside::testing::TempDir;
using roadside::testing::write_file;

// A CSR of `key` with `subject` (as a Security Server makes one from the profile's form).
crypto::CertificateRequest csr_for(const crypto::PrivateKey& key, const trust::DistinguishedName& subject) {
  crypto::SubjectEntries entries;
  for (const auto& a : subject) entries.emplace_back(a.oid, a.value);
  auto der = crypto::make_csr(key, entries);
  EXPECT_TRUE(der.ok()) << der.error().to_string();
  return *crypto::CertificateRequest::from_der(*der);
}

crypto::CertificateRequest csr_for(const crypto::PrivateKey& key, const std::string& subject) {
  return csr_for(key, *trust::parse_dn(subject, trust::DnStringOrder::der));
}

// The extensions of a certificate as `openssl x509` prints them, but its key identifiers.
std::string extensions(const TempDir& dir, const crypto::Certificate& cert) {
  write_file(dir / "ext.pem", cert.to_pem());
  std::string out;
  EXPECT_EQ(run_command("openssl x509 -noout -ext basicConstraints,keyUsage,extendedKeyUsage,subjectAltName -in " +
                            (dir / "ext.pem").string(),
                        &out),
            0)
      << out;
  return out;
}

TEST(TestCa, IssuesInEveryProfileWhatTheProfileMapsBackToTheMember) {
  const auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  for (const auto& profile : trust::CertificateProfile::all()) {
    SCOPED_TRACE(std::string(profile.name()));
    TempDir dir;
    auto ca = TestCa::create(dir / "ca", "DEV Test CA", true, profile.class_name());
    ASSERT_TRUE(ca.ok()) << ca.error().to_string();
    const std::string member_class =
        profile.fixed_member_class().empty() ? "COM" : std::string(profile.fixed_member_class());
    const XRoadId member = *XRoadId::member("DEV", member_class, "1001");
    auto sign =
        (*ca)->issue_signing(*XRoadId::subsystem("DEV", member_class, "1001", "CLIENT"), "ss1", "Member 1", key);
    ASSERT_TRUE(sign.ok()) << sign.error().to_string();
    EXPECT_TRUE(sign->is_signing_cert());
    auto mapped = trust::signing_cert_member(*sign, profile.class_name(), member);
    ASSERT_TRUE(mapped.ok()) << sign->subject() << ": " << mapped.error().to_string();
    EXPECT_EQ(*mapped, member) << sign->subject();

    auto auth = (*ca)->issue_auth(*XRoadId::server("DEV", member_class, "1001", "ss1"), key, "Member 1");
    ASSERT_TRUE(auth.ok()) << auth.error().to_string();
    EXPECT_TRUE(auth->is_auth_cert());
    EXPECT_FALSE(auth->subject().empty());

    auto again = TestCa::load(dir / "ca");
    ASSERT_TRUE(again.ok()) << again.error().to_string();
    EXPECT_EQ(&(*again)->profile(), &profile);
  }
}

TEST(TestCa, SignsCsrsInEveryProfileAsItIssuesAndTheProfileMapsBackToTheMember) {
  const auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  const auto own = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  for (const auto& profile : trust::CertificateProfile::all()) {
    SCOPED_TRACE(std::string(profile.name()));
    TempDir dir;
    auto ca = TestCa::create(dir / "ca", "DEV Test CA", true, profile.class_name());
    ASSERT_TRUE(ca.ok()) << ca.error().to_string();
    const std::string member_class =
        profile.fixed_member_class().empty() ? "COM" : std::string(profile.fixed_member_class());
    const XRoadId member = *XRoadId::member("DEV", member_class, "1001");
    const XRoadId server = *XRoadId::server("DEV", member_class, "1001", "ss1");
    const trust::ProfileParameters params{.server = server, .client = member, .member_name = "Member 1"};

    for (const auto type : {trust::CertType::sign, trust::CertType::auth}) {
      SCOPED_TRACE(type == trust::CertType::sign ? "sign" : "auth");
      auto subject = TestCa::subject_for(profile, type, params);
      ASSERT_TRUE(subject.ok()) << subject.error().to_string();
      auto cert = (*ca)->sign_csr(csr_for(key, *subject), type, "DEV");
      ASSERT_TRUE(cert.ok()) << cert.error().to_string();
      auto issued = type == trust::CertType::sign ? (*ca)->issue_signing(member, "ss1", "Member 1", own)
                                                  : (*ca)->issue_auth(server, own, "Member 1");
      ASSERT_TRUE(issued.ok()) << issued.error().to_string();
      // For the CSR's key, with the subject and extensions the CA gives its own.
      EXPECT_TRUE(cert->matches_key(key));
      EXPECT_EQ(cert->subject(), issued->subject());
      EXPECT_EQ(extensions(dir, *cert), extensions(dir, *issued));
      EXPECT_EQ(cert->is_signing_cert(), type == trust::CertType::sign);
      EXPECT_EQ(cert->is_auth_cert(), type == trust::CertType::auth);
      EXPECT_EQ(cert->not_after() - cert->not_before(), issued->not_after() - issued->not_before());
      EXPECT_TRUE(crypto::verify_chain(*cert, {}, {(*ca)->ca()}, std::chrono::system_clock::now()).ok());
      // Known to the OCSP responder.
      ASSERT_TRUE((*ca)->status(cert->serial_hex()).has_value());
      EXPECT_EQ((*ca)->status(cert->serial_hex())->status, crypto::CertStatus::good);
      if (type == trust::CertType::sign) {
        auto mapped = trust::signing_cert_member(*cert, profile.class_name(), member);
        ASSERT_TRUE(mapped.ok()) << cert->subject() << ": " << mapped.error().to_string();
        EXPECT_EQ(*mapped, member);
      }
    }
  }
}

TEST(TestCa, ACsrSignedAsOpenSslVerifiesIt) {
  TempDir dir;
  auto ca = TestCa::create(dir / "ca", "DEV Test CA", false);
  ASSERT_TRUE(ca.ok()) << ca.error().to_string();
  const auto key = *crypto::PrivateKey::generate(crypto::KeyType::rsa2048);
  auto cert = (*ca)->sign_csr(csr_for(key, "C=FI, O=Member 1, serialNumber=DEV/ss1/COM, CN=1001"),
                              trust::CertType::sign, "DEV");
  ASSERT_TRUE(cert.ok()) << cert.error().to_string();
  write_file(dir / "cert.pem", cert->to_pem());
  std::string out;
  EXPECT_EQ(run_command(
                "openssl verify -CAfile " + (dir / "ca" / "ca.pem").string() + " " + (dir / "cert.pem").string(), &out),
            0)
      << out;
}

TEST(TestCa, RefusesCsrsItsProfileCannotUse) {
  TempDir dir;
  auto ca = TestCa::create(dir / "ca", "DEV Test CA", true);  // FiVRK
  ASSERT_TRUE(ca.ok()) << ca.error().to_string();
  const auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  const std::vector<std::tuple<std::string, trust::CertType, std::string>> cases{
      {"CN=1001", trust::CertType::sign, "is missing"},
      {"C=SE, O=Member 1, serialNumber=DEV/ss1/COM, CN=1001", trust::CertType::sign, "is FI in this profile, not SE"},
      {"C=FI, O=Member 1, OU=X, serialNumber=DEV/ss1/COM, CN=1001", trust::CertType::sign, "OU is not a field"},
      {"C=FI, O=Member 1, O=Again, serialNumber=DEV/ss1/COM, CN=1001", trust::CertType::sign, "O appears twice"},
      {"C=FI, O=Member 1, serialNumber=DEV/ss1, CN=1001", trust::CertType::sign, "names no member"},
      {"C=FI, O=Member 1, serialNumber=DEV/ss1/C O M, CN=1001", trust::CertType::sign, "names no member"},
      {"C=FI, O=Member 1, serialNumber=FI/ss1/COM, CN=1001", trust::CertType::sign, "another instance"},
      {"C=FI, O=Member 1, CN=ss1", trust::CertType::auth, "Serial Number (serialNumber) is missing"},
  };
  for (const auto& [subject, type, why] : cases) {
    SCOPED_TRACE(subject);
    auto cert = (*ca)->sign_csr(csr_for(key, subject), type, "DEV");
    ASSERT_FALSE(cert.ok());
    EXPECT_EQ(cert.error().code(), base::make_error_code(base::errc::invalid_argument));
    EXPECT_NE(cert.error().detail().find(why), std::string::npos) << cert.error().detail();
    EXPECT_NE(cert.error().detail().find(subject.substr(0, 4)), std::string::npos) << cert.error().detail();
  }
  // A blank field, as the form refuses it.
  auto blank = (*ca)->sign_csr(
      csr_for(key,
              trust::DistinguishedName{
                  {"2.5.4.6", "FI"}, {"2.5.4.10", "  "}, {"2.5.4.5", "DEV/ss1/COM"}, {"2.5.4.3", "1001"}}),
      trust::CertType::sign, "DEV");
  ASSERT_FALSE(blank.ok());
  EXPECT_NE(blank.error().detail().find("is missing value"), std::string::npos) << blank.error().detail();
  // A request whose signature does not verify, and a key too weak for X-Road.
  std::string tampered = csr_for(key, "C=FI, O=Member 1, serialNumber=DEV/ss1/COM, CN=1001").to_der();
  tampered[tampered.find("Member 1")] = 'N';
  auto bad = (*ca)->sign_csr(*crypto::CertificateRequest::from_der(tampered), trust::CertType::sign, "DEV");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail().find("does not verify"), std::string::npos) << bad.error().detail();
  std::string out;
  ASSERT_EQ(run_command("openssl req -new -newkey rsa:1024 -nodes -keyout " + (dir / "k.pem").string() +
                            " -subj '/C=FI/O=Member 1/serialNumber=DEV\\/ss1\\/COM/CN=1001' -outform DER -out " +
                            (dir / "weak.der").string(),
                        &out),
            0)
      << out;
  auto weak = (*ca)->sign_csr(*crypto::CertificateRequest::from_der(roadside::testing::read_file(dir / "weak.der")),
                              trust::CertType::sign, "DEV");
  ASSERT_FALSE(weak.ok());
  EXPECT_NE(weak.error().detail().find("2048"), std::string::npos) << weak.error().detail();
}

TEST(TestCa, WhatAnotherProcessIssuesFromTheFolderIsKnownToTheRunningResponder) {
  TempDir dir;
  auto running = TestCa::create(dir / "ca", "DEV Test CA", true);
  ASSERT_TRUE(running.ok()) << running.error().to_string();
  auto other = TestCa::load(dir / "ca");  // `roadside testbed sign-csr` while `up` runs
  ASSERT_TRUE(other.ok()) << other.error().to_string();
  const auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto cert = (*other)->sign_csr(csr_for(key, "C=FI, O=Member 1, serialNumber=DEV/ss1/COM, CN=1001"),
                                 trust::CertType::sign, "DEV");
  ASSERT_TRUE(cert.ok()) << cert.error().to_string();
  ASSERT_TRUE((*running)->status(cert->serial_hex()).has_value());
  EXPECT_EQ((*running)->status(cert->serial_hex())->status, crypto::CertStatus::good);
  // The running CA's own issuance keeps what the other wrote, and the other sees its revocation.
  auto mine = (*running)->issue_auth(*XRoadId::server("DEV", "COM", "1001", "ss1"), key);
  ASSERT_TRUE(mine.ok()) << mine.error().to_string();
  ASSERT_TRUE((*running)->revoke(*cert, std::chrono::system_clock::now()).ok());
  EXPECT_EQ((*other)->status(cert->serial_hex())->status, crypto::CertStatus::revoked);
  ASSERT_TRUE((*other)->status(mine->serial_hex()).has_value());
  auto reloaded = TestCa::load(dir / "ca");
  ASSERT_TRUE(reloaded.ok());
  EXPECT_TRUE((*reloaded)->status(cert->serial_hex()).has_value());
  EXPECT_TRUE((*reloaded)->status(mine->serial_hex()).has_value());
}

TEST(TestCa, AnUnknownProfileIsRefusedByName) {
  TempDir dir;
  auto ca = TestCa::create(dir / "ca", "DEV Test CA", true, "NoSuchProfile");
  ASSERT_FALSE(ca.ok());
  EXPECT_NE(ca.error().detail().find("\"NoSuchProfile\""), std::string::npos) << ca.error().detail();
}

TEST(TestCa, SubjectsFollowTheProfilesCsrForm) {
  const trust::ProfileParameters params{.server = *XRoadId::server("FI-TEST", "COM", "1001", "ss1"),
                                        .client = *XRoadId::member("FI-TEST", "COM", "1001"),
                                        .member_name = "Member 1"};
  auto subject = [&](const char* name) {
    auto dn = TestCa::subject_for(*trust::CertificateProfile::find(name), trust::CertType::sign, params);
    EXPECT_TRUE(dn.ok()) << name;
    return dn.ok() ? trust::dn_to_string(*dn, trust::DnStringOrder::der) : "";
  };
  EXPECT_EQ(subject("FiVRK"), "C=FI, O=Member 1, serialNumber=FI-TEST/ss1/COM, CN=1001");
  EXPECT_EQ(subject("Basic"), "CN=Member 1, O=Member 1, businessCategory=COM, C=FI, serialNumber=1001");
  EXPECT_EQ(subject("Fo"), "C=FO, O=FI-TEST, OU=COM, CN=1001, serialNumber=FI-TEST/COM/1001/ss1");
  EXPECT_EQ(subject("SkKlass3"), "serialNumber=1001, CN=Member 1, organizationIdentifier=NTREE-1001");
}

}  // namespace
}  // namespace roadside::testbed
