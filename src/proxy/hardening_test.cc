// The message path against hostile input: each suite is named after a finding of the
// hardening review (docs/security.md lists the checks). No sockets here; the same attacks
// through running servers are in tests/integration/exchange_test.cc.
#include <gtest/gtest.h>

#include "globalconf/parameters.h"
#include "proxy/errors.h"
#include "proxy/metaservices.h"
#include "proxy/rest.h"
#include "proxy/soap.h"
#include "proxy/transport.h"
#include "support/test_support.h"
#include "trust/verifier.h"
#include "xml/xades.h"

namespace roadside::proxy {
namespace {

constexpr std::string_view kEnvelopeStart =
    R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">)";
constexpr std::string_view kHeaderAndBody = R"(
    <SOAP-ENV:Header>
        <xrd:client id:objectType="MEMBER"><id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>&e;</id:memberCode></xrd:client>
        <xrd:service id:objectType="SERVICE"><id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>2</id:memberCode><id:serviceCode>listMethods</id:serviceCode></xrd:service>
        <xrd:id>abc</xrd:id>
        <xrd:protocolVersion>4.0</xrd:protocolVersion>
    </SOAP-ENV:Header>
    <SOAP-ENV:Body><xrd:listMethods/></SOAP-ENV:Body>
</SOAP-ENV:Envelope>)";

// A SOAP message whose memberCode is entity &e;, declared in a DOCTYPE as `entity_text`.
std::string soap_with_entity(const std::string& entity_text) {
  return "<?xml version=\"1.0\"?>\n<!DOCTYPE SOAP-ENV:Envelope [<!ENTITY e \"" + entity_text + "\">]>\n" +
         std::string(kEnvelopeStart) + std::string(kHeaderAndBody);
}

std::string plain_soap() {
  std::string s = std::string(kEnvelopeStart) + std::string(kHeaderAndBody);
  s.replace(s.find("&e;"), 3, "1");
  return s;
}

// 1. Entity expansion: a DOCTYPE is refused when the parser meets it, in requests from
// information systems, responses from services, transport messages and WSDLs.
TEST(EntityExpansion, ADoctypeIsRefusedBeforeAnyEntityIsRead) {
  // 1 KiB referenced 1,000 times from a second entity: 1 MB if it were ever expanded.
  const std::string kib(1024, 'x');
  std::string message =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE SOAP-ENV:Envelope [<!ENTITY k \"" + kib + "\"><!ENTITY e \"";
  for (int i = 0; i < 1000; ++i) message += "&k;";
  message += "\">]>\n" + std::string(kEnvelopeStart) + std::string(kHeaderAndBody);
  for (bool request : {true, false}) {
    auto env = parse_soap(message, request);
    ASSERT_FALSE(env.ok());
    EXPECT_EQ(env.error().fault_code(), "invalid_soap");
    EXPECT_NE(env.error().detail().find("DOCTYPE"), std::string::npos) << env.error().detail();
  }
  // Even a harmless-looking one: X-Road refuses every DOCTYPE in SOAP.
  auto harmless = parse_soap(soap_with_entity("1"), true);
  ASSERT_FALSE(harmless.ok());
  EXPECT_EQ(harmless.error().fault_code(), "invalid_soap");
  EXPECT_TRUE(parse_soap(plain_soap(), true).ok());
  // A service's response is edited with the DOM too.
  EXPECT_EQ(insert_request_hash(soap_with_entity("1"), "H").error().fault_code(), "invalid_soap");
  // A WSDL fetched from a service.
  const std::string wsdl =
      "<!DOCTYPE d [<!ENTITY e \"x\">]><d:definitions xmlns:d=\"http://schemas.xmlsoap.org/wsdl/\">&e;</d:definitions>";
  auto rewritten = rewrite_wsdl_endpoints(wsdl);
  ASSERT_FALSE(rewritten.ok());
  EXPECT_EQ(rewritten.error().fault_code(), "service_failed.invalid_message");
}

// 2. No std::regex on untrusted text: the metaservice envelope, the requestHash insertion
// and the WSDL rewrite scan linearly, so megabytes of comments or attributes cost a pass, not
// a stack frame per character.
TEST(RegexOnUntrustedText, MegabytesBeforeTheEnvelopeOrInAnAttributeAreOnePass) {
  const std::string long_name = "<!-- <" + std::string(8 * 1024 * 1024, 'a') + " -->\n";
  const std::string request = long_name + plain_soap();
  auto envelope = soap_response_envelope(request, "<xrd:listMethodsResponse/>");
  ASSERT_TRUE(envelope.ok()) << envelope.error().to_string();
  EXPECT_EQ(envelope->find("aaaa"), std::string::npos);
  EXPECT_NE(envelope->find("<SOAP-ENV:Body><xrd:listMethodsResponse/></SOAP-ENV:Body></SOAP-ENV:Envelope>"),
            std::string::npos);
  EXPECT_NE(envelope->find("<xrd:id>abc</xrd:id>"), std::string::npos);

  auto with_hash = insert_request_hash(request, "H==");
  ASSERT_TRUE(with_hash.ok()) << with_hash.error().to_string();
  EXPECT_NE(with_hash->find("<xrd:id>abc</xrd:id>\n        <xrd:requestHash"), std::string::npos);

  const std::string wsdl =
      "<d:definitions xmlns:d=\"http://schemas.xmlsoap.org/wsdl/\" xmlns:s=\"http://schemas.xmlsoap.org/wsdl/soap/\">"
      "<s:address big=\"" +
      std::string(8 * 1024 * 1024, 'b') + "\" location=\"http://10.0.0.7:8080/internal\"/></d:definitions>";
  auto rewritten = rewrite_wsdl_endpoints(wsdl);
  ASSERT_TRUE(rewritten.ok()) << rewritten.error().to_string();
  EXPECT_EQ(rewritten->find("10.0.0.7"), std::string::npos);
  EXPECT_NE(rewritten->find("location=\"http://example.org/xroad-endpoint\"/>"), std::string::npos);
}

TEST(RegexOnUntrustedText, TagsInsideCommentsAndCdataAreNotTakenForTheHeader) {
  std::string soap = plain_soap();
  soap.insert(soap.find("<SOAP-ENV:Header>"), "<!-- <SOAP-ENV:Header><xrd:id>fake</xrd:id></SOAP-ENV:Header> -->");
  soap.insert(soap.find("<xrd:id>"), "<xrd:userId><![CDATA[<xrd:id>cdata</xrd:id>]]></xrd:userId>");
  auto with_hash = insert_request_hash(soap, "H==");
  ASSERT_TRUE(with_hash.ok()) << with_hash.error().to_string();
  EXPECT_NE(with_hash->find("<xrd:id>abc</xrd:id>\n        <xrd:requestHash"), std::string::npos) << *with_hash;
  auto env = parse_soap(*with_hash, false);
  ASSERT_TRUE(env.ok()) << env.error().to_string();
  EXPECT_EQ(env->header.request_hash, "H==");
  auto envelope = soap_response_envelope(soap, "<x/>");
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(envelope->find("fake"), std::string::npos) << *envelope;
}

// 2. The WSDL rewrite scans bytes; the parser must read the same document or refuse it. A
// UTF-16 WSDL (the scan sees no tags) and an address element without a prefix kept the
// service's internal URL.
TEST(RegexOnUntrustedText, EveryWsdlAddressIsRewrittenOrTheWsdlRefused) {
  const std::string utf8 =
      "<definitions xmlns=\"http://schemas.xmlsoap.org/wsdl/\"><service><port><address "
      "xmlns=\"http://schemas.xmlsoap.org/wsdl/soap/\" "
      "location=\"http://10.0.0.7:8080/a\"/></port><port><s12:address "
      "xmlns:s12=\"http://schemas.xmlsoap.org/wsdl/soap12/\" "
      "location='http://10.0.0.7:8080/b'/></port></service></definitions>";
  auto rewritten = rewrite_wsdl_endpoints(utf8);
  ASSERT_TRUE(rewritten.ok()) << rewritten.error().to_string();
  EXPECT_EQ(rewritten->find("10.0.0.7"), std::string::npos) << *rewritten;

  std::string utf16 = "\xFF\xFE";
  for (char c : utf8) utf16 += std::string{c, '\0'};
  auto refused = rewrite_wsdl_endpoints(utf16);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().fault_code(), "service_failed.invalid_message");
  EXPECT_NE(refused.error().detail().find("UTF-8"), std::string::npos) << refused.error().detail();
}

// 3. Dot segments and encoded slashes: one normalised path for the access check and the
// service's URL; a path that climbs above the base or hides a slash is refused.
TEST(RestPathDotSegments, OnePathForTheRightAndTheService) {
  struct Case {
    std::string raw, forwarded, decoded;
  };
  const Case ok[] = {
      {"", "", ""},
      {"/", "/", "/"},
      {"/public/x", "/public/x", "/public/x"},
      {"/public/../admin", "/admin", "/admin"},
      {"/public/%2e%2E/admin", "/admin", "/admin"},
      {"/public/./x/", "/public/x/", "/public/x/"},
      {"//public///x", "/public/x", "/public/x"},
      {"/a%20b/c%3Fd", "/a%20b/c%3Fd", "/a b/c?d"},
      {"/public/..", "/", "/"},
  };
  for (const auto& c : ok) {
    auto p = normalize_service_path(c.raw);
    ASSERT_TRUE(p.ok()) << c.raw << ": " << p.error().to_string();
    EXPECT_EQ(p->forwarded, c.forwarded) << c.raw;
    EXPECT_EQ(p->decoded, c.decoded) << c.raw;
  }
  for (const char* bad : {"/..", "/public/../../admin", "/%2e%2e/admin", "/public%2F..%2F..%2Fadmin", "/a%5cb",
                          "/a%00b", "/a%0d%0ab", "/a b", "/a\tb", "/a#b", "/a%zz", "/a%2", "public"}) {
    auto p = normalize_service_path(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().fault_code(), "bad_request") << bad;
  }
  EXPECT_TRUE(check_query("a=1&b=%20").ok());
  for (const char* bad : {"a= 1", "a=\r\nX: y", "a#b", "a=\x7f"})
    EXPECT_EQ(check_query(bad).error().fault_code(), "bad_request") << bad;
}

// 3. A dot segment with path parameters: Tomcat, Jetty and Spring read "/public/..;/admin"
// as "/admin", which the access check would have judged as a path under /public. So would
// a service that decodes "%252e%252e" once more.
TEST(RestPathDotSegments, ADotSegmentWithParametersIsRefused) {
  for (const char* bad :
       {"/public/..;/admin", "/public/..;x=1/admin", "/public/%2e%2e;/admin", "/public/..%3B/admin", "/public/.;/x"}) {
    auto p = normalize_service_path(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().fault_code(), "bad_request") << bad;
  }
  // Encoded twice: a service that decodes again would see "..".
  // Overlong UTF-8 dots, a lone continuation byte, a surrogate: not UTF-8, refused.
  for (const char* bad :
       {"/public/%252e%252e/admin", "/public/%252E%252E%252Fadmin", "/public/100%25", "/public/%C0%AE%C0%AE/admin",
        "/public/%E0%80%AE", "/public/%80", "/public/%ED%A0%80", "/public/%F4%90%80%80", "/public/%C3"}) {
    auto twice = normalize_service_path(bad);
    ASSERT_FALSE(twice.ok()) << bad;
    EXPECT_EQ(twice.error().fault_code(), "bad_request") << bad;
  }
  auto p = normalize_service_path("/public/a;v=1/..;x");
  EXPECT_FALSE(p.ok());
  p = normalize_service_path("/public/%C3%A9t%C3%A9/%F0%9F%98%80");
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ(p->decoded, "/public/\xC3\xA9t\xC3\xA9/\xF0\x9F\x98\x80");
  p = normalize_service_path("/public/a;v=1/.../b;");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->decoded, "/public/a;v=1/.../b;");
}

