// What a record keeps: body logging per subsystem, metadata-only SOAP and REST messages (on
// X-Road's own messages), and the largest loggable body.
#include "messagelog/loggable.h"

#include <gtest/gtest.h>

#include "base/errors.h"
#include "messagelog/asic.h"
#include "messagelog/rest_part.h"
#include "messagelog/zip.h"
#include "support/test_support.h"
#include "xml/dom.h"

namespace roadside::messagelog {
namespace {

using roadside::testing::read_file;

XRoadId subsystem(std::string_view code) {
  return XRoadId::subsystem("FI", "ORG", "1710128-9", code).value();
}

bool contains(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}

// --- which bodies are logged ---

TEST(BodyLogging, OverridesTurnTheGlobalSettingForTheirSideOnly) {
  LoggingOptions o;
  o.body_logging = false;
  o.enabled_local_producers = " FI/ORG/1710128-9/SUBSYSTEM-A1 ,FI/ORG/1710128-9/SUBSYSTEM-A2";
  o.enabled_remote_producers = "FI/ORG/1710128-9/REMOTE";
  auto p = LoggingPolicy::from_options(o);
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_TRUE(body_logged(*p, subsystem("SUBSYSTEM-A1"), /*server_side=*/true));
  EXPECT_TRUE(body_logged(*p, subsystem("SUBSYSTEM-A2"), true));
  EXPECT_FALSE(
      body_logged(*p, subsystem("SUBSYSTEM-A1"), /*server_side=*/false));  // a local override, not a remote one
  EXPECT_TRUE(body_logged(*p, subsystem("REMOTE"), false));
  EXPECT_FALSE(body_logged(*p, subsystem("REMOTE"), true));
  EXPECT_FALSE(body_logged(*p, subsystem("OTHER"), true));
  EXPECT_FALSE(body_logged(*p, XRoadId::member("FI", "ORG", "1710128-9").value(), true));  // per subsystem only

  o = {};
  o.disabled_remote_producers = "FI/ORG/1710128-9/SECRET";
  p = LoggingPolicy::from_options(o);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(body_logged(*p, subsystem("SECRET"), false));
  EXPECT_TRUE(body_logged(*p, subsystem("SECRET"), true));
  EXPECT_TRUE(body_logged(*p, subsystem("OTHER"), false));
}

TEST(BodyLogging, RefusesOverridesThatCannotApplyOrDoNotName1Subsystem) {
  auto refused = [](LoggingOptions o, std::string_view says) {
    auto p = LoggingPolicy::from_options(o);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().code(), make_error_code(base::errc::invalid_argument));
    EXPECT_TRUE(contains(p.error().detail(), says)) << p.error().detail();
  };
  LoggingOptions o;
  o.enabled_local_producers = "FI/ORG/1710128-9/A";  // body logging is on: enabled-* cannot apply
  refused(o, "enabled_body_logging_local_producer_subsystems must not be set when messagelog.body_logging is true");
  o = {};
  o.body_logging = false;
  o.disabled_remote_producers = "FI/ORG/1710128-9/A";
  refused(o, "disabled_body_logging_remote_producer_subsystems must not be set when messagelog.body_logging is false");
  o = {};
  o.disabled_local_producers = "FI/ORG/1710128-9";  // a member: three parts
  refused(o, "four slash-separated parts");
  o.disabled_local_producers = "FI/ORG/1710128-9/A/B";  // a code with "/" cannot be named
  refused(o, "four slash-separated parts");
  o.disabled_local_producers = "FI/ORG/1710128-9/A B";
  refused(o, "disabled_body_logging_local_producer_subsystems");
  o.disabled_local_producers = "FI//1710128-9/A";
  refused(o, "FI//1710128-9/A");
  o.disabled_local_producers = " , ,";  // nothing named
  EXPECT_TRUE(LoggingPolicy::from_options(o).ok());
}

// --- metadata-only SOAP ---

struct Soap {
  std::string text;
  xml::Document doc;
  std::vector<xml::Element> header, body;
  static Soap of(std::string text) {
    auto doc = xml::Document::parse(text);
    EXPECT_TRUE(doc.ok()) << text;
    Soap s{std::move(text), std::move(doc).value(), {}, {}};
    s.header = s.doc.root().child("Header")->children();
    s.body = s.doc.root().child("Body")->children();
    return s;
  }
  std::vector<std::string> header_names() const {
    std::vector<std::string> out;
    for (const auto& e : header) out.emplace_back(e.name());
    return out;
  }
};

TEST(MetadataOnlySoap, KeepsTheXRoadHeaderAndEmptiesTheBody) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const std::string query = read_file(vectors / "xroad" / "proxy-suite" / "files" / "queries" / "getstate.query");
  ASSERT_TRUE(contains(query, "aäõ"));
  auto m = metadata_only_soap(query, /*response=*/false);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_FALSE(contains(*m, "aäõ"));
  const Soap s = Soap::of(*m);
  EXPECT_EQ(s.header_names(),
            (std::vector<std::string>{"client", "service", "userId", "issue", "id", "protocolVersion"}));
  EXPECT_EQ(s.header[2].text(), "EE:PIN:abc4567");
  EXPECT_EQ(s.header[4].text(), "411d6755661409fed365ad8135f8210be07613da");
  ASSERT_EQ(s.body.size(), 1u);
  EXPECT_EQ(s.body[0].name(), "getState");
  EXPECT_EQ(s.body[0].ns(), "http://x-road.eu/xsd/xroad.xsd");
  EXPECT_TRUE(s.body[0].children().empty());
  EXPECT_EQ(s.body[0].text(), "");
  // Whom it names is still readable (a container's route).
  auto route = message_route(*m);
  ASSERT_TRUE(route.ok()) << route.error().to_string();
  EXPECT_EQ(route->client.to_string(), "MEMBER:EE/BUSINESS/consumer");
  EXPECT_EQ(route->service->to_string(), "SERVICE:EE/BUSINESS/producer/getState");
  // Stripping again changes nothing.
  EXPECT_EQ(metadata_only_soap(*m, false).value(), *m);
}

