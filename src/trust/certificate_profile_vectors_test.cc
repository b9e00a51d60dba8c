// X-Road's certificate-profile tests as data (vectors/xroad/certificate-profiles/cases.json),
// run whole and generically: every case of every profile by its "op", the class names global
// configuration uses, and the CSR subject processing of the admin API. A case of a kind this
// runner does not know fails, so the file cannot grow past what is checked.
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "crypto/certificate_names.h"
#include "support/test_support.h"
#include "trust/certificate_profile.h"
#include "trust/errors.h"

namespace roadside::trust {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::optional<XRoadId> member_or_server(const json& j) {
  if (!j.is_object()) return std::nullopt;
  const std::string instance = j.value("xroad_instance", ""), cls = j.value("member_class", ""),
                    code = j.value("member_code", "");
  auto id = j.contains("server_code") ? XRoadId::server(instance, cls, code, j.value("server_code", ""))
                                      : XRoadId::member(instance, cls, code);
  EXPECT_TRUE(id.ok()) << j.dump();
  if (!id.ok()) return std::nullopt;
  return std::move(id).value();
}

// The context as X-Road's test built its parameters. A server_id given as text is the 2-arg
// SignCertificateProfileInfoParameters constructor: SecurityServerId.Conf.create(clientId, "dummy").
ProfileParameters parameters(const json& context) {
  ProfileParameters p;
  p.client = member_or_server(context.value("client_id", json()));
  p.server = member_or_server(context.value("server_id", json()));
  if (context.contains("server_id") && context["server_id"].is_string() && p.client) {
    const auto& c = p.client->parts();
    p.server = *XRoadId::server(*c.instance, *c.member_class, *c.member_code, "dummy");
  }
  if (context.contains("member_name") && context["member_name"].is_string()) p.member_name = context["member_name"];
  return p;
}

CertType cert_type(const json& c) {
  return c.value("cert_type", "") == "auth" ? CertType::auth : CertType::sign;
}

// javax X500Principal equality compares canonical forms: case and runs of spaces do not count.
std::string canonical(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}
bool same_dn(const DistinguishedName& a, const DistinguishedName& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].oid != b[i].oid || canonical(a[i].value) != canonical(b[i].value)) return false;
  }
  return true;
}

// A certificate whose subject is `dn`, in its DER order.
crypto::Certificate certificate_with(const DistinguishedName& dn) {
  static const auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::CertificateSpec spec{.usage = crypto::Usage::signing};
  for (const auto& a : dn) spec.subject_extra.emplace_back(a.oid, a.value);
  auto cert = crypto::issue_certificate(spec, key, nullptr, key);
  EXPECT_TRUE(cert.ok()) << cert.error().to_string();
  return std::move(cert).value();
}

class CertificateProfileVectors : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = roadside::testing::vectors_dir();
    if (!v || !fs::exists(*v / "xroad" / "certificate-profiles" / "cases.json")) {
      GTEST_SKIP() << "X-Road test vectors (xroad/certificate-profiles) not found (set ROADSIDE_VECTORS_DIR)";
    }
    dir_ = *v / "xroad" / "certificate-profiles";
    cases_ = json::parse(roadside::testing::read_file(dir_ / "cases.json"));
  }

  // A certificate file as X-Road's TestCertUtil reads it: PEM, or bare base64 DER.
  crypto::Certificate read_certificate(const std::string& name) const {
    const std::string text = roadside::testing::read_file(dir_ / name);
    if (text.find("-----BEGIN") != std::string::npos) return *crypto::Certificate::from_pem(text);
    auto der = crypto::base64_decode(text);
    EXPECT_TRUE(der.ok()) << name;
    auto cert = crypto::Certificate::from_der(*der);
    EXPECT_TRUE(cert.ok()) << name;
    return std::move(cert).value();
  }

  void run_case(const CertificateProfile& profile, const json& c);

  fs::path dir_;
  json cases_;
  std::map<std::string, int> ran_;  // cases by op
};

