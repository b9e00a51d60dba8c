#include "xml/xades.h"

#include <map>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace roadside::xml {
namespace {

using roadside::testing::read_file;

PartResolver parts(std::map<std::string, std::string> m) {
  return [m = std::move(m)](std::string_view uri) -> std::optional<std::string> {
    auto it = m.find(std::string(uri));
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Xades, XRoadsMultiReferenceRestSignatureVerifies) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "xroad" / "signatures" / "non-batch-rest-request";
  auto sig = XadesSignature::parse(read_file(dir / "signatures.xml"));
  ASSERT_TRUE(sig.ok()) << sig.error().to_string();
  ASSERT_EQ(sig->references.size(), 2u);
  EXPECT_EQ(sig->references[0].uri, "/message.xml");
  EXPECT_EQ(sig->references[1].uri, "/attachment1");
  EXPECT_EQ(sig->canonicalization_method, kExcC14nUri);
  EXPECT_FALSE(sig->is_batch());
  EXPECT_EQ(sig->ocsp_responses.size(), 1u);
  EXPECT_EQ(sig->signing_cert.subject_entry("CN"), "4321");

  const std::string message = read_file(dir / "message.xml"), body = read_file(dir / "attachment1");
  auto ok = sig->verify_core(parts({{"/message.xml", message}, {"/attachment1", body}}));
  EXPECT_TRUE(ok.ok()) << ok.error().to_string();

  // The header part's CRLF bytes are signed as they are.
  std::string lf = message;
  lf.erase(lf.find('\r'), 1);
  auto bad = sig->verify_core(parts({{"/message.xml", lf}, {"/attachment1", body}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().fault_code(), "invalid_signature_value");
  EXPECT_NE(bad.error().detail().find("/message.xml"), std::string::npos) << bad.error().detail();

  auto missing = sig->verify_core(parts({{"/message.xml", message}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().fault_code(), "invalid_signature_value");
  EXPECT_NE(missing.error().detail().find("/attachment1"), std::string::npos) << missing.error().detail();
}

TEST(Xades, AChangedSignatureValueOrSignedPropertyFails) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "xroad" / "signatures" / "non-batch-rest-request";
  const std::string xml = read_file(dir / "signatures.xml");
  const auto resolve = parts({{"/message.xml", read_file(dir / "message.xml")}, {"/attachment1", read_file(dir / "attachment1")}});

  std::string value = xml;
  const auto v = value.find("<ds:SignatureValue");
  const auto at = value.find('>', v) + 5;
  value[at] = value[at] == 'A' ? 'B' : 'A';
  auto sig = XadesSignature::parse(value);
  ASSERT_TRUE(sig.ok()) << sig.error().to_string();
  auto st = sig->verify_core(resolve);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().fault_code(), "invalid_signature_value");

  std::string time = xml;
  time.replace(time.find("2024-07-09T07:38:53Z"), 20, "2024-07-09T07:38:54Z");
  sig = XadesSignature::parse(time);
  ASSERT_TRUE(sig.ok()) << sig.error().to_string();
  st = sig->verify_core(resolve);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().fault_code(), "invalid_signature_value");
}

// ---- documents Roadside builds --------------------------------------------------------

struct Signer {
  crypto::PrivateKey key;
  crypto::Certificate cert;
};

Signer make_signer(crypto::KeyType type) {
  auto ca_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::CertificateSpec ca_spec;
  ca_spec.common_name = "Xades Test CA";
  ca_spec.organization = "Roadside & Co <test>";
  ca_spec.usage = crypto::Usage::ca;
  auto ca = *crypto::issue_certificate(ca_spec, ca_key, nullptr, ca_key);
  auto key = *crypto::PrivateKey::generate(type);
  crypto::CertificateSpec spec;
  spec.common_name = "1234";
  spec.organization = "Test member";
  spec.subject_extra = {{"serialNumber", "DEV/ss1/COM"}};
  spec.usage = crypto::Usage::signing;
  auto cert = *crypto::issue_certificate(spec, key, &ca, ca_key);
  return {key, cert};
}

XadesSpec spec_for(std::string_view method, std::vector<std::pair<std::string, std::string>> refs) {
  XadesSpec spec;
  spec.signature_method = std::string(method);
  for (auto& [uri, data] : refs) spec.references.push_back({"", uri, std::string(crypto::kSha512Uri), crypto::sha512(data)});
  spec.ocsp_responses = {"not really an OCSP response"};
  spec.signing_time = std::chrono::system_clock::now();
  return spec;
}

// Builds a signature by `s` over the parts, signing with `sign_method` (normally `method`).
Result<std::string> build(const Signer& s, std::string_view method, std::vector<std::pair<std::string, std::string>> refs,
                          std::string_view sign_method = {}) {
  const std::string m(sign_method.empty() ? method : sign_method);
  return build_xades(spec_for(method, std::move(refs)), s.cert,
                     [&](std::string_view data) { return crypto::sign_xmldsig(s.key, m, data); });
}

class XadesBuild : public ::testing::TestWithParam<std::pair<crypto::KeyType, std::string_view>> {};

TEST_P(XadesBuild, RoundTripsThroughParseAndCoreValidation) {
  const auto [type, method] = GetParam();
  const Signer s = make_signer(type);
  const std::string message = "<Envelope>payload &amp; more</Envelope>";
  auto xml = build(s, method, {{"/message.xml", message}});
  ASSERT_TRUE(xml.ok()) << xml.error().to_string();
  EXPECT_NE(xml->find("<asic:XAdESSignatures"), std::string::npos);
  EXPECT_NE(xml->find("Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\""), std::string::npos);
  EXPECT_NE(xml->find("urn:oid:1.3.6.1.4.1.3516.16.2"), std::string::npos);
  // Markup in the issuer name (RFC 2253 form) is escaped, not interpreted.
  EXPECT_NE(xml->find("Roadside &amp; Co \\&lt;test\\&gt;"), std::string::npos) << *xml;

  auto sig = XadesSignature::parse(*xml);
  ASSERT_TRUE(sig.ok()) << sig.error().to_string();
  EXPECT_EQ(sig->signature_method, method);
  EXPECT_EQ(sig->data_mime_type, "text/xml");
  ASSERT_EQ(sig->ocsp_responses.size(), 1u);
  EXPECT_EQ(sig->ocsp_responses[0], "not really an OCSP response");
  auto st = sig->verify_core(parts({{"/message.xml", message}}));
  EXPECT_TRUE(st.ok()) << st.error().to_string();

  auto other = sig->verify_core(parts({{"/message.xml", message + " "}}));
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().fault_code(), "invalid_signature_value");

  // A time-stamp is an unsigned property: adding one leaves the signature valid.
  auto stamped = add_signature_timestamp(*xml, "token bytes");
  ASSERT_TRUE(stamped.ok()) << stamped.error().to_string();
  auto again = XadesSignature::parse(*stamped);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  ASSERT_TRUE(again->signature_timestamp.has_value());
  EXPECT_EQ(*again->signature_timestamp, "token bytes");
  st = again->verify_core(parts({{"/message.xml", message}}));
  EXPECT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_FALSE(add_signature_timestamp(*stamped, "twice").ok());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, XadesBuild,
                         ::testing::Values(std::make_pair(crypto::KeyType::rsa2048, crypto::kRsaSha512Uri),
                                           std::make_pair(crypto::KeyType::rsa2048, crypto::kRsaSha256Uri),
                                           std::make_pair(crypto::KeyType::ec_p256, crypto::kEcdsaSha256Uri),
                                           std::make_pair(crypto::KeyType::ec_p256, crypto::kEcdsaSha512Uri)));

TEST(Xades, WrongKeyTypeForTheMethodIsRejected) {
  const Signer s = make_signer(crypto::KeyType::ec_p256);
  // Claim RSA while signing with ECDSA.
  auto xml = build(s, crypto::kRsaSha512Uri, {{"/message.xml", "m"}}, crypto::kEcdsaSha512Uri);
  ASSERT_TRUE(xml.ok());
  auto sig = XadesSignature::parse(*xml);
  ASSERT_TRUE(sig.ok());
  auto st = sig->verify_core(parts({{"/message.xml", "m"}}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().fault_code(), "invalid_signature_value");
}

// ---- what the parser refuses --------------------------------------------------------

class XadesMalformed : public ::testing::Test {
 protected:
  void SetUp() override {
    signer_ = make_signer(crypto::KeyType::ec_p256);
    auto xml = build(*signer_, crypto::kEcdsaSha256Uri, {{"/message.xml", "m"}});
    ASSERT_TRUE(xml.ok());
    xml_ = *xml;
  }
  void expect_malformed(const std::string& doc, std::string_view why) {
    auto r = XadesSignature::parse(doc);
    ASSERT_FALSE(r.ok()) << why;
    EXPECT_EQ(r.error().fault_code(), "malformed_signature") << why;
    EXPECT_NE(r.error().detail().find(why), std::string::npos) << r.error().detail();
  }
  std::string replaced(std::string_view from, std::string_view to) const {
    std::string s = xml_;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    return s;
  }
  std::optional<Signer> signer_;
  std::string xml_;
};

TEST_F(XadesMalformed, Refusals) {
  ASSERT_TRUE(XadesSignature::parse(xml_).ok());
  expect_malformed("<a/>", "no ds:Signature");
  expect_malformed("not xml", "signature document");
  expect_malformed(replaced("URI=\"/message.xml\"", "URI=\"http://example.com/x\""), "does not name a message part");
  expect_malformed(replaced("URI=\"/message.xml\"", "URI=\"#signature-value\""), "does not name a message part");
  expect_malformed(replaced("URI=\"#signed-properties\"", "URI=\"#signature\""), "is not this signature's SignedProperties");
  expect_malformed(replaced("Id=\"signature-value\"", "Id=\"signed-properties\""), "appears twice");
  expect_malformed(replaced("Target=\"#signature\"", "Target=\"#other\""), "Target");
  expect_malformed(replaced("<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>",
                            "<ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/1999/REC-xslt-19991116\"/>"),
                   "unsupported canonicalization");
  expect_malformed(replaced("<xades:SigningTime>", "<xades:SigningTime>yesterday"), "SigningTime");
  // A document with another certificate in KeyInfo than SigningCertificate names.
  const Signer other = make_signer(crypto::KeyType::ec_p256);
  const auto b64 = crypto::base64_encode(signer_->cert.to_der());
  expect_malformed(replaced(b64, crypto::base64_encode(other.cert.to_der())), "SigningCertificate's digest");
}

TEST_F(XadesMalformed, TransformsOtherThanOneCanonicalizationAreRefused) {
  const std::string props_ref = "URI=\"#signed-properties\">";
  const std::string exc = "<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>";
  const std::string c14n = "<ds:Transform Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>";
  auto with_transforms = [&](const std::string& list) {
    return replaced(props_ref, props_ref + "<ds:Transforms>" + list + "</ds:Transforms>");
  };
  ASSERT_TRUE(XadesSignature::parse(with_transforms(exc)).ok());
  expect_malformed(with_transforms(exc + c14n), "must have one transform");
  expect_malformed(with_transforms(""), "must have one transform");
  expect_malformed(with_transforms("<ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#base64\"/>"),
                   "unsupported transform");
  const std::string prefixes =
      "<ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"ds xades\"/>";
  auto exc_with = [&](const std::string& children) {
    return with_transforms("<ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\">" + children +
                           "</ds:Transform>");
  };
  ASSERT_TRUE(XadesSignature::parse(exc_with(prefixes)).ok());
  expect_malformed(exc_with(prefixes + prefixes), "unexpected <InclusiveNamespaces>");
  expect_malformed(exc_with("<ds:XPath>1</ds:XPath>"), "unexpected <XPath>");
  std::string many = "<ec:InclusiveNamespaces xmlns:ec=\"http://www.w3.org/2001/10/xml-exc-c14n#\" PrefixList=\"";
  for (int i = 0; i < 65; ++i) many += "p" + std::to_string(i) + " ";
  expect_malformed(exc_with(many + "\"/>"), "too many inclusive namespace prefixes");
}

// A SignedInfo libxml2 cannot canonicalize (a relative namespace URI) is the peer's invalid
// signature, not this server's internal error.
TEST_F(XadesMalformed, ASignedInfoThatCannotBeCanonicalizedIsAnInvalidSignature) {
  auto sig = XadesSignature::parse(replaced("<ds:SignedInfo>", "<ds:SignedInfo xmlns:x=\"relative\">"));
  ASSERT_TRUE(sig.ok()) << sig.error().to_string();
  auto st = sig->verify_core(parts({{"/message.xml", "m"}}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().fault_code(), "invalid_signature_value") << st.error().to_string();
  EXPECT_NE(st.error().detail().find("cannot be canonicalized"), std::string::npos) << st.error().detail();
}

// Core validation takes what X-Road signs with only: SHA-2 digests, RSA PKCS#1 v1.5 and ECDSA.
TEST(Xades, SignatureMethodsXRoadDoesNotUseAreRefused) {
  const Signer s = make_signer(crypto::KeyType::rsa2048);
  auto xml = build(s, crypto::kRsaPssSha256Uri, {{"/message.xml", "m"}});
  ASSERT_TRUE(xml.ok()) << xml.error().to_string();
  auto sig = XadesSignature::parse(*xml);
  ASSERT_TRUE(sig.ok()) << sig.error().to_string();
  auto st = sig->verify_core(parts({{"/message.xml", "m"}}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().fault_code(), "invalid_signature_value");
  EXPECT_NE(st.error().detail().find("unsupported signature method"), std::string::npos) << st.error().detail();
}

// A part given by its digest (a body in a spool file) verifies as its bytes would, and a
// changed one fails.
TEST(Xades, APartGivenByItsDigestVerifiesAndAChangedOneFails) {
  const Signer s = make_signer(crypto::KeyType::ec_p256);
  const std::string body(200 * 1024 + 7, 'b');
  auto xml = build(s, crypto::kEcdsaSha512Uri, {{"/message.xml", "m"}, {"/attachment1", body}});
  ASSERT_TRUE(xml.ok());
  auto sig = XadesSignature::parse(*xml);
  ASSERT_TRUE(sig.ok());
  auto digest_of = [](std::string content) -> PartDigester {
    return [content](std::string_view uri, std::string_view method) -> std::optional<Result<std::string>> {
      if (uri != "/attachment1") return std::nullopt;
      return crypto::digest(method, content);
    };
  };
  EXPECT_TRUE(sig->verify_core(parts({{"/message.xml", "m"}}), digest_of(body)).ok());
  auto st = sig->verify_core(parts({{"/message.xml", "m"}}), digest_of(body + "x"));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().detail().find("/attachment1"), std::string::npos) << st.error().detail();
}

TEST_F(XadesMalformed, ReferencesNeverReachTheFileSystem) {
  // A signature over /etc/hostname with the right digest still fails: parts come only
  // from the resolver.
  const std::string host = read_file("/etc/hostname");
  auto xml = build(*signer_, crypto::kEcdsaSha256Uri, {{"/etc/hostname", host}});
  ASSERT_TRUE(xml.ok());
  auto sig = XadesSignature::parse(*xml);
  ASSERT_TRUE(sig.ok()) << sig.error().to_string();
  auto st = sig->verify_core(parts({}));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().detail().find("/etc/hostname"), std::string::npos) << st.error().detail();
  EXPECT_TRUE(sig->verify_core(parts({{"/etc/hostname", host}})).ok());
}

}  // namespace
}  // namespace roadside::xml