TEST(MetadataOnlySoap, AResponseKeepsItsRequestHashAndGetsTheResponseElement) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const std::string answer = read_file(vectors / "xroad" / "proxy-suite" / "files" / "queries" / "requesthash.answer");
  auto m = metadata_only_soap(answer, /*response=*/true);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_FALSE(contains(*m, "<response>"));
  EXPECT_FALSE(contains(*m, "aä"));
  const Soap s = Soap::of(*m);
  EXPECT_EQ(s.header_names(),
            (std::vector<std::string>{"client", "service", "userId", "issue", "id", "requestHash", "protocolVersion"}));
  EXPECT_EQ(s.header[5].attribute("algorithmId"), "http://www.w3.org/2001/04/xmlenc#sha512");
  EXPECT_EQ(s.header[5].text(), "foo");
  ASSERT_EQ(s.body.size(), 1u);
  EXPECT_EQ(s.body[0].name(), "getStateResponse");
}

TEST(MetadataOnlySoap, DropsTargetingSecurityTokensAndOtherHeaders) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  std::string query = read_file(vectors / "xroad" / "proxy-suite" / "files" / "queries" / "getstate.query");
  const std::string extra =
      "<xroad:securityServer id:objectType=\"SERVER\"><id:xRoadInstance>EE</id:xRoadInstance>"
      "<id:memberClass>BUSINESS</id:memberClass><id:memberCode>producer</id:memberCode>"
      "<id:serverCode>ss1</id:serverCode></xroad:securityServer>"
      "<repr:representedParty xmlns:repr=\"http://x-road.eu/xsd/representation.xsd\">"
      "<repr:partyClass>COM</repr:partyClass><repr:partyCode>UNKNOWN&amp;1</repr:partyCode></repr:representedParty>"
      "<tok:securityToken xmlns:tok=\"http://x-road.eu/xsd/security-token.xsd\" "
      "tok:tokenType=\"urn:ietf:params:oauth:token-type:jwt\">"
      "eyJ.secret.token</tok:securityToken><acme:note xmlns:acme=\"urn:acme\">confidential</acme:note>"
      "<other:id xmlns:other=\"urn:other\">not-the-id</other:id>";
  query.insert(query.find("<xroad:userId>"), extra);
  auto m = metadata_only_soap(query, false);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  for (std::string_view gone : {"securityServer", "ss1", "eyJ.secret.token", "confidential", "not-the-id"}) {
    EXPECT_FALSE(contains(*m, gone)) << gone;
  }
  const Soap s = Soap::of(*m);
  EXPECT_EQ(s.header_names(), (std::vector<std::string>{"client", "service", "userId", "representedParty", "issue",
                                                        "id", "protocolVersion"}));
  EXPECT_EQ(s.header[3].child_text("partyCode"), "UNKNOWN&1");
  EXPECT_EQ(s.header[5].text(), "411d6755661409fed365ad8135f8210be07613da");
}