void CertificateProfileVectors::run_case(const CertificateProfile& profile, const json& c) {
  const std::string op = c.value("op", "");
  const CertType type = cert_type(c);
  const ProfileParameters params = parameters(c.value("context", json::object()));
  const json& expected = c["expected"];
  ++ran_[op];

  if (op == "provider_instance") {
    EXPECT_EQ(profile.implementation_class(type), expected["instance_of"].get<std::string>());
  } else if (op == "subject_fields" || op == "subject_fields_partial") {
    const auto fields = profile.subject_fields(type, params);
    auto check = [&](std::size_t i, const json& want) {
      ASSERT_LT(i, fields.size());
      const SubjectField& f = fields[i];
      SCOPED_TRACE("field " + std::to_string(i) + " " + f.id);
      if (want.contains("id")) {
        EXPECT_EQ(f.id, want["id"].get<std::string>());
      }
      if (want.contains("label_key")) {
        EXPECT_EQ(f.label_key, want["label_key"].get<std::string>());
      }
      if (want.contains("label")) {
        EXPECT_EQ(f.label, want["label"].get<std::string>());
      }
      if (want.contains("default_value")) {
        EXPECT_EQ(f.default_value, want["default_value"].get<std::string>());
      }
      if (want.contains("read_only")) {
        EXPECT_EQ(f.read_only, want["read_only"].get<bool>());
      }
      if (want.contains("required")) {
        EXPECT_EQ(f.required, want["required"].get<bool>());
      }
    };
    if (op == "subject_fields") {
      ASSERT_EQ(fields.size(), expected["fields"].size());
      for (std::size_t i = 0; i < fields.size(); ++i) check(i, expected["fields"][i]);
    } else {
      for (const auto& [index, want] : expected["fields_by_index"].items()) check(std::stoul(index), want);
    }
  } else if (op == "validate_subject_field") {
    const Status st = profile.validate_subject_field(type, params, c["input"]["id"].get<std::string>(),
                                                     c["input"]["value"].get<std::string>());
    ASSERT_EQ(st.ok(), expected["ok"].get<bool>()) << (st.ok() ? "" : st.error().to_string());
    if (!st.ok()) {
      EXPECT_EQ(st.error().code(), make_error_code(errc::invalid_dn_parameter));
      const std::string reason = expected.value("reason", "");
      if (reason == "unknown_field") {
        EXPECT_EQ(st.error().detail().rfind("Unknown field: ", 0), 0u) << st.error().detail();
      }
      if (reason == "missing_value") {
        EXPECT_NE(st.error().detail().find("is missing value"), std::string::npos) << st.error().detail();
      }
      if (expected.contains("error_detail_from_source")) {
        EXPECT_EQ(st.error().detail(), expected["error_detail_from_source"].get<std::string>());
      }
    }
  } else if (op == "create_subject_dn") {
    std::vector<std::pair<std::string, std::string>> values;
    for (const auto& v : c["input"]) values.emplace_back(v["id"], v["value"]);
    auto dn = profile.create_subject_dn(type, values);
    ASSERT_TRUE(dn.ok()) << dn.error().to_string();
    auto want = parse_dn(expected["dn"].get<std::string>(), DnStringOrder::reversed);
    ASSERT_TRUE(want.ok()) << want.error().to_string();
    EXPECT_TRUE(same_dn(*dn, *want)) << dn_to_string(*dn) << " vs " << expected["dn"];
  } else if (op == "get_subject_identifier") {
    const json& input = c["input"];
    std::optional<crypto::Certificate> cert;
    if (input.contains("certificate_file")) {
      cert = read_certificate(input["certificate_file"].get<std::string>());
    } else {
      const std::string syntax = input.value("dn_syntax", "");
      ASSERT_TRUE(syntax.starts_with("java") || syntax.starts_with("bouncycastle")) << "unknown dn_syntax " << syntax;
      auto dn = parse_dn(input["subject_dn"].get<std::string>(),
                         syntax.starts_with("java") ? DnStringOrder::reversed : DnStringOrder::der);
      ASSERT_TRUE(dn.ok()) << dn.error().to_string();
      cert = certificate_with(*dn);
      // OpenSSL writes and reads back what was asked for, in order.
      std::vector<std::pair<std::string, std::string>> want;
      for (const auto& a : *dn) want.emplace_back(a.oid, a.value);
      ASSERT_EQ(crypto::subject_attributes(*cert), want);
    }
    // The subject as the verifier reads it: from the certificate.
    DistinguishedName subject;
    for (auto& [oid, value] : crypto::subject_attributes(*cert)) subject.push_back({oid, value});
    auto member = profile.subject_member(subject, params);
    if (expected.value("error", false)) {
      ASSERT_FALSE(member.ok()) << member->instance << "/" << member->member_class << "/" << member->member_code;
      if (expected.contains("error_detail_from_source")) {
        EXPECT_NE(member.error().detail().find(expected["error_detail_from_source"].get<std::string>()),
                  std::string::npos)
            << member.error().detail();
      }
      return;
    }
    ASSERT_TRUE(member.ok()) << member.error().to_string();
    const json& want = expected["member_id"];
    EXPECT_EQ(*member, (SubjectMember{want["xroad_instance"], want["member_class"], want["member_code"]}));
    // And through signing_cert_member, when the member is a valid X-Road identifier.
    auto want_id = XRoadId::member(want["xroad_instance"].get<std::string>(), want["member_class"].get<std::string>(),
                                   want["member_code"].get<std::string>());
    if (want_id.ok() && params.client) {
      auto id = signing_cert_member(*cert, profile.class_name(), *params.client);
      ASSERT_TRUE(id.ok()) << id.error().to_string();
      EXPECT_EQ(*id, *want_id);
    }
  } else {
    ADD_FAILURE() << "a case of unknown op \"" << op << "\": teach this test what it means";
  }
}

