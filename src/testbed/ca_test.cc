// The test CA in every certificate profile: what it issues, the profile maps back to the
// member, and the profile survives a reload.
#include "testbed/ca.h"

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "trust/certificate_profile.h"

namespace roadside::testbed {
namespace {

using roadside::testing::TempDir;

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
