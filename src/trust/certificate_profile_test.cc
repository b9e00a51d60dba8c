#include "trust/certificate_profile.h"

#include <sstream>

#include <gtest/gtest.h>

#include "base/log.h"
#include "trust/errors.h"

namespace roadside::trust {
namespace {

const XRoadId kClient = *XRoadId::subsystem("DEV", "COM", "4321", "CLIENT");

crypto::Certificate signing_cert(std::vector<std::pair<std::string, std::string>> extra, std::string cn = "4321",
                                 std::string organization = "Test client") {
  static const auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  return *crypto::issue_certificate({.common_name = cn,
                                     .organization = organization,
                                     .country = "FI",
                                     .subject_extra = std::move(extra),
                                     .usage = crypto::Usage::signing},
                                    key, nullptr, key);
}

TEST(CertificateProfile, FiVrkMapsSerialNumberAndCommonName) {
  auto cert = signing_cert({{"serialNumber", "DEV/ss2/COM"}});
  EXPECT_TRUE(cert.is_signing_cert());
  EXPECT_FALSE(cert.is_auth_cert());
  auto member = signing_cert_member(cert, kFiVrkProfile, kClient);
  ASSERT_TRUE(member.ok()) << member.error().to_string();
  EXPECT_EQ(member->to_string(), "MEMBER:DEV/COM/4321");
}

TEST(CertificateProfile, RefusesWhatDoesNotFit) {
  for (const auto& extra : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"serialNumber", "DEV/COM"}}, {{"serialNumber", "DEV/ss2/CO M"}}}) {
    auto member = signing_cert_member(signing_cert(extra), kFiVrkProfile, kClient);
    ASSERT_FALSE(member.ok());
    EXPECT_EQ(member.error().fault_code(), "incorrect_certificate") << member.error().detail();
    EXPECT_NE(member.error().detail().find("FiVRK"), std::string::npos) << member.error().detail();
  }
  // Without serialNumber and OU, FiVRK reads C/O/CN as X-Road's CertSubjectUtils does.
  auto stone_age = signing_cert_member(signing_cert({}, "4321", "GOV"), kFiVrkProfile, kClient);
  ASSERT_TRUE(stone_age.ok()) << stone_age.error().to_string();
  EXPECT_EQ(stone_age->to_string(), "MEMBER:FI/GOV/4321");
  // A subject part X-Road identifiers cannot hold is refused, not mapped.
  auto spaced = signing_cert_member(signing_cert({}), kFiVrkProfile, kClient);
  ASSERT_FALSE(spaced.ok());
  EXPECT_EQ(spaced.error().fault_code(), "incorrect_certificate");
}

TEST(CertificateProfile, TheProfileOfTheCaDecides) {
  const auto* klass3 = CertificateProfile::find("SkKlass3");
  ASSERT_NE(klass3, nullptr);
  auto cert = signing_cert({{"2.5.4.97", "NTREE-4321"}}, "Member");
  auto member = signing_cert_member(cert, klass3->class_name(), kClient);
  ASSERT_TRUE(member.ok()) << member.error().to_string();
  EXPECT_EQ(member->to_string(), "MEMBER:DEV/COM/4321");  // the instance is the expected signer's
  auto fivrk = signing_cert_member(cert, kFiVrkProfile, kClient);
  EXPECT_FALSE(fivrk.ok());  // C=FI without serialNumber and OU: FI/Test client/Member, not a valid code
}

TEST(CertificateProfile, AnUnknownClassIsAnErrorNamingItAndALogLine) {
  std::ostringstream logged;
  log::redirect_for_testing(logged);
  const std::string name = "com.example.NoSuchCertificateProfileInfoProvider";
  auto member = signing_cert_member(signing_cert({{"serialNumber", "DEV/ss2/COM"}}), name, kClient);
  ASSERT_FALSE(member.ok());
  EXPECT_EQ(member.error().code(), make_error_code(errc::unknown_certificate_profile));
  EXPECT_EQ(member.error().fault_code(), "internal_error");
  EXPECT_NE(member.error().detail().find("\"" + name + "\""), std::string::npos) << member.error().detail();
  // Logged once, not once per message.
  (void)signing_cert_member(signing_cert({}), name, kClient);
  log::flush();
  const std::string text = logged.str();
  EXPECT_NE(text.find("unknown certificate profile"), std::string::npos) << text;
  EXPECT_NE(text.find(name), std::string::npos) << text;
  EXPECT_EQ(text.find(name), text.rfind(name)) << text;
  log::redirect_for_testing(std::cout);
}