TEST_F(CertificateProfileVectors, EveryProfileCasePasses) {
  std::size_t total = 0;
  for (const auto& p : cases_["profiles"]) {
    const std::string provider = p["provider_class"];
    SCOPED_TRACE("profile " + p["profile"].get<std::string>());
    const CertificateProfile* profile = CertificateProfile::find(provider);
    ASSERT_NE(profile, nullptr) << provider;
    EXPECT_EQ(profile->class_name(), provider);
    // The CSR form's fields as X-Road's templates list them (defaults are checked by the cases).
    for (const auto& [key, type] :
         {std::pair{"auth_fields_template", CertType::auth}, {"sign_fields_template", CertType::sign}}) {
      if (!p.contains(key)) continue;
      const auto fields = profile->subject_fields(type, {});
      ASSERT_EQ(fields.size(), p[key].size()) << key;
      for (std::size_t i = 0; i < fields.size(); ++i) {
        const json& t = p[key][i];
        EXPECT_EQ(fields[i].id, t["id"].get<std::string>()) << key << " " << i;
        EXPECT_EQ(fields[i].label_key, t["label_key"].get<std::string>()) << key << " " << i;
        EXPECT_EQ(fields[i].label, t["label"].get<std::string>()) << key << " " << i;
        EXPECT_EQ(fields[i].read_only, t["read_only"].get<bool>()) << key << " " << i;
        EXPECT_EQ(fields[i].required, t["required"].get<bool>()) << key << " " << i;
      }
    }
    for (std::size_t i = 0; i < p["cases"].size(); ++i) {
      const json& c = p["cases"][i];
      SCOPED_TRACE("case " + std::to_string(i) + " " + c.value("test", "") + " (" + c.value("op", "") + ", " +
                   c.value("cert_type", "") + ")");
      run_case(*profile, c);
      ++total;
    }
  }
  int ran = 0;
  std::string summary;
  for (const auto& [op, n] : ran_) {
    ran += n;
    summary += " " + op + "=" + std::to_string(n);
  }
  EXPECT_EQ(static_cast<std::size_t>(ran), total);
  EXPECT_GT(total, 0u);
  std::cout << "[ profiles ] " << total << " cases:" << summary << "\n";
}