// 5. Header injection: a header part from a peer with a bare CR or LF, a name that is not a
// token, a control character in a value or the path, or a 1xx status is refused.
TEST(HeaderInjection, BareLineEndsControlsAndInterimStatusesAreRefused) {
  const std::string ok = "GET\r\n/r1/DEV/COM/1/S/echo/a\r\nX-A: b\tc\r\n";
  ASSERT_TRUE(RestRequestHead::parse(ok).ok());
  for (const std::string bad : {
           "GET\r\n/r1/DEV/COM/1/S/echo\r\nX-A: b\nX-Injected: yes\r\n",  // bare LF in a value
           "GET\r\n/r1/DEV/COM/1/S/echo\r\nX-A: b\rX-Injected: yes\r\n",  // bare CR
           "GET\r\n/r1/DEV/COM/1/S/echo\nHost: evil\r\n",                 // bare LF in the path line
           "GET\r\n/r1/DEV/COM/1/S/echo/a b HTTP/1.1\r\n",                // space in the path
           "GET\r\n/r1/DEV/COM/1/S/echo/a\x01\r\n",                       // control in the path
           "GET\r\n/r1/DEV/COM/1/S/echo\r\nX A: b\r\n",                   // space in a name
           "GET\r\n/r1/DEV/COM/1/S/echo\r\nX-A: b\x00c\r\n",              // NUL in a value
           "G\nET\r\n/r1/DEV/COM/1/S/echo\r\n",                           // not a method
       }) {
    auto h = RestRequestHead::parse(bad);
    ASSERT_FALSE(h.ok()) << bad;
    EXPECT_EQ(h.error().fault_code(), "invalid_message") << bad;
  }
  EXPECT_TRUE(RestResponseHead::parse("200\r\nOK\r\nX-A: b\r\n").ok());
  for (const std::string bad : {"100\r\nContinue\r\n", "101\r\nSwitching Protocols\r\nUpgrade: h2c\r\n",
                                "200\r\nOK\rX\r\n", "200\r\nOK\r\nX-A: b\nSet-Cookie: s=1\r\n"}) {
    auto h = RestResponseHead::parse(bad);
    ASSERT_FALSE(h.ok()) << bad;
    EXPECT_EQ(h.error().fault_code(), "invalid_message") << bad;
  }
}

