// Certificate profiles: X-Road's rules for what the subject of an authentication or signing
// certificate says, chosen per approved CA by the Java class name global configuration gives
// it (shared-params <approvedCA><certificateProfileInfo>). Reference: xroad-protocols.md §8.4
// and X-Road's ee.ria.xroad.common.certificateprofile.impl.
//
// A profile gives, for each certificate type, the fields of the CSR form (their defaults
// filled from the server's and client's identifiers), validates a field, builds a subject
// DN, and for signing certificates reads the member back out of the subject
// (SignCertificateProfileInfo.getSubjectIdentifier), which verification uses.
// Every profile X-Road ships: Basic, BasicACME, Ejbca, FiVRK, Fo, Is, SkEsteId, SkKlass3,
// and X-Road's test-only Test profile.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/identifiers.h"
#include "base/result.h"
#include "crypto/crypto.h"
#include "trust/distinguished_name.h"

namespace roadside::trust {

inline constexpr std::string_view kProfilePackage = "ee.ria.xroad.common.certificateprofile.impl.";
inline constexpr std::string_view kFiVrkProfile =
    "ee.ria.xroad.common.certificateprofile.impl.FiVRKCertificateProfileInfoProvider";

enum class CertType { auth, sign };

// What a profile is told about the certificate's owner (X-Road's
// {Auth,Sign}CertificateProfileInfo.Parameters). Parts a caller does not know stay unset;
// placeholders over them read as "".
struct ProfileParameters {
  std::optional<XRoadId> server;  // SERVER: the security server (auth), or where a signing CSR is made
  std::optional<XRoadId> client;  // MEMBER: the signing certificate's member (sign)
  std::string member_name;        // the member's name in global configuration
};

// One field of the CSR form.
struct SubjectField {
  std::string id;         // attribute keyword ("C", "serialNumber", "SN") or the pseudo field "subjectAltName"
  std::string label_key;  // "COUNTRY_CODE"
  std::string label;      // "Country Code (C)"
  std::string default_value;
  bool read_only = true;
  bool required = true;
  friend bool operator==(const SubjectField&, const SubjectField&) = default;
};

// The member a signing certificate's subject names, part by part as the profile read it
// (not yet checked against X-Road's identifier rules).
struct SubjectMember {
  std::string instance, member_class, member_code;
  friend bool operator==(const SubjectMember&, const SubjectMember&) = default;
};

class CertificateProfile {
 public:
  struct Template {
    std::string_view id, label_key, label, default_value;  // default_value may hold ${...} placeholders
    bool read_only = true;
  };
  using Decoder = Result<SubjectMember> (*)(const DistinguishedName& subject, const ProfileParameters& params);

  // Every built-in profile.
  static std::span<const CertificateProfile> all();
  // By X-Road's short name ("FiVRK", case-insensitive) or full class name.
  static const CertificateProfile* find(std::string_view name_or_class);
  // find(), or errc::unknown_certificate_profile naming it and the known profiles (a user's
  // choice, not logged).
  static Result<const CertificateProfile*> named(std::string_view name_or_class);
  // By the class name an approved CA gives. An unknown one is errc::unknown_certificate_profile
  // naming it, and logged (once per name).
  static Result<const CertificateProfile*> for_class(std::string_view class_name);

  std::string_view name() const { return name_; }  // "FiVRK"
  std::string class_name() const {
    return std::string(kProfilePackage) + std::string(name_) + "CertificateProfileInfoProvider";
  }
  // The class X-Road's provider returns for this type, when X-Road names one ("" otherwise).
  std::string implementation_class(CertType type) const;
  // X-Road's own test-only profile (common-test), which production servers do not have.
  bool test_only() const { return test_only_; }
  // The member class every signing certificate maps to under this profile (SkEsteId:
  // PERSON, Test: BUSINESS), or "" when the subject says it.
  std::string_view fixed_member_class() const { return fixed_member_class_; }

  // The CSR form's fields with their defaults for `params`.
  std::vector<SubjectField> subject_fields(CertType type, const ProfileParameters& params) const;
  // validateSubjectField: "Unknown field: <id>", or a required field left blank
  // ("Field '<label> (<id>)' is missing value"); errc::invalid_dn_parameter.
  Status validate_subject_field(CertType type, const ProfileParameters& params, std::string_view id,
                                std::string_view value) const;
  // createSubjectDn: "id=value" joined with ", " and read as javax X500Principal does.
  // SkEsteId builds none (an error).
  Result<DistinguishedName> create_subject_dn(CertType type,
                                              const std::vector<std::pair<std::string, std::string>>& values) const;
  // getSubjectIdentifier of the signing profile: the member the subject names. `params`
  // gives the instance to profiles whose subjects do not carry it (Basic, BasicACME,
  // SkEsteId, SkKlass3, Test). Errors carry X-Road's codes: incorrect_certificate,
  // invalid_certificate, or malformed_subject.
  Result<SubjectMember> subject_member(const DistinguishedName& subject, const ProfileParameters& params) const;

  // The table in certificate_profile.cc.
  CertificateProfile(std::string_view name, std::vector<Template> auth, std::vector<Template> sign, Decoder decoder,
                     bool x_road_names_classes, std::string_view fixed_member_class = {}, bool test_only = false,
                     bool builds_dn = true)
      : name_(name),
        auth_(std::move(auth)),
        sign_(std::move(sign)),
        decoder_(decoder),
        names_classes_(x_road_names_classes),
        fixed_member_class_(fixed_member_class),
        test_only_(test_only),
        builds_dn_(builds_dn) {}

 private:
  const std::vector<Template>& templates(CertType type) const { return type == CertType::auth ? auth_ : sign_; }

  std::string_view name_;
  std::vector<Template> auth_, sign_;
  Decoder decoder_;
  bool names_classes_;
  std::string_view fixed_member_class_;
  bool test_only_;
  bool builds_dn_;
};

// The member a signing certificate belongs to, by the profile `profile_class` of its CA.
// `expected_signer` is the member or subsystem that should have signed: X-Road gives it to
// the profile, and profiles whose subjects do not name the instance take it from there.
// Errors name the profile and the subject.
Result<XRoadId> signing_cert_member(const crypto::Certificate& cert, std::string_view profile_class,
                                    const XRoadId& expected_signer);

// ---- CSR subjects, as X-Road's Security Server admin API makes them (DnFieldHelper) ----

// processDnParameters: every field of the form gets its value: the submitted one for an
// editable field, else its default (a value submitted for a read-only field is ignored). A
// required editable field left blank ("missing parameter: <id>"), a submitted id the form
// does not have ("extraneous parameters: [...]") or a value `validate` refuses are
// errc::invalid_dn_parameter.
Result<std::vector<std::pair<std::string, std::string>>> process_dn_parameters(
    const std::vector<SubjectField>& fields, const std::map<std::string, std::string>& submitted,
    const std::function<Status(std::string_view id, std::string_view value)>& validate);
// createSubjectName: the non-blank values as "id=value" joined with ", ", in order (values
// are not escaped, as in X-Road). The signer reads it with parse_dn(..., DnStringOrder::der).
std::string create_subject_name(const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace roadside::trust