TEST_F(CertificateProfileVectors, ClassNamesMapToProfilesAndUnknownOnesAreRefusedByName) {
  const json& mapping = cases_["global_configuration_mapping"];
  int checked = 0;
  for (const auto& [name, class_name] : mapping["class_names"].items()) {
    auto profile = CertificateProfile::for_class(class_name.get<std::string>());
    ASSERT_TRUE(profile.ok()) << profile.error().to_string();
    EXPECT_EQ((*profile)->name(), name.substr(0, name.find(' '))) << class_name;  // "Test (test-only)"
    ++checked;
  }
  auto expect_refused = [&](const std::string& class_name) {
    auto profile = CertificateProfile::for_class(class_name);
    ASSERT_FALSE(profile.ok()) << class_name;
    EXPECT_EQ(profile.error().code(), make_error_code(errc::unknown_certificate_profile));
    EXPECT_NE(profile.error().detail().find("\"" + class_name + "\""), std::string::npos) << profile.error().detail();
  };
  for (const auto& [class_name, where] : mapping["names_seen_in_repo_config_and_docs"].items()) {
    if (where.get<std::string>().find("must fail") != std::string::npos) {
      expect_refused(class_name);
    } else {
      EXPECT_TRUE(CertificateProfile::for_class(class_name).ok()) << class_name;
    }
    ++checked;
  }
  for (const auto& [key, cases] : mapping.items()) {
    if (!key.starts_with("central_server_validator_cases")) continue;
    for (const auto& c : cases) {
      const std::string class_name = c["class_name"], expected = c["expected"];
      if (expected.starts_with("invalid")) {
        expect_refused(class_name);
      } else {
        ASSERT_TRUE(expected.starts_with("valid")) << expected;
        EXPECT_TRUE(CertificateProfile::for_class(class_name).ok()) << class_name;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
  std::cout << "[ class names ] " << checked << " checked\n";
}

TEST_F(CertificateProfileVectors, CsrSubjectsAreProcessedAsTheAdminApiDoes) {
  int checked = 0;
  for (const auto& c : cases_["csr_dn_processing"]["cases"]) {
    const std::string test = c["test"];
    SCOPED_TRACE(test + " " + c.dump());
    if (test == "createSubjectName") {
      std::vector<std::pair<std::string, std::string>> values;
      for (const auto& v : c["input"]) values.emplace_back(v["id"], v["value"]);
      EXPECT_EQ(create_subject_name(values), c["expected"].get<std::string>());
    } else if (test == "processDnParameters") {
      std::vector<SubjectField> fields;
      for (const auto& f : c["fields"]) {
        fields.push_back({f["id"], f.value("label_key", ""), f.value("label", ""), f.value("default_value", ""),
                          f.value("read_only", true), f.value("required", true)});
      }
      std::map<std::string, std::string> submitted = c["submitted"].get<std::map<std::string, std::string>>();
      const bool accepts = c.value("validator_accepts", true);
      auto values = process_dn_parameters(fields, submitted, [&](std::string_view, std::string_view) -> Status {
        if (accepts) return {};
        return Error(make_error_code(errc::invalid_dn_parameter), "validateSubjectField failed");
      });
      if (c["expected"].is_string()) {
        const std::string want = c["expected"];
        ASSERT_TRUE(want.starts_with("error")) << want;
        ASSERT_FALSE(values.ok());
        EXPECT_EQ(values.error().code(), make_error_code(errc::invalid_dn_parameter));
        if (const auto open = want.find('('); open != std::string::npos) {
          EXPECT_NE(values.error().detail().find(want.substr(open + 1, want.rfind(')') - open - 1)), std::string::npos)
              << values.error().detail();
        }
      } else {
        ASSERT_TRUE(values.ok()) << values.error().to_string();
        std::vector<std::pair<std::string, std::string>> want;
        for (const auto& v : c["expected"]) want.emplace_back(v["id"], v["value"]);
        EXPECT_EQ(*values, want);
      }
    } else {
      ADD_FAILURE() << "a csr_dn_processing case of unknown test \"" << test << "\"";
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
  std::cout << "[ csr_dn_processing ] " << checked << " cases\n";
}

}  // namespace
}  // namespace roadside::trust
