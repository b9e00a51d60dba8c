#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "crypto/pkcs12.h"
#include "management/errors.h"
#include "management/messages.h"
#include "management/signed_request.h"
#include "management/verify.h"
#include "support/test_support.h"
#include "testbed/authority.h"
#include "xml/dom.h"
#include "xml/schema.h"

namespace roadside::management {
namespace {

namespace fs = std::filesystem;
using testing::read_file;
using testing::TempDir;
using testing::write_file;

XRoadId id(std::string_view text) {
  return *XRoadId::parse(text);
}

const XRoadId kOwner = id("MEMBER:DEV/COM/1234");
const XRoadId kServer = id("SERVER:DEV/COM/1234/SS0");
const XRoadId kService = id("SUBSYSTEM:DEV/GOV/9999/MANAGEMENT");
const XRoadId kSubsystem = id("SUBSYSTEM:DEV/COM/1234/TestClient");

// X-Road's test PKI (vectors/xroad/pki): the CA and OCSP responder with their keys, the soft
// token's auth key of SS0 and the signing key of DEV/COM/1234 and DEV/COM/4321.
struct XRoadPki {
  crypto::Certificate ca, ocsp;
  crypto::PrivateKey ca_key, ocsp_key, auth_key, sign_key_1234, sign_key_4321;
  crypto::Certificate auth_cert, sign_cert_1234, sign_cert_4321;
  globalconf::SharedParameters shared;
};

std::string keyconf_cert(const std::string& keyconf, const std::string& key_id) {
  const auto at = keyconf.find("<keyId>" + key_id + "</keyId>");
  const auto open = keyconf.find("<contents>", at) + 10;
  return *crypto::base64_decode(keyconf.substr(open, keyconf.find("</contents>", open) - open));
}

std::optional<XRoadPki> load_pki() {
  auto v = testing::vectors_dir();
  if (!v) return std::nullopt;
  const fs::path pki = *v / "xroad/pki";
  const std::string keyconf = read_file(pki / "softtoken/keyconf.xml");
  auto key = [&](const std::string& key_id) {
    return crypto::load_pkcs12(read_file(pki / ("softtoken/" + key_id + ".p12")), "Secret1234")->key;
  };
  auto cert = [&](const std::string& key_id) { return *crypto::Certificate::from_der(keyconf_cert(keyconf, key_id)); };
  const std::string auth = "DF9242D3CBDE6DAC8058D2878340C3B527041FD0";
  const std::string m1234 = "1342B84B4829BB79226AB268B4D8E70B01068613";
  const std::string m4321 = "FA73509F9E9DFB7A3D92B3D34DA6BD20374A24B0";
  const auto ca = *crypto::Certificate::from_pem(read_file(pki / "test-ca/ca.cert.pem"));
  const auto ocsp = *crypto::Certificate::from_pem(read_file(pki / "test-ca/ocsp.cert.pem"));
  globalconf::SharedParameters shared;
  shared.instance = "DEV";
  shared.approved_cas.push_back(
      globalconf::ApprovedCa{"Test CA",
                             false,
                             globalconf::CaCertificate{ca, {{"http://127.0.0.1:1/ocsp", ocsp, ""}}},
                             {},
                             "ee.ria.xroad.common.certificateprofile.impl.FiVRKCertificateProfileInfoProvider"});
  return XRoadPki{ca,
                  ocsp,
                  *crypto::PrivateKey::from_pem(read_file(pki / "test-ca/ca.key.pem")),
                  *crypto::PrivateKey::from_pem(read_file(pki / "test-ca/ocsp.key.pem")),
                  key(auth),
                  key(m1234),
                  key(m4321),
                  cert(auth),
                  cert(m1234),
                  cert(m4321),
                  std::move(shared)};
}

std::string ocsp_for(const XRoadPki& p, const crypto::Certificate& cert, crypto::CertStatus status,
                     std::chrono::system_clock::time_point now) {
  const std::string req = *crypto::make_ocsp_request(cert, p.ca);
  return *testbed::make_ocsp_response(
      req,
      [&](const std::string&) {
        return std::optional<testbed::OcspAnswer>({status, now - std::chrono::hours(1)});
      },
      {p.ca, p.ocsp, p.ocsp_key}, now, std::chrono::hours(1));
}

// Every request, built with fixed fields.
std::map<RequestType, std::string> build_all(const RequestBuilder& b, const std::string& auth_cert_der) {
  std::map<RequestType, std::string> out;
  out[RequestType::client_reg] = *b.client_reg(kServer, kSubsystem, "Test Client");
  out[RequestType::client_deletion] = *b.client_deletion(kServer, kSubsystem);
  out[RequestType::auth_cert_reg] = *b.auth_cert_reg(kServer, "ss0.example.org", auth_cert_der);
  out[RequestType::auth_cert_deletion] = *b.auth_cert_deletion(kServer, auth_cert_der);
  out[RequestType::owner_change] = *b.owner_change(kServer, id("MEMBER:DEV/COM/1234"));
  out[RequestType::address_change] = *b.address_change(kServer, "10.0.0.5");
  out[RequestType::client_disable] = *b.client_disable(kServer, kSubsystem);
  out[RequestType::client_enable] = *b.client_enable(kServer, kSubsystem);
  out[RequestType::client_rename] = *b.client_rename(kServer, kSubsystem, "Renamed <&> client");
  out[RequestType::maintenance_mode_enable] = *b.maintenance_mode_enable(kServer, "I'll be back");
  out[RequestType::maintenance_mode_disable] = *b.maintenance_mode_disable(kServer);
  return out;
}

// The SOAP Body's element of an envelope (the document must outlive the element).
xml::Element body_of(const xml::Document& doc) {
  return doc.root().child("Body")->children().front();
}

// managementservices.wsdl's two inline schemas as files, the second importing the first.
fs::path wsdl_schema(const fs::path& wsdl_file, const TempDir& dir) {
  const std::string wsdl = read_file(wsdl_file);
  std::vector<std::string> schemas;
  for (std::size_t at = wsdl.find("<xsd:schema"); at != std::string::npos; at = wsdl.find("<xsd:schema", at + 1)) {
    const std::size_t end = wsdl.find("</xsd:schema>", at) + 13;
    schemas.push_back(wsdl.substr(at, end - at));
  }
  EXPECT_EQ(schemas.size(), 2U);
  for (auto& s : schemas) s.insert(11, " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"");
  const std::string import = "<xsd:import namespace=\"http://x-road.eu/xsd/identifiers\"";
  schemas[1].insert(schemas[1].find(import) + import.size(), " schemaLocation=\"wsdl-identifiers.xsd\"");
  write_file(dir / "wsdl-identifiers.xsd", schemas[0]);
  write_file(dir / "wsdl-xroad.xsd", schemas[1]);
  return dir / "wsdl-xroad.xsd";
}

TEST(ManagementTypes, ServiceCodesAndSignatures) {
  EXPECT_EQ(service_code(RequestType::maintenance_mode_disable), "maintenanceModeDisable");
  EXPECT_EQ(request_type_by_service_code("CLIENTREG"), RequestType::client_reg);  // ignoring case, as X-Road
  EXPECT_FALSE(request_type_by_service_code("getState"));
  EXPECT_EQ(signatures_of(RequestType::client_deletion), Signatures::none);
  EXPECT_EQ(signatures_of(RequestType::auth_cert_deletion), Signatures::none);
  EXPECT_EQ(signatures_of(RequestType::auth_cert_reg), Signatures::auth_and_owner);
  for (auto t : {RequestType::client_reg, RequestType::owner_change, RequestType::address_change,
                 RequestType::client_disable, RequestType::client_enable, RequestType::client_rename,
                 RequestType::maintenance_mode_enable, RequestType::maintenance_mode_disable}) {
    EXPECT_EQ(signatures_of(t), Signatures::owner) << service_code(t);
  }
}

TEST(ManagementBuild, EnvelopeAsXRoadBuildsIt) {
  SeededRandom random(7);
  RequestBuilder b(kOwner, kService, random);
  const std::string soap = *b.client_deletion(kServer, kSubsystem);
  EXPECT_EQ(soap.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?><SOAP-ENV:Envelope", 0), 0U);
  EXPECT_NE(soap.find("<SOAP-ENV:Header><xroad:client id:objectType=\"MEMBER\"><id:xRoadInstance>DEV</id:xRoadInstance>"
                      "<id:memberClass>COM</id:memberClass><id:memberCode>1234</id:memberCode></xroad:client>"
                      "<xroad:service id:objectType=\"SERVICE\"><id:xRoadInstance>DEV</id:xRoadInstance>"
                      "<id:memberClass>GOV</id:memberClass><id:memberCode>9999</id:memberCode>"
                      "<id:subsystemCode>MANAGEMENT</id:subsystemCode><id:serviceCode>clientDeletion</id:serviceCode>"
                      "</xroad:service><xroad:id>"),
            std::string::npos);
  EXPECT_NE(soap.find("<xroad:protocolVersion>4.0</xroad:protocolVersion></SOAP-ENV:Header><SOAP-ENV:Body>"
                      "<xroad:clientDeletion><xroad:server id:objectType=\"SERVER\">"),
            std::string::npos);
  EXPECT_FALSE(b.client_reg(kServer, kServer).ok());  // a client must be a member or subsystem
  EXPECT_FALSE(b.client_reg(kOwner, kSubsystem).ok());
}

TEST(ManagementBuild, EveryRequestIsValidByRequestXsdAndTheWsdl) {
  ROADSIDE_REQUIRE_VECTORS(v);
  const fs::path dir = v / "xroad/management";
  auto request_xsd = xml::Schema::load(dir / "xsd/request.xsd");
  ASSERT_TRUE(request_xsd.ok()) << request_xsd.error().to_string();
  TempDir tmp;
  auto wsdl_xsd = xml::Schema::load(wsdl_schema(dir / "managementservices.wsdl", tmp));
  ASSERT_TRUE(wsdl_xsd.ok()) << wsdl_xsd.error().to_string();
  const std::string wsdl = read_file(dir / "managementservices.wsdl");

  auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto cert = *crypto::issue_certificate({.common_name = "ss0", .usage = crypto::Usage::tls_server_and_client}, key,
                                         nullptr, key);
  RequestBuilder b(kOwner, kService);
  for (const auto& [type, soap] : build_all(b, cert.to_der())) {
    SCOPED_TRACE(std::string(service_code(type)));
    auto doc = xml::Document::parse(soap);
    ASSERT_TRUE(doc.ok());
    auto ok = request_xsd->validate(body_of(*doc));
    EXPECT_TRUE(ok.ok()) << ok.error().to_string();
    ok = wsdl_xsd->validate(body_of(*doc));
    EXPECT_TRUE(ok.ok()) << ok.error().to_string();
    // The WSDL's message for the operation names this body element, and its binding's
    // headers (client, service, id, protocolVersion) are the header's elements, each valid.
    const std::string code(service_code(type));
    EXPECT_NE(wsdl.find("<wsdl:part element=\"xroad:" + code + "\" name=\"parameters\"/>"), std::string::npos);
    EXPECT_NE(wsdl.find("<wsdl:part element=\"xroad:" + code + "Response\" name=\"parameters\"/>"), std::string::npos);
    std::vector<std::string> names;
    for (const auto& h : doc->root().child("Header")->children()) {
      names.emplace_back(h.name());
      ok = wsdl_xsd->validate(h);
      EXPECT_TRUE(ok.ok()) << ok.error().to_string();
    }
    EXPECT_EQ(names, (std::vector<std::string>{"client", "service", "id", "protocolVersion"}));
    // It reads back as built.
    auto parsed = parse_soap_request(soap);
    ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
    EXPECT_EQ(parsed->body.type, type);
    EXPECT_EQ(parsed->body.server, kServer);
    EXPECT_EQ(parsed->header.client, kOwner);
    // The response is valid by the WSDL too, and says its requestId.
    const std::string response = build_response(*parsed, 1122);
    auto rdoc = xml::Document::parse(response);
    ok = wsdl_xsd->validate(body_of(*rdoc));
    EXPECT_TRUE(ok.ok()) << ok.error().to_string();
    auto info = parse_response("text/xml; charset=UTF-8", response, soap);
    ASSERT_TRUE(info.ok()) << info.error().to_string();
    EXPECT_EQ(info->request_id, 1122);
    EXPECT_EQ(info->type, type);
  }
}

// The hand-written content-model checks accept exactly what libxml2 accepts with request.xsd.
TEST(ManagementParse, HandCheckAgreesWithRequestXsd) {
  ROADSIDE_REQUIRE_VECTORS(v);
  auto xsd = xml::Schema::load(v / "xroad/management/xsd/request.xsd");
  ASSERT_TRUE(xsd.ok());
  RequestBuilder b(kOwner, kService);
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto cert = *crypto::issue_certificate({.common_name = "ss0", .usage = crypto::Usage::tls_server_and_client}, key,
                                         nullptr, key);
  const auto all = build_all(b, cert.to_der());
  struct Edit {
    std::string from, to;
  };
  const std::vector<Edit> edits{
      {"<xroad:subsystemName>", "<xroad:subsystemName>x</xroad:subsystemName><xroad:subsystemName>"},
      {"</xroad:server>", "</xroad:server><xroad:bogus/>"},
      {"id:objectType=\"SERVER\"", "id:objectType=\"MEMBER\""},
      {"id:objectType=\"SUBSYSTEM\"", "id:objectType=\"WIDGET\""},
      {"<id:serverCode>SS0</id:serverCode>", ""},
      {"<id:memberClass>COM</id:memberClass><id:memberCode>1234</id:memberCode><id:serverCode>",
       "<id:memberCode>1234</id:memberCode><id:memberClass>COM</id:memberClass><id:serverCode>"},
      {"<xroad:authCert>", "<xroad:authCert>!!"},
      {"<xroad:authCert>", "<xroad:authCert>A"},
      {"</xroad:authCert>", "</xroad:authCert><xroad:dryRun>maybe</xroad:dryRun>"},
      {"</xroad:authCert>", "</xroad:authCert><xroad:dryRun> true </xroad:dryRun>"},
      {"</xroad:client></SOAP-ENV:Body>", ""},
      {"<xroad:server ", "text<xroad:server "},
      {"<xroad:server ", "<xroad:server foo=\"1\" "},
      {"<id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>1234</"
       "id:memberCode><id:serverCode>",
       "<id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>1234</"
       "id:memberCode><id:subsystemCode>X</id:subsystemCode><id:serverCode>"},
      {"</xroad:server>", "</xroad:server><xroad:requestId>12x</xroad:requestId>"},
      {"<xroad:address>", "<xroad:address><b/>"},
      {"<xroad:message>", "<xroad:message><!-- c -->"},
      {"</xroad:maintenanceModeDisable>", "<xroad:requestId> +42 </xroad:requestId></xroad:maintenanceModeDisable>"},
  };
  int compared = 0;
  for (const auto& [type, soap] : all) {
    for (const auto& e : edits) {
      const auto at = soap.find(e.from);
      if (at == std::string::npos) continue;
      std::string edited = soap;
      edited.replace(at, e.from.size(), e.to);
      auto doc = xml::Document::parse(edited);
      if (!doc.ok()) continue;
      const bool by_xsd = xsd->validate(body_of(*doc)).ok();
      auto by_hand = parse_soap_request(edited);
      // Where Roadside is stricter than libxml2, which neither holds the server's
      // objectType to its fixed "SERVER" nor refuses base64 text with other characters.
      if (by_xsd && !by_hand.ok() && (e.to == "id:objectType=\"MEMBER\"" || e.to == "<xroad:authCert>!!")) continue;
      EXPECT_EQ(by_hand.ok(), by_xsd) << service_code(type) << ": " << e.to
                                      << (by_hand.ok() ? "" : " / " + by_hand.error().to_string());
      ++compared;
    }
  }
  EXPECT_GT(compared, 40);
}

TEST(ManagementParse, RefusesHostileEnvelopes) {
  RequestBuilder b(kOwner, kService);
  const std::string soap = *b.client_deletion(kServer, kSubsystem);
  auto fault = [](std::string_view s) {
    auto r = parse_soap_request(s);
    return r.ok() ? std::string("ok") : r.error().fault_code();
  };
  EXPECT_EQ(fault("<!DOCTYPE x [<!ENTITY a \"b\">]>" + soap.substr(38)), "invalid_request");
  EXPECT_EQ(fault(std::string(kMaxSoapBytes + 1, ' ')), "invalid_request");
  std::string other = soap;
  other.replace(other.find("<id:serviceCode>clientDeletion"), 30, "<id:serviceCode>clientEnable");
  EXPECT_EQ(fault(other), "invalid_request");  // body element differs from the service code
  std::string bad_server = soap;
  bad_server.replace(bad_server.find("<id:serverCode>SS0"), 18, "<id:serverCode>S:S0");
  EXPECT_EQ(fault(bad_server), "invalid_client_identifier");
  std::string v5 = soap;
  v5.replace(v5.find(">4.0<"), 5, ">5.0<");
  EXPECT_EQ(fault(v5), "invalid_request");
}

// Signs authCertReg with X-Road's soft-token keys and checks both signatures with openssl.
TEST(ManagementSign, AuthCertRegSignaturesVerifyWithOpenssl) {
  const auto pki = load_pki();
  if (!pki) GTEST_SKIP() << "X-Road test vectors not found (set ROADSIDE_VECTORS_DIR)";
  const XRoadPki& p = *pki;
  const auto now = std::chrono::system_clock::now();
  RequestBuilder b(kOwner, kService);
  const std::string soap = *b.auth_cert_reg(kServer, "ss0.example.org", p.auth_cert.to_der());
  KeySigner auth(p.auth_key), owner(p.sign_key_1234);
  SeededRandom random(3);
  auto http = auth_cert_reg_request(
      soap, p.auth_cert.to_der(), auth,
      {&owner, p.sign_cert_1234, ocsp_for(p, p.sign_cert_1234, crypto::CertStatus::good, now)}, random);
  ASSERT_TRUE(http.ok()) << http.error().to_string();
  EXPECT_EQ(http->content_type.rfind(
                "multipart/related; type=\"application/octet-stream\"; charset=UTF-8; boundary=jetty", 0),
            0U);
  EXPECT_EQ(http->body.rfind("--jetty", 0), 0U);
  EXPECT_NE(http->body.find("\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n<?xml"), std::string::npos);
  auto parsed = parse_request(http->content_type, http->body);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->soap, soap);
  EXPECT_EQ(parsed->auth_signature->algorithm_id, "SHA512withRSA");
  EXPECT_EQ(parsed->owner_signature->algorithm_id, "SHA512withRSA");
  EXPECT_EQ(*parsed->auth_cert, p.auth_cert.to_der());
  EXPECT_EQ(*parsed->signer_cert, p.sign_cert_1234.to_der());

  TempDir tmp;
  write_file(tmp / "soap.xml", parsed->soap);
  write_file(tmp / "auth.sig", parsed->auth_signature->bytes);
  write_file(tmp / "owner.sig", parsed->owner_signature->bytes);
  write_file(tmp / "auth.pem", p.auth_cert.to_pem());
  write_file(tmp / "owner.pem", p.sign_cert_1234.to_pem());
  for (const std::string who : {"auth", "owner"}) {
    const std::string t = tmp.path().string() + "/";
    const std::string cmd = "openssl x509 -in " + t + who + ".pem -pubkey -noout > " + t + who +
                            ".pub && openssl dgst -sha512 -verify " + t + who + ".pub -signature " + t + who + ".sig " +
                            t + "soap.xml > " + t + who + ".out 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << who << ": " << read_file(tmp / (who + ".out"));
    EXPECT_NE(read_file(tmp / (who + ".out")).find("Verified OK"), std::string::npos);
  }
}

class ManagementVerify : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = load_pki();
    if (!pki_) GTEST_SKIP() << "X-Road test vectors not found (set ROADSIDE_VECTORS_DIR)";
    now_ = std::chrono::system_clock::now();
    ctx_ = {&pki_->shared, kService, now_};
    good_ocsp_ = ocsp_for(*pki_, pki_->sign_cert_1234, crypto::CertStatus::good, now_);
  }
  HttpBody signed_body(RequestType type, const std::string& soap, const RequestSigner& signer,
                       const crypto::Certificate& cert, const std::string& ocsp) {
    const MemberSigning member{&signer, cert, ocsp};
    if (type == RequestType::auth_cert_reg) {
      KeySigner auth(pki_->auth_key);
      return *auth_cert_reg_request(soap, pki_->auth_cert.to_der(), auth, member);
    }
    if (signatures_of(type) == Signatures::none) return plain_request(soap);
    return *member_signed_request(soap, member);
  }
  std::string fault(const HttpBody& h) {
    auto r = read_request(h.content_type, h.body, ctx_);
    return r.ok() ? "ok" : r.error().fault_code() + ": " + r.error().detail();
  }
  std::optional<XRoadPki> pki_;
  std::chrono::system_clock::time_point now_;
  VerifyContext ctx_;
  std::string good_ocsp_;
};

TEST_F(ManagementVerify, EveryRequestRoundTrips) {
  RequestBuilder b(kOwner, kService);
  KeySigner signer(pki_->sign_key_1234);
  for (const auto& [type, soap] : build_all(b, pki_->auth_cert.to_der())) {
    const HttpBody h = signed_body(type, soap, signer, pki_->sign_cert_1234, good_ocsp_);
    auto r = read_request(h.content_type, h.body, ctx_);
    ASSERT_TRUE(r.ok()) << service_code(type) << ": " << r.error().to_string();
    EXPECT_EQ(r->received.request.body.type, type);
    if (signatures_of(type) != Signatures::none) {
      EXPECT_EQ(r->signer_member, kOwner);
    }
  }
}

TEST_F(ManagementVerify, RefusesAsXRoadDoes) {
  RequestBuilder b(kOwner, kService);
  KeySigner signer(pki_->sign_key_1234), other(pki_->sign_key_4321);
  const std::string reg = *b.client_reg(kServer, kSubsystem);
  const std::string auth = *b.auth_cert_reg(kServer, "ss0.example.org", pki_->auth_cert.to_der());

  // A signature by another key than the certificate's.
  EXPECT_EQ(fault(signed_body(RequestType::client_reg, reg, other, pki_->sign_cert_1234, good_ocsp_)).substr(0, 23),
            "invalid_signature_value");
  // A signature byte changed, in either signature of authCertReg.
  HttpBody h = signed_body(RequestType::auth_cert_reg, auth, signer, pki_->sign_cert_1234, good_ocsp_);
  auto parsed = parse_request(h.content_type, h.body);
  for (const std::string* sig : {&parsed->auth_signature->bytes, &parsed->owner_signature->bytes}) {
    HttpBody t = h;
    const auto at = t.body.find(*sig);
    t.body[at + 10] = static_cast<char>(t.body[at + 10] ^ 1);
    EXPECT_EQ(fault(t).substr(0, 23), "invalid_signature_value");
  }
  // An empty certificate part (X-Road's "invalid client certificate").
  {
    MemberSigning m{&signer, pki_->sign_cert_1234, good_ocsp_};
    HttpBody t = *member_signed_request(reg, m);
    const std::string der = pki_->sign_cert_1234.to_der();
    t.body.replace(t.body.find(der), der.size(), "");
    EXPECT_EQ(fault(t).substr(0, 21), "incorrect_certificate");
  }
  // Revoked.
  const std::string revoked = ocsp_for(*pki_, pki_->sign_cert_1234, crypto::CertStatus::revoked, now_);
  EXPECT_EQ(fault(signed_body(RequestType::client_reg, reg, signer, pki_->sign_cert_1234, revoked)).substr(0, 15),
            "cert_validation");
  // Another member's certificate and key: signed well, but not by the client's member.
  const std::string ocsp_4321 = ocsp_for(*pki_, pki_->sign_cert_4321, crypto::CertStatus::good, now_);
  EXPECT_EQ(fault(signed_body(RequestType::client_reg, reg, other, pki_->sign_cert_4321, ocsp_4321)).substr(0, 15),
            "invalid_request");
  // The sender is not the server's owner.
  const std::string foreign = *b.client_reg(id("SERVER:DEV/COM/4321/SS1"), kSubsystem);
  EXPECT_EQ(fault(signed_body(RequestType::client_reg, foreign, signer, pki_->sign_cert_1234, good_ocsp_)),
            "invalid_request: Sender does not match server owner.");
  // clientRename of a member, or to a blank name.
  EXPECT_EQ(fault(signed_body(RequestType::client_rename, *b.client_rename(kServer, kOwner, "x"), signer,
                              pki_->sign_cert_1234, good_ocsp_)),
            "invalid_request: Only name of subsystem can be changed");
  EXPECT_EQ(fault(signed_body(RequestType::client_rename, *b.client_rename(kServer, kSubsystem, "  "), signer,
                              pki_->sign_cert_1234, good_ocsp_)),
            "invalid_request: Invalid subsystem name");
  // A bad address.
  EXPECT_EQ(fault(signed_body(RequestType::address_change, *b.address_change(kServer, "-bad-.example"), signer,
                              pki_->sign_cert_1234, good_ocsp_)),
            "invalid_request: Invalid server address");
  // authCertReg whose auth certificate part is not the body's.
  {
    auto key = *crypto::PrivateKey::generate(crypto::KeyType::rsa2048);
    auto cert = *crypto::issue_certificate({.common_name = "x", .usage = crypto::Usage::tls_server_and_client}, key,
                                           &pki_->ca, pki_->ca_key);
    const std::string soap = *b.auth_cert_reg(kServer, "ss0.example.org", cert.to_der());
    KeySigner auth_signer(pki_->auth_key);
    HttpBody t = *auth_cert_reg_request(soap, pki_->auth_cert.to_der(), auth_signer,
                                        {&signer, pki_->sign_cert_1234, good_ocsp_});
    EXPECT_EQ(fault(t), "cert_validation: Authentication certificates do not match.");
  }
  // A signing certificate registered as the auth certificate.
  {
    const std::string soap = *b.auth_cert_reg(kServer, "ss0.example.org", pki_->sign_cert_1234.to_der());
    HttpBody t = *auth_cert_reg_request(soap, pki_->sign_cert_1234.to_der(), signer,
                                        {&signer, pki_->sign_cert_1234, good_ocsp_});
    EXPECT_EQ(fault(t).substr(0, 15), "cert_validation");
  }
  // Missing and extra parts; the wrong management service.
  EXPECT_EQ(fault(plain_request(reg)).substr(0, 15), "invalid_request");
  EXPECT_EQ(fault(signed_body(RequestType::client_reg,
                              *RequestBuilder(kOwner, id("MEMBER:DEV/GOV/9999")).client_reg(kServer, kSubsystem),
                              signer, pki_->sign_cert_1234, good_ocsp_)),
            "invalid_request: Invalid management service address. Contact central server administrator.");
}

// A signer of RSASSA-PSS (X-Road's SHA256withRSAandMGF1) is taken too; openssl agrees.
TEST_F(ManagementVerify, PssSignatures) {
  struct PssSigner final : RequestSigner {
    const crypto::PrivateKey* key;
    Result<SignatureValue> sign(DigestAlgorithm, std::string_view data) const override {
      ROADSIDE_TRY(std::string s, crypto::sign(*key, crypto::kRsaPssSha256Uri, data));
      return SignatureValue{"SHA256withRSAandMGF1", s};
    }
  } pss;
  pss.key = &pki_->sign_key_1234;
  const std::string soap = *RequestBuilder(kOwner, kService).maintenance_mode_enable(kServer, "back at 5");
  HttpBody h = *member_signed_request(soap, {&pss, pki_->sign_cert_1234, good_ocsp_});
  EXPECT_EQ(fault(h), "ok");
  auto parsed = *parse_request(h.content_type, h.body);
  TempDir tmp;
  write_file(tmp / "soap.xml", parsed.soap);
  write_file(tmp / "sig", parsed.owner_signature->bytes);
  write_file(tmp / "cert.pem", pki_->sign_cert_1234.to_pem());
  const std::string t = tmp.path().string() + "/";
  const std::string cmd =
      "openssl x509 -in " + t + "cert.pem -pubkey -noout > " + t +
      "pub.pem && openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -verify " + t +
      "pub.pem -signature " + t + "sig " + t + "soap.xml > /dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST(ManagementResponse, TheRealAnswerSaysRequestId413) {
  ROADSIDE_REQUIRE_VECTORS(v);
  const std::string answer = read_file(v / "xroad/management/examples/response-with-requestId.answer");
  auto info = parse_response("text/xml", answer);
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->request_id, 413);
  EXPECT_EQ(info->type, RequestType::client_reg);
}

