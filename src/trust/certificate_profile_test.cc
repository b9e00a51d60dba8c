#include "trust/certificate_profile.h"

#include <gtest/gtest.h>

namespace roadside::trust {
namespace {

crypto::Certificate signing_cert(std::vector<std::pair<std::string, std::string>> extra, std::string cn = "4321") {
  static const auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  return *crypto::issue_certificate({.common_name = cn,
                                     .organization = "Test client",
                                     .country = "FI",
                                     .subject_extra = std::move(extra),
                                     .usage = crypto::Usage::signing},
                                    key, nullptr, key);
}

TEST(CertificateProfile, FiVrkMapsSerialNumberAndCommonName) {
  auto cert = signing_cert({{"serialNumber", "DEV/ss2/COM"}});
  EXPECT_TRUE(cert.is_signing_cert());
  EXPECT_FALSE(cert.is_auth_cert());
  auto member = signing_cert_member(cert, kFiVrkProfile);
  ASSERT_TRUE(member.ok()) << member.error().to_string();
  EXPECT_EQ(member->to_string(), "MEMBER:DEV/COM/4321");
}

TEST(CertificateProfile, RefusesWhatDoesNotFit) {
  for (const auto& extra : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {}, {{"serialNumber", "DEV/COM"}}, {{"serialNumber", "DEV/ss2/CO M"}}}) {
    auto member = signing_cert_member(signing_cert(extra), kFiVrkProfile);
    ASSERT_FALSE(member.ok());
    EXPECT_EQ(member.error().fault_code(), "cert_validation");
  }
  auto other =
      signing_cert_member(signing_cert({{"serialNumber", "DEV/ss2/COM"}}),
                          "ee.ria.xroad.common.certificateprofile.impl.SkKlass3CertificateProfileInfoProvider");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().detail().find("not supported"), std::string::npos);
}

}  // namespace
}  // namespace roadside::trust