TEST(CertificateProfile, EveryProfileIsFoundByNameAndClass) {
  for (const char* name : {"Basic", "BasicACME", "Ejbca", "FiVRK", "Fo", "Is", "SkEsteId", "SkKlass3", "Test"}) {
    const auto* p = CertificateProfile::find(name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_EQ(CertificateProfile::find(p->class_name()), p);
    EXPECT_EQ(CertificateProfile::find(std::string(name) == "FiVRK" ? "fivrk" : name), p);
  }
  EXPECT_EQ(CertificateProfile::find("FiVRKCertificateProfileInfoProvider"), nullptr);
  EXPECT_EQ(CertificateProfile::find("SkEsteId")->fixed_member_class(), "PERSON");
  EXPECT_EQ(CertificateProfile::find("FiVRK")->fixed_member_class(), "");
}

TEST(DistinguishedName, ParsesBothOrdersEscapesAndMultiValuedRdns) {
  auto java = parse_dn("CN=a\\, b, O=\"x;y\" ; C=FI", DnStringOrder::reversed);
  ASSERT_TRUE(java.ok()) << java.error().to_string();
  EXPECT_EQ(*java, (DistinguishedName{{"2.5.4.6", "FI"}, {"2.5.4.10", "x;y"}, {"2.5.4.3", "a, b"}}));
  auto bc = parse_dn(" SN = 123 + CN=\\41b\\  ,OID.2.5.4.97=NTREE-1", DnStringOrder::der);
  ASSERT_TRUE(bc.ok()) << bc.error().to_string();
  EXPECT_EQ(*bc, (DistinguishedName{{"2.5.4.5", "123"}, {"2.5.4.3", "Ab "}, {"2.5.4.97", "NTREE-1"}}));
  EXPECT_EQ(dn_to_string(*bc, DnStringOrder::der), "serialNumber=123, CN=Ab\\ , organizationIdentifier=NTREE-1");
  for (const char* bad : {"CN", "XYZ=1", "CN=\"open", "CN=#0403", "CN=a\\"}) {
    auto r = parse_dn(bad, DnStringOrder::der);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), make_error_code(errc::invalid_dn_parameter));
  }
  EXPECT_TRUE(parse_dn("", DnStringOrder::der)->empty());
}

TEST(DistinguishedName, RdnValueIsTheLastInDerOrderEscapedAsBouncyCastleDoes) {
  const DistinguishedName dn{{"2.5.4.3", "first"}, {"2.5.4.3", " a,b "}, {"2.5.4.10", "#x"}};
  EXPECT_EQ(rdn_value(dn, oid::kCommonName), "\\ a\\,b\\ ");
  EXPECT_EQ(rdn_value(dn, oid::kOrganization), "\\#x");
  EXPECT_EQ(rdn_value(dn, oid::kCountry), std::nullopt);
}

TEST(CsrSubject, ProfileFieldsFilledAndReadByTheSignerGiveTheSubject) {
  const auto* basic = CertificateProfile::find("Basic");
  const ProfileParameters params{.server = *XRoadId::server("DEV", "COM", "4321", "ss1"),
                                 .client = *XRoadId::member("DEV", "COM", "4321"),
                                 .member_name = "Member 1"};
  const auto fields = basic->subject_fields(CertType::sign, params);
  auto values = process_dn_parameters(fields, {{"C", "EE"}}, [&](std::string_view id, std::string_view v) {
    return basic->validate_subject_field(CertType::sign, params, id, v);
  });
  ASSERT_TRUE(values.ok()) << values.error().to_string();
  const std::string name = create_subject_name(*values);
  EXPECT_EQ(name, "CN=Member 1, O=Member 1, businessCategory=COM, C=EE, serialNumber=4321");
  auto dn = parse_dn(name, DnStringOrder::der);
  ASSERT_TRUE(dn.ok());
  auto member = basic->subject_member(*dn, params);
  ASSERT_TRUE(member.ok()) << member.error().to_string();
  EXPECT_EQ(*member, (SubjectMember{"DEV", "COM", "4321"}));
  auto missing = process_dn_parameters(fields, {}, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().detail(), "missing parameter: C");
}

}  // namespace
}  // namespace roadside::trust