// A SOAP query from MEMBER:EE/B/c to service `code` of EE/B/p with `body` in its Body.
std::string query_of(std::string_view code, std::string_view body) {
  return "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
         "xmlns:xroad=\"http://x-road.eu/xsd/xroad.xsd\" "
         "xmlns:id=\"http://x-road.eu/xsd/identifiers\"><SOAP-ENV:Header><xroad:client id:objectType=\"MEMBER\">"
         "<id:xRoadInstance>EE</id:xRoadInstance><id:memberClass>B</id:memberClass><id:memberCode>c</id:memberCode></"
         "xroad:client><xroad:service id:objectType=\"SERVICE\"><id:xRoadInstance>EE</id:xRoadInstance>"
         "<id:memberClass>B</id:memberClass><id:memberCode>p</id:memberCode><id:serviceCode>" +
         std::string(code) +
         "</id:serviceCode></xroad:service><xroad:id>1</xroad:id><xroad:protocolVersion>4.0</xroad:protocolVersion>"
         "</SOAP-ENV:Header><SOAP-ENV:Body>" +
         std::string(body) + "</SOAP-ENV:Body></SOAP-ENV:Envelope>";
}

TEST(MetadataOnlySoap, ABodyElementNamedAfterACodeThatIsNoXmlNameKeepsTheOriginalName) {
  const std::string soap = query_of("get(x)", "<p:getx xmlns:p=\"urn:p\"><secret>s</secret></p:getx>");
  auto m = metadata_only_soap(soap, false);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  const Soap s = Soap::of(*m);
  ASSERT_EQ(s.body.size(), 1u);
  EXPECT_EQ(s.body[0].name(), "getx");
  EXPECT_FALSE(contains(*m, "<secret>"));
}

// ... unless that name is no XML name either, though the parser let it through (found by
// metadata_soap_fuzz): what is written must parse.
TEST(MetadataOnlySoap, ABodyElementWhoseOwnNameIsNoXmlNameBecomesBody) {
  const std::string soap = query_of("5etRandom", "<prod:2etRandom xmlns:prod=\"urn:p\"/>");
  auto m = metadata_only_soap(soap, false);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  auto doc = xml::Document::parse(*m);
  ASSERT_TRUE(doc.ok()) << *m;
  const Soap s = Soap::of(*m);
  ASSERT_EQ(s.body.size(), 1u);
  EXPECT_EQ(s.body[0].name(), "body");
}

TEST(MetadataOnlySoap, RefusesWhatIsNotASoapEnvelope) {
  for (std::string_view bad :
       {"", "<a/>", "<Envelope xmlns=\"http://schemas.xmlsoap.org/soap/envelope/\"><Body/></Envelope>",
        "<!DOCTYPE x []><x/>"}) {
    auto m = metadata_only_soap(bad, false);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.error().code(), make_error_code(errc::log_failed));
    EXPECT_EQ(m.error().fault_code(), "logging_failed");
  }
}

// --- metadata-only REST ---