TEST(ManagementResponse, ChecksWhatXRoadChecks) {
  RequestBuilder b(kOwner, kService);
  const std::string soap = *b.client_deletion(kServer, kSubsystem);
  const std::string response = build_response(*parse_soap_request(soap), 7);
  EXPECT_EQ(parse_response("application/json", response).error().fault_code(), "http_error");
  const std::string other = *b.client_deletion(kServer, kSubsystem);  // another id
  EXPECT_EQ(parse_response("text/xml", response, other).error().fault_code(), "inconsistent_headers");
  const std::string soap_fault =
      "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Body><SOAP-ENV:Fault>"
      "<faultcode>Server.invalid_request</faultcode><faultstring>Sender does not match server owner.</faultstring>"
      "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>";
  auto f = parse_response("text/xml", soap_fault, soap);
  EXPECT_EQ(f.error().fault_code(), "service_failed");
  EXPECT_NE(f.error().detail().find("Sender does not match server owner."), std::string::npos);
  std::string no_id = response;
  no_id.replace(no_id.find("<xroad:requestId>7"), 18, "<xroad:requestId>x");
  EXPECT_FALSE(parse_response("text/xml", no_id, soap)->request_id);
}

// Annex A's requests, where their SOAP part is parseable: the binary parts are placeholders
// ("[... SIGNATURE BYTES]") and are not read.
TEST(ManagementAnnexA, ExamplesParse) {
  ROADSIDE_REQUIRE_VECTORS(v);
  const fs::path dir = v / "xroad/management/examples/doc-annex-A";
  std::map<std::string, std::string> results;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const std::string text = read_file(entry.path());
    const auto start = text.find("<SOAP-ENV:Envelope");
    const auto end = text.find("</SOAP-ENV:Envelope>");
    ASSERT_NE(start, std::string::npos) << name;
    const std::string envelope = text.substr(start, end + 20 - start);
    if (name.find("_request") != std::string::npos) {
      auto r = parse_soap_request(envelope);
      results[name] = r.ok() ? "ok" : r.error().detail();
    } else {
      auto r = parse_response("text/xml", envelope);
      results[name] = r.ok() && r->request_id ? "ok" : (r.ok() ? "no requestId" : r.error().detail());
    }
  }
  EXPECT_EQ(results.size(), 22U);
  for (const auto& [name, result] : results) {
    // A.3's request has a corrupted authCert: its base64 is one character too long (the
    // same certificate in A.3's response is well formed).
    if (name == "A3_authCertReg_request.txt") {
      EXPECT_EQ(result, "authCert is not base64 (bad length or padding)");
    } else {
      EXPECT_EQ(result, "ok") << name;
    }
  }
}

}  // namespace
}  // namespace roadside::management
