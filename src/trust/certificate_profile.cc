#include "trust/certificate_profile.h"

#include <algorithm>
#include <mutex>
#include <set>

#include "base/log.h"
#include "crypto/certificate_names.h"
#include "trust/errors.h"

namespace roadside::trust {
namespace {

Error incorrect(std::string detail) {
  return Error(make_error_code(errc::incorrect_certificate), std::move(detail));
}
Error invalid_cert(std::string detail) {
  return Error(make_error_code(errc::invalid_certificate), std::move(detail));
}
Error invalid_dn(std::string detail) {
  return Error(make_error_code(errc::invalid_dn_parameter), std::move(detail));
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

std::string part(const std::optional<XRoadId>& id, std::optional<std::string> XRoadId::Parts::*member) {
  if (!id) return "";
  return (id->parts().*member).value_or("");
}

// The value of a ${...} placeholder of X-Road's field templates; "" for a part not given.
std::string placeholder(std::string_view key, const ProfileParameters& p) {
  using P = XRoadId::Parts;
  struct Part {
    std::string_view key;
    const std::optional<XRoadId> ProfileParameters::*id;
    std::optional<std::string> P::*part;
  };
  static constexpr Part kParts[] = {
      {"serverId.xroadInstance", &ProfileParameters::server, &P::instance},
      {"serverId.memberClass", &ProfileParameters::server, &P::member_class},
      {"serverId.memberCode", &ProfileParameters::server, &P::member_code},
      {"serverId.serverCode", &ProfileParameters::server, &P::server_code},
      {"clientId.xroadInstance", &ProfileParameters::client, &P::instance},
      {"clientId.memberClass", &ProfileParameters::client, &P::member_class},
      {"clientId.memberCode", &ProfileParameters::client, &P::member_code},
  };
  for (const auto& k : kParts) {
    if (k.key == key) return part(p.*k.id, k.part);
  }
  if (key == "serverId.toShortString()" && p.server) {
    return part(p.server, &P::instance) + "/" + part(p.server, &P::member_class) + "/" +
           part(p.server, &P::member_code) + "/" + part(p.server, &P::server_code);
  }
  if (key == "memberName") return p.member_name;
  return "";
}

// A field template's default with its placeholders filled.
std::string fill(std::string_view tmpl, const ProfileParameters& p) {
  std::string out;
  for (std::size_t pos = 0; pos < tmpl.size();) {
    const auto open = tmpl.find("${", pos);
    const auto close = open == std::string_view::npos ? open : tmpl.find('}', open);
    if (close == std::string_view::npos) {
      out += tmpl.substr(pos);
      break;
    }
    out += tmpl.substr(pos, open - pos);
    out += placeholder(tmpl.substr(open + 2, close - open - 2), p);
    pos = close + 1;
  }
  return out;
}

std::string client_instance(const ProfileParameters& p) {
  return part(p.client, &XRoadId::Parts::instance);
}

// Java's String.split("/"): trailing empty strings removed.
std::vector<std::string> java_split(std::string_view s, char sep) {
  std::vector<std::string> out;
  for (std::size_t start = 0;;) {
    const auto at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  if (s.empty()) return out;
  while (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

// ---- Decoders (X-Road's getSubjectIdentifier and its SubjectClientIdDecoders) -----------

// A required attribute, or X_INCORRECT_CERTIFICATE "Certificate subject name does not contain <what>".
Result<std::string> required(const DistinguishedName& dn, std::string_view oid, std::string_view what) {
  auto v = rdn_value(dn, oid);
  if (!v) return incorrect("Certificate subject name does not contain " + std::string(what));
  return *v;
}

Status require_country(const DistinguishedName& dn, std::string_view country) {
  if (rdn_value(dn, oid::kCountry) != country) {
    return incorrect("Certificate subject name does not contain valid country code");
  }
  return {};
}

// CertSubjectUtils.getSubjectClientId: C=<instance>, O=<class>, CN=<code>.
Result<SubjectMember> cert_subject_utils(const DistinguishedName& dn) {
  ROADSIDE_TRY(std::string c, required(dn, oid::kCountry, "country code"));
  ROADSIDE_TRY(std::string o, required(dn, oid::kOrganization, "organization"));
  ROADSIDE_TRY(std::string cn, required(dn, oid::kCommonName, "common name"));
  return SubjectMember{c, o, cn};
}

Result<SubjectMember> decode_ejbca(const DistinguishedName& dn, const ProfileParameters&) {
  return cert_subject_utils(dn);
}

// FISubjectClientIdDecoder.
Result<SubjectMember> decode_fivrk(const DistinguishedName& dn, const ProfileParameters&) {
  if (!rdn_value(dn, oid::kSerialNumber)) {
    if (!rdn_value(dn, oid::kOrganizationalUnit)) return cert_subject_utils(dn);
    // Legacy: C=FI, O=<instance>, OU=<class>, CN=<code>.
    ROADSIDE_TRY_STATUS(require_country(dn, "FI"));
    ROADSIDE_TRY(std::string o, required(dn, oid::kOrganization, "organization"));
    ROADSIDE_TRY(std::string ou, required(dn, oid::kOrganizationalUnit, "organization unit"));
    ROADSIDE_TRY(std::string cn, required(dn, oid::kCommonName, "common name"));
    return SubjectMember{o, ou, cn};
  }
  // C=FI, O=<name>, serialNumber=<instance>/<server code>/<class>, CN=<code>.
  ROADSIDE_TRY_STATUS(require_country(dn, "FI"));
  ROADSIDE_TRY(std::string cn, required(dn, oid::kCommonName, "common name"));
  ROADSIDE_TRY(std::string o, required(dn, oid::kOrganization, "organization"));
  (void)o;
  const auto parts = java_split(*rdn_value(dn, oid::kSerialNumber), '/');
  if (parts.size() != 3) return incorrect("Certificate subject name's attribute serialNumber has invalid value");
  return SubjectMember{parts[0], parts[2], cn};
}

// C=<country>, O=<instance>, OU=<class>, CN=<code>, serialNumber present (the Fo and Is decoders).
Result<SubjectMember> decode_country_o_ou_cn(const DistinguishedName& dn, std::string_view country) {
  ROADSIDE_TRY_STATUS(require_country(dn, country));
  ROADSIDE_TRY(std::string o, required(dn, oid::kOrganization, "organization"));
  ROADSIDE_TRY(std::string ou, required(dn, oid::kOrganizationalUnit, "organization unit"));
  ROADSIDE_TRY(std::string cn, required(dn, oid::kCommonName, "common name"));
  ROADSIDE_TRY(std::string serial, required(dn, oid::kSerialNumber, "serial number"));
  (void)serial;
  return SubjectMember{o, ou, cn};
}

// FoSubjectClientIdDecoder: C=FO, O=<instance>, OU=<class>, CN=<code>, serialNumber present.
Result<SubjectMember> decode_fo(const DistinguishedName& dn, const ProfileParameters&) {
  return decode_country_o_ou_cn(dn, "FO");
}

// IsSubjectClientIdDecoder: as Fo with C=IS, or CertSubjectUtils without serialNumber and OU.
Result<SubjectMember> decode_is(const DistinguishedName& dn, const ProfileParameters&) {
  if (!rdn_value(dn, oid::kSerialNumber) && !rdn_value(dn, oid::kOrganizationalUnit)) return cert_subject_utils(dn);
  return decode_country_o_ou_cn(dn, "IS");
}

// Basic and BasicACME: businessCategory=<class>, serialNumber=<code>; the instance is the client's.
template <Error (*Fail)(std::string)>
Result<SubjectMember> decode_basic(const DistinguishedName& dn, const ProfileParameters& p) {
  const auto bc = rdn_value(dn, oid::kBusinessCategory);
  if (!bc || bc->empty()) return Fail("Subject name does not contain business category");
  const auto sn = rdn_value(dn, oid::kSerialNumber);
  if (!sn || sn->empty()) return Fail("Subject name does not contain serial number");
  return SubjectMember{client_instance(p), *bc, *sn};
}

// SkEsteId: a person: PERSON/<serialNumber>.
Result<SubjectMember> decode_sk_esteid(const DistinguishedName& dn, const ProfileParameters& p) {
  const auto sn = rdn_value(dn, oid::kSerialNumber);
  if (!sn || sn->empty()) return invalid_cert("Subject name does not contain serial number");
  return SubjectMember{client_instance(p), "PERSON", *sn};
}

// SkKlass3: the organizationIdentifier (NTREE-, GO:EE-, NP:EE-), else an 8-digit registry
// code in serialNumber whose first digit gives the class.
Result<SubjectMember> decode_sk_klass3(const DistinguishedName& dn, const ProfileParameters& p) {
  const std::string instance = client_instance(p);
  if (const auto org = rdn_value(dn, oid::kOrganizationIdentifier); org && !org->empty()) {
    for (const auto& [prefix, member_class] : {std::pair{"NTREE-", "COM"}, {"GO:EE-", "GOV"}, {"NP:EE-", "NGO"}}) {
      if (org->starts_with(prefix)) return SubjectMember{instance, member_class, org->substr(6)};
    }
    return SubjectMember{instance, "NEE", *org};
  }
  const auto sn = rdn_value(dn, oid::kSerialNumber);
  if (!sn || sn->empty()) return invalid_cert("Subject name does not contain serial number");
  if (!std::all_of(sn->begin(), sn->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return invalid_cert("Serial number is not an integer");
  }
  if (sn->size() != 8) return invalid_cert("Serial number must be 8 digits long");
  const char first = sn->front();
  if (first == '0') return Error(make_error_code(errc::malformed_subject), "Malformed serial number: " + *sn);
  return SubjectMember{instance, first <= '6' ? "COM" : first == '7' ? "GOV" : "NGO", *sn};
}

// X-Road's test-only profile: BUSINESS/<CN>.
Result<SubjectMember> decode_test(const DistinguishedName& dn, const ProfileParameters& p) {
  const auto cn = rdn_value(dn, oid::kCommonName);
  if (!cn || cn->empty()) return incorrect("Certificate subject name does not contain common name");
  return SubjectMember{client_instance(p), "BUSINESS", *cn};
}

// ---- The fields of each profile's CSR form ---------------------------------------------

using T = CertificateProfile::Template;

const T kSubjectAltName{"subjectAltName", "SUBJECT_ALTERNATIVE_NAME", "Subject Alternative Name (SAN)", "", false};
T country(std::string_view value, bool read_only = true) {
  return {"C", "COUNTRY_CODE", "Country Code (C)", value, read_only};
}
const T kOrgNameEditable{"O", "ORGANIZATION_NAME", "Organization Name (O)", "", false};
const T kOrgNameMember{"O", "ORGANIZATION_NAME", "Organization Name (O)", "${memberName}"};
const T kServerDnsName{"CN", "SERVER_DNS_NAME", "Server DNS Name (CN)", "", false};
const T kMemberCodeCn{"CN", "MEMBER_CODE", "Member Code (CN)", "${clientId.memberCode}"};
const T kInstanceO{"O", "INSTANCE_IDENTIFIER_O", "Instance Identifier (O)", "${clientId.xroadInstance}"};
const T kMemberClassOu{"OU", "MEMBER_CLASS_OU", "Member Class (OU)", "${clientId.memberClass}"};
const T kServerShortSerial{"serialNumber", "SERIAL_NUMBER", "Serial Number", "${serverId.toShortString()}"};

const std::vector<T> kEjbcaAuth{{"C", "INSTANCE_IDENTIFIER", "Instance Identifier (C)", "${serverId.xroadInstance}"},
                                {"CN", "SERVER_CODE", "Server Code (CN)", "${serverId.serverCode}"}};
const std::vector<T> kEjbcaSign{{"C", "INSTANCE_IDENTIFIER", "Instance Identifier (C)", "${clientId.xroadInstance}"},
                                {"O", "MEMBER_CLASS", "Member Class (O)", "${clientId.memberClass}"},
                                kMemberCodeCn};

// Each: name, auth fields, sign fields, decoder, whether X-Road names <Name>{Auth,Sign}-
// CertificateProfileInfo classes, fixed member class, test-only, builds subject DNs.
const std::vector<CertificateProfile>& table() {
  static const std::vector<CertificateProfile> profiles{
      {"Basic",
       {kServerDnsName,
        {"serialNumber", "MEMBER_CODE_SN", "Member Code (SN)", "${serverId.memberCode}"},
        country("", false),
        kOrgNameMember},
       {{"CN", "ORGANIZATION_NAME_CN", "Organization Name (CN)", "${memberName}"},
        kOrgNameMember,
        {"businessCategory", "MEMBER_CLASS_BC", "Member Class (BC)", "${clientId.memberClass}"},
        country("", false),
        {"serialNumber", "MEMBER_CODE_SN", "Member Code (SN)", "${clientId.memberCode}"}},
       &decode_basic<incorrect>,
       false},
      {"BasicACME",
       {country("", false),
        kOrgNameMember,
        {"serialNumber", "MEMBER_CODE_SN", "Member Code (SN)", "${serverId.memberCode}"},
        kServerDnsName,
        kSubjectAltName},
       {country("", false),
        kOrgNameMember,
        {"businessCategory", "MEMBER_CLASS_BC", "Member Class (BC)", "${clientId.memberClass}"},
        {"serialNumber", "MEMBER_CODE_SN", "Member Code (SN)", "${clientId.memberCode}"},
        {"CN", "ORGANIZATION_NAME_CN", "Organization Name (CN)", "${memberName}"},
        kSubjectAltName},
       &decode_basic<invalid_cert>,
       false},
      {"Ejbca", kEjbcaAuth, kEjbcaSign, &decode_ejbca, true},
      {"FiVRK",
       {country("FI"),
        kOrgNameEditable,
        {"serialNumber", "SERIAL_NUMBER", "Serial Number",
         "${serverId.xroadInstance}/${serverId.serverCode}/${serverId.memberClass}"},
        kServerDnsName,
        kSubjectAltName},
       {country("FI"),
        kOrgNameEditable,
        {"serialNumber", "SERIAL_NUMBER", "Serial Number",
         "${clientId.xroadInstance}/${serverId.serverCode}/${clientId.memberClass}"},
        kMemberCodeCn,
        kSubjectAltName},
       &decode_fivrk,
       true},
      {"Fo",
       {country("FO"),
        {"O", "INSTANCE_IDENTIFIER_O", "Instance Identifier (O)", "${serverId.xroadInstance}"},
        {"CN", "COMMON_NAME", "Common Name (CN)", "${serverId.toShortString()}"}},
       {country("FO"),
        kInstanceO,
        kMemberClassOu,
        kMemberCodeCn,
        {"serialNumber", "SERIAL_NUMBER", "Serial Number", "${serverId.toShortString()}", false}},
       &decode_fo,
       true},
      {"Is",
       {country("IS"), kServerDnsName, kServerShortSerial},
       {country("IS"), kInstanceO, kMemberClassOu, kMemberCodeCn, kServerShortSerial},
       &decode_is,
       true},
      {"SkEsteId", {}, {}, &decode_sk_esteid, false, "PERSON", false, false},
      {"SkKlass3",
       {{"SN", "SERIAL_NUMBER_SN", "Serial Number (SN)", "${serverId.memberCode}"},
        {"CN", "COMMON_NAME", "Common Name (CN)", "${memberName}"}},
       {{"SN", "SERIAL_NUMBER_SN", "Serial Number (SN)", "${clientId.memberCode}"},
        {"CN", "COMMON_NAME", "Common Name (CN)", "${memberName}"}},
       &decode_sk_klass3,
       false},
      {"Test", kEjbcaAuth, kEjbcaSign, &decode_test, false, "BUSINESS", true},
  };
  return profiles;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Logs an unknown class name the first time it is met (a configuration error every message
// would otherwise repeat); remembers a bounded number of names.
void log_unknown_once(std::string_view class_name) {
  static std::mutex mu;
  static std::set<std::string, std::less<>> seen;
  {
    std::lock_guard lock(mu);
    if (seen.contains(class_name) || seen.size() >= 64) return;
    seen.emplace(class_name);
  }
  log::error("unknown certificate profile",
             {{"class", std::string(class_name)},
              {"detail",
               "an approved CA of the global configuration names a certificate profile class Roadside does "
               "not have; certificates of that CA cannot be mapped to their members"}});
}

}  // namespace

std::span<const CertificateProfile> CertificateProfile::all() {
  return table();
}

const CertificateProfile* CertificateProfile::find(std::string_view name_or_class) {
  for (const auto& p : table()) {
    if (iequals(p.name(), name_or_class) || p.class_name() == name_or_class) return &p;
  }
  return nullptr;
}

Result<const CertificateProfile*> CertificateProfile::named(std::string_view name_or_class) {
  if (const auto* p = find(name_or_class)) return p;
  std::string known;
  for (const auto& p : table()) known += (known.empty() ? "" : ", ") + std::string(p.name());
  return Error(make_error_code(errc::unknown_certificate_profile),
               "unknown certificate profile \"" + std::string(name_or_class) + "\" (known: " + known + ")");
}

Result<const CertificateProfile*> CertificateProfile::for_class(std::string_view class_name) {
  for (const auto& p : table()) {
    if (p.class_name() == class_name) return &p;
  }
  log_unknown_once(class_name);
  std::string known;
  for (const auto& p : table()) known += (known.empty() ? "" : ", ") + std::string(p.name());
  return Error(make_error_code(errc::unknown_certificate_profile),
               "unknown certificate profile class \"" + std::string(class_name) + "\" (known: " + known + ")");
}

std::string CertificateProfile::implementation_class(CertType type) const {
  if (!names_classes_) return "";
  return std::string(kProfilePackage) + std::string(name_) + (type == CertType::auth ? "Auth" : "Sign") +
         "CertificateProfileInfo";
}

std::vector<SubjectField> CertificateProfile::subject_fields(CertType type, const ProfileParameters& params) const {
  std::vector<SubjectField> out;
  for (const auto& t : templates(type)) {
    out.push_back({std::string(t.id), std::string(t.label_key), std::string(t.label), fill(t.default_value, params),
                   t.read_only, true});
  }
  return out;
}

Status CertificateProfile::validate_subject_field(CertType type, const ProfileParameters&, std::string_view id,
                                                  std::string_view value) const {
  if (templates(type).empty()) return {};  // SkEsteId accepts anything
  for (const auto& t : templates(type)) {
    if (t.id != id) continue;
    if (blank(value)) {
      return invalid_dn("Field '" + std::string(t.label) + " (" + std::string(t.id) + ")' is missing value");
    }
    return {};
  }
  return invalid_dn("Unknown field: " + std::string(id));
}

Result<DistinguishedName> CertificateProfile::create_subject_dn(
    CertType, const std::vector<std::pair<std::string, std::string>>& values) const {
  if (!builds_dn_) return invalid_dn("the " + std::string(name_) + " profile builds no subject names");
  std::string text;
  for (const auto& [id, value] : values) text += (text.empty() ? "" : ", ") + id + "=" + value;
  return parse_dn(text, DnStringOrder::reversed);
}

Result<SubjectMember> CertificateProfile::subject_member(const DistinguishedName& subject,
                                                         const ProfileParameters& params) const {
  return decoder_(subject, params);
}

Result<XRoadId> signing_cert_member(const crypto::Certificate& cert, std::string_view profile_class,
                                    const XRoadId& expected_signer) {
  ROADSIDE_TRY(const CertificateProfile* profile, CertificateProfile::for_class(profile_class));
  DistinguishedName subject;
  for (auto& [oid, value] : crypto::subject_attributes(cert)) subject.push_back({std::move(oid), std::move(value)});
  const ProfileParameters params{.client = expected_signer.owner_member()};
  auto member = profile->subject_member(subject, params);
  if (!member.ok()) {
    return Error(member.error().code(), "signing certificate " + cert.subject() + " does not fit the " +
                                            std::string(profile->name()) + " profile: " + member.error().detail());
  }
  auto id = XRoadId::member(member->instance, member->member_class, member->member_code);
  if (!id.ok()) {
    return Error(make_error_code(errc::incorrect_certificate), "signing certificate " + cert.subject() + " (" +
                                                                   std::string(profile->name()) +
                                                                   " profile): " + id.error().detail());
  }
  return id;
}

Result<std::vector<std::pair<std::string, std::string>>> process_dn_parameters(
    const std::vector<SubjectField>& fields, const std::map<std::string, std::string>& submitted,
    const std::function<Status(std::string_view id, std::string_view value)>& validate) {
  std::string extra;
  for (const auto& entry : submitted) {
    const std::string& id = entry.first;
    const bool known = std::any_of(fields.begin(), fields.end(), [&](const SubjectField& f) { return f.id == id; });
    if (!known) extra += (extra.empty() ? "" : ", ") + id;
  }
  if (!extra.empty()) return invalid_dn("extraneous parameters: [" + extra + "]");
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : fields) {
    const auto it = submitted.find(f.id);
    const std::string given = it == submitted.end() ? "" : it->second;
    if (f.required && !f.read_only && blank(given)) return invalid_dn("missing parameter: " + f.id);
    out.emplace_back(f.id, f.read_only || blank(given) ? f.default_value : given);
  }
  if (validate) {
    for (const auto& [id, value] : out) ROADSIDE_TRY_STATUS(validate(id, value));
  }
  return out;
}

std::string create_subject_name(const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  for (const auto& [id, value] : values) {
    if (blank(value)) continue;
    out += (out.empty() ? "" : ", ") + id + "=" + value;
  }
  return out;
}

}  // namespace roadside::trust