TEST(MetadataOnlyRest, ARequestLosesItsServicePathQueryAndOtherHeaders) {
  // X-Road's own request (service mock1 of subsystem TestService, no service path).
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const std::string part = read_file(vectors / "xroad" / "signatures" / "non-batch-rest-request" / "message.xml");
  auto m = metadata_only_rest(part);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(*m,
            "POST\r\n/r1/DEV/COM/1234/TestService/mock1\r\nX-Road-Client:DEV/COM/4321/TestClient\r\n"
            "x-road-request-id:9bb842bb-9256-429b-8e9d-278c7b94f8f1\r\nx-road-id:DEV-7012d0aa-a51d-4200-94ed-"
            "1e68f43bccfc\r\n");
  auto route = message_route(*m);
  ASSERT_TRUE(route.ok()) << route.error().to_string();
  EXPECT_EQ(route->service->to_string(), "SERVICE:DEV/COM/1234/TestService/mock1");

  const std::string with_query =
      "GET\r\n/r1/DEV/COM/1234/Sub/svc/persons/38001010000?ssn=38001010000\r\nAuthorization:Bearer secret\r\n"
      "X-Road-Client:DEV/COM/4321/C\r\nX-Road-UserId:EE38001010000\r\nx-road-security-server:DEV/COM/1234/ss1\r\n"
      "X-Road-Represented-Party:COM/1\r\nX-Road-Issue:42\r\nX-Road-Custom:kept-by-x-road-but-not-listed\r\n";
  m = metadata_only_rest(with_query);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(*m,
            "GET\r\n/r1/DEV/COM/1234/Sub/svc\r\nX-Road-Client:DEV/COM/4321/C\r\nX-Road-UserId:EE38001010000\r\n"
            "x-road-security-server:DEV/COM/1234/ss1\r\nX-Road-Represented-Party:COM/1\r\nX-Road-Issue:42\r\n");
  EXPECT_EQ(metadata_only_rest(*m).value(), *m);

  auto bad = metadata_only_rest("GET\r\n/notr1/x\r\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), make_error_code(errc::log_failed));
}

TEST(MetadataOnlyRest, AResponseKeepsItsStatusAndXRoadHeaders) {
  const std::string part =
      "200\r\nOK\r\nContent-Type:application/json\r\nSet-Cookie:session=secret\r\nX-Road-Client:DEV/COM/4321/C\r\n"
      "X-Road-Service:DEV/COM/1234/Sub/svc\r\nX-Road-Id:q1\r\nX-Road-Request-Id:r1\r\nX-Road-Request-Hash:aGFzaA==\r\n"
      "X-Road-Error:Server.ServerProxy.x\r\n";
  auto m = metadata_only_rest(part);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m,
            "200\r\nOK\r\nX-Road-Client:DEV/COM/4321/C\r\nX-Road-Service:DEV/COM/1234/Sub/svc\r\nX-Road-Id:q1\r\n"
            "X-Road-Request-Id:r1\r\nX-Road-Request-Hash:aGFzaA==\r\nX-Road-Error:Server.ServerProxy.x\r\n");
  EXPECT_TRUE(is_rest_response_part(*m));
  EXPECT_EQ(rest_part_header(*m, "x-road-id"), "q1");
}

// --- body size ---

TEST(LoggableBody, KeepsTruncatesRefusesOrDrops) {
  using A = BodyDecision::Action;
  auto d = loggable_body(100, 100, false);
  EXPECT_EQ(d.action, A::keep);
  EXPECT_EQ(d.bytes, 100u);
  d = loggable_body(101, 100, false);
  EXPECT_EQ(d.action, A::refuse);
  d = loggable_body(101, 100, true);
  EXPECT_EQ(d.action, A::truncate);
  EXPECT_EQ(d.bytes, 100u);
  d = loggable_body(0, 100, false);
  EXPECT_EQ(d.action, A::keep);
  d = loggable_body(5, 0, false);
  EXPECT_EQ(d.action, A::drop);
}

LogEntry rest_entry(std::vector<net::Payload> attachments) {
  LogEntry e;
  e.rest = true;
  e.record.query_id = "q1";
  e.record.message = "POST\r\n/r1/DEV/COM/1234/Sub/svc/secret-path?x=1\r\nX-Road-Client:DEV/COM/4321/C\r\nCookie:c\r\n";
  e.record.attachments = std::move(attachments);
  e.record.signature = "<sig/>";
  e.service_provider = XRoadId::subsystem("DEV", "COM", "1234", "Sub").value();
  return e;
}