// A header part from a peer whose header is longer than an HTTP head's field holds is refused:
// the proxies rebuild a head from it (for the service, for the information system), which
// threw for a value of 65534 bytes (found by http_head_fuzz).
TEST(HeaderInjection, AHeaderAnHttpHeadCannotHoldIsRefused) {
  const std::string longest(kMaxHeaderFieldBytes, 'a');
  EXPECT_TRUE(RestRequestHead::parse("GET\r\n/r1/DEV/COM/1/S/echo\r\nX-A:" + longest + "\r\n").ok());
  EXPECT_TRUE(RestResponseHead::parse("200\r\nOK\r\n" + longest + ":b\r\n").ok());
  for (const std::string& bad : {"GET\r\n/r1/DEV/COM/1/S/echo\r\nX-A:" + longest + "a\r\n",
                                 "GET\r\n/r1/DEV/COM/1/S/echo\r\n" + longest + "a:b\r\n"}) {
    auto h = RestRequestHead::parse(bad);
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error().fault_code(), "invalid_message");
  }
  EXPECT_FALSE(RestResponseHead::parse("200\r\nOK\r\nX-A:" + longest + "a\r\n").ok());
}

// 11. Large REST bodies from Java peers: X-Road signs a single message's body as a reference
// of its own; a body in a spool file is read in pieces while the signature is checked.
TEST(JavaPeersLargeRestBody, ASpooledBodyVerifiesAgainstXRoadsOwnSignature) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto src = vectors / "xroad" / "signatures" / "non-batch-rest-request";
  auto shared = globalconf::SharedParameters::parse(
      testing::read_file(vectors / "xroad" / "asic" / "trust" / "DEV" / "shared-params.xml"));
  ASSERT_TRUE(shared.ok()) << shared.error().to_string();
  const std::string body = testing::read_file(src / "attachment1");
  testing::TempDir dir;
  auto file = net::SpoolFile::create(dir.path());
  ASSERT_TRUE(file.ok()) << file.error().to_string();
  ASSERT_TRUE((*file)->append(body).ok());

  TransportMessage m;
  m.message = testing::read_file(src / "message.xml");
  m.body = net::Payload(*file, 0, body.size());
  ASSERT_FALSE(m.body->in_memory());
  const std::string signatures = testing::read_file(src / "signatures.xml");
  auto sig = xml::XadesSignature::parse(signatures);
  ASSERT_TRUE(sig.ok()) << sig.error().to_string();
  ASSERT_FALSE(sig->is_batch());
  const XRoadId client = *XRoadId::parse("SUBSYSTEM:DEV/COM/4321/TestClient");
  auto verified = trust::verify_signed_message(*sig, m.signed_message(), *shared, {client, sig->signing_time});
  EXPECT_TRUE(verified.ok()) << verified.error().to_string();

  // A changed byte in the spool file is caught (a message of its own: a message keeps its
  // body's digests once taken).
  auto other = net::SpoolFile::create(dir.path());
  ASSERT_TRUE((*other)->append("{\"test\":false}").ok());
  TransportMessage changed;
  changed.message = m.message;
  changed.body = net::Payload(*other, 0, 14);
  auto tampered = trust::verify_signed_message(*sig, changed.signed_message(), *shared, {client, sig->signing_time});
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.error().fault_code(), "invalid_signature_value");
}

// 18. A transport message with both a REST body and SOAP attachments is refused: both would
// be /attachment1 to the signature.
TEST(RestBodyAndSoapAttachments, TogetherAreRefused) {
  TransportMessage m;
  m.message_type = std::string(kRestRequestType);
  m.message = "POST\r\n/r1/DEV/COM/1/S/echo\r\n";
  m.body = net::Payload(std::string("{}"));
  m.attachments.push_back({{{"Content-Type", "text/plain"}}, net::Payload("attached")});
  m.signature.signature = "<signature/>";
  const EncodedMessage e = encode_transport(m);
  auto back = decode_transport(e.content_type, e.joined());
  ASSERT_FALSE(back.ok()) << "decoded with " << back->attachments.size() << " attachments";
  EXPECT_EQ(back.error().fault_code(), "invalid_message");
  m.attachments.clear();
  const EncodedMessage body_only = encode_transport(m);
  EXPECT_TRUE(decode_transport(body_only.content_type, body_only.joined()).ok());
}

}  // namespace
}  // namespace roadside::proxy