TEST(LoggableRecord, TruncatesASpooledBodyAsASliceOfItsFile) {
  roadside::testing::TempDir dir;
  net::PayloadBuilder b(dir.path(), /*in_memory_limit=*/16);
  ASSERT_TRUE(b.append(std::string(5000, 'x')).ok());
  ASSERT_TRUE(b.spooled());
  LoggingPolicy p;
  p.max_loggable_body_bytes = 1024;
  p.truncated_body_allowed = true;
  auto r = loggable_record(p, rest_entry({std::move(b).finish()}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r->body_logged);
  ASSERT_EQ(r->attachments.size(), 1u);
  EXPECT_FALSE(r->attachments[0].in_memory());
  EXPECT_EQ(r->attachments[0].size(), 1024u);
  EXPECT_EQ(r->attachments[0].read_all(4096).value(), std::string(1024, 'x'));

  p.truncated_body_allowed = false;
  auto refused = loggable_record(p, rest_entry({net::Payload(std::string(1025, 'y'))}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), make_error_code(errc::body_too_large));
  EXPECT_EQ(refused.error().fault_code(), "logging_failed");
  EXPECT_TRUE(loggable_record(p, rest_entry({net::Payload(std::string(1024, 'y'))})).ok());
}

TEST(LoggableRecord, WithoutTheBodyTheRecordIsMetadataOnly) {
  LoggingPolicy p;
  p.body_logging = false;
  auto r = loggable_record(p, rest_entry({net::Payload(std::string("MARKER-BODY"))}));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(r->body_logged);
  EXPECT_TRUE(r->attachments.empty());
  EXPECT_EQ(r->message, "POST\r\n/r1/DEV/COM/1234/Sub/svc\r\nX-Road-Client:DEV/COM/4321/C\r\n");
  EXPECT_EQ(r->query_id, "q1");
  EXPECT_EQ(r->signature, "<sig/>");

  // A batch-signed SOAP message keeps its hash chain, not its attachments (X-Road's rule).
  LoggingPolicy on;
  LogEntry soap;
  soap.record.message = "<x/>";
  soap.record.attachments.emplace_back(std::string("att"));
  soap.record.hash_chain_result = "<hcr/>";
  soap.record.hash_chain = "<hc/>";
  auto batch = loggable_record(on, soap);
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE(batch->body_logged);
  EXPECT_TRUE(batch->attachments.empty());
  EXPECT_EQ(batch->hash_chain_result, "<hcr/>");
  soap.record.hash_chain_result.reset();
  EXPECT_EQ(loggable_record(on, soap)->attachments.size(), 1u);
}

TEST(LoggableRecord, ASoapMessageOfAnOverriddenLocalProducerIsMetadataOnly) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  LoggingOptions o;
  o.disabled_local_producers = "EE/BUSINESS/producer/SECRET";
  const LoggingPolicy p = LoggingPolicy::from_options(o).value();
  LogEntry e;
  e.record.message = read_file(vectors / "xroad" / "proxy-suite" / "files" / "queries" / "getstate.query");
  e.record.attachments.emplace_back(std::string("attachment"));
  e.server_side = true;
  e.service_provider = XRoadId::subsystem("EE", "BUSINESS", "producer", "SECRET").value();
  auto r = loggable_record(p, e);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_FALSE(r->body_logged);
  EXPECT_TRUE(r->attachments.empty());
  EXPECT_FALSE(contains(r->message, "aäõ"));
  EXPECT_TRUE(contains(r->message, "<xroad:getState/>"));
  e.server_side = false;  // the same subsystem seen from the client proxy: not overridden
  r = loggable_record(p, e);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->body_logged);
  EXPECT_EQ(r->message, e.record.message);
  EXPECT_EQ(r->attachments.size(), 1u);
}

TEST(RestPart, ReadsLinesEndedByCrlfOrLfAndSkipsLinesWithoutAColon) {
  const auto lines = rest_part_lines("GET\n/r1/a/b/c/d/e?x\r\nA:1\r\nnot a header\nB:2:3\nC:");
  EXPECT_EQ(lines.first, "GET");
  EXPECT_EQ(lines.second, "/r1/a/b/c/d/e?x");
  ASSERT_EQ(lines.headers.size(), 3u);
  EXPECT_EQ(lines.headers[1].name, "B");
  EXPECT_EQ(lines.headers[1].value, "2:3");
  EXPECT_EQ(lines.headers[2].value, "");
  EXPECT_EQ(rest_part_header("200\r\nOK\r\nx-road-id:q\r\nX-Road-Id:later\r\n", "X-ROAD-ID"), "q");
  EXPECT_EQ(rest_part_header("200\r\nX-Road-Id:q\r\n", "X-Road-Id"), std::nullopt);  // the reason line
  EXPECT_TRUE(rest_part_lines("").headers.empty());
  EXPECT_TRUE(is_rest_response_part("404\r\nNot Found\r\n"));
  EXPECT_FALSE(is_rest_response_part("GET\r\n/r1\r\n"));
}

}  // namespace
}  // namespace roadside::messagelog
