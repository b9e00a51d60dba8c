// The WSDL reader and the admin service's checks against X-Road's own inputs
// (vectors/xroad/admin-api/wsdl/admin-service, README there) and hostile ones.
#include "servicedesc/wsdl.h"

#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "servicedesc/services.h"
#include "support/test_support.h"

namespace roadside::servicedesc {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

// X-Road's tests read the files at these URLs; its metadata names them so.
std::string xroad_url(const std::string& name) {
  return "file:src/test/resources/wsdl/" + name;
}

std::vector<std::string> full_codes(const std::vector<WsdlService>& services) {
  std::vector<std::string> out;
  for (const auto& s : services) out.push_back(s.full_code());
  return out;
}

class WsdlVectors : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = testing::vectors_dir();
    if (!dir) GTEST_SKIP() << "X-Road test vectors not found (set ROADSIDE_VECTORS_DIR)";
    dir_ = *dir / "xroad/admin-api/wsdl/admin-service";
  }
  std::string bytes(const std::string& name) const { return testing::read_file(dir_ / name); }
  Outcome<std::vector<WsdlService>> parse(const std::string& name) const {
    return parse_wsdl(bytes(name), xroad_url(name));
  }
  std::vector<WsdlService> services(const std::string& name) const {
    auto r = parse(name);
    EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.failure().detail());
    return r.ok() ? *r : std::vector<WsdlService>{};
  }
  void expect_refused(const std::string& name, errc code) const {
    auto r = parse(name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.failure().code(), code) << name << ": " << r.failure().detail();
    EXPECT_EQ(r.failure().fault_code(), "invalid_wsdl") << name;
    EXPECT_EQ(r.failure().metadata().size(), 1U) << name;  // X-Road: the parser's message
  }

  fs::path dir_;
};

// Every file in the folder has its expectation here, so a file added to the vectors without
// one fails instead of going unchecked.
TEST_F(WsdlVectors, EveryFileHasAnExpectation) {
  const std::set<std::string> covered = {"valid.wsdl",
                                         "invalid.wsdl",
                                         "xxe.wsdl",
                                         "fault.xml",
                                         "testservice.wsdl",
                                         "error.wsdl",
                                         "warning.wsdl",
                                         "invalid-serviceurl.wsdl",
                                         "invalid-servicecode-colon.wsdl",
                                         "invalid-servicecode-all.wsdl",
                                         "invalid-serviceversion-percent.wsdl",
                                         "valid-getrandom.wsdl",
                                         "valid-smallattachment.wsdl",
                                         "valid-additional-services.wsdl",
                                         "mock-wsdlvalidator.sh"};
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_TRUE(covered.count(e.path().filename().string())) << "no expectation for " << e.path().filename();
  }
}

TEST_F(WsdlVectors, ValidHasThreeServices) {
  const auto s = services("valid.wsdl");
  EXPECT_THAT(full_codes(s), ElementsAre("xroadGetRandom.v1", "xroadSmallAttachment.v1", "xroadBigAttachment.v1"));
  ASSERT_EQ(s.size(), 3U);
  EXPECT_EQ(s[0].code, "xroadGetRandom");
  EXPECT_EQ(s[0].version, "v1");
  EXPECT_EQ(s[0].title, "Suvaline sisend document/literal stiilis");
  EXPECT_EQ(s[0].url, "http://iks2-testhost:8080/testservice-0.1/xroad");
  EXPECT_EQ(s[1].title, "Väikese manusega päring document/literal stiilis");
  EXPECT_FALSE(check_service_urls(s));
}

TEST_F(WsdlVectors, NotAWsdlIsInvalidWsdl) {
  expect_refused("invalid.wsdl", errc::invalid_wsdl);  // "FooBar!"
  expect_refused("fault.xml", errc::invalid_wsdl);     // a SOAP fault
}

// The external entity is never read: the DOCTYPE alone refuses the document.
TEST_F(WsdlVectors, ExternalEntityIsRefused) {
  expect_refused("xxe.wsdl", errc::invalid_wsdl);
  EXPECT_THAT(parse("xxe.wsdl").failure().detail(), ::testing::HasSubstr("DOCTYPE"));
}

TEST_F(WsdlVectors, ValidDescriptionsParse) {
  EXPECT_THAT(full_codes(services("valid-getrandom.wsdl")), ElementsAre("xroadGetRandom.v1"));
  EXPECT_THAT(full_codes(services("valid-smallattachment.wsdl")), ElementsAre("xroadSmallAttachment.v1"));
  // Its versions are <id:version> in another namespace: X-Road reads any element named version.
  EXPECT_THAT(full_codes(services("valid-additional-services.wsdl")), ElementsAre("getRandom.v1", "helloService.v1"));
  EXPECT_THAT(full_codes(services("testservice.wsdl")), ElementsAre("xroadGetRandom.v1", "bodyMassIndex.v1"));
  // The validator's error and warning come from their names alone (mock-wsdlvalidator.sh).
  EXPECT_THAT(full_codes(services("warning.wsdl")), ElementsAre("xroadGetRandom.v1", "bodyMassIndex.v1"));
  EXPECT_THAT(full_codes(services("error.wsdl")), ElementsAre("mock.v1", "mockSwaRef.v1", "mockMtom.v1"));
  for (const char* name : {"valid-getrandom.wsdl", "valid-smallattachment.wsdl", "valid-additional-services.wsdl",
                           "testservice.wsdl", "warning.wsdl", "error.wsdl"}) {
    EXPECT_FALSE(check_service_urls(services(name))) << name;
  }
}

TEST_F(WsdlVectors, ServiceUrlNotHttpIsInvalidServiceUrl) {
  const auto s = services("invalid-serviceurl.wsdl");  // parses: X-Road checks addresses only when adding
  auto refused = check_service_urls(s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->fault_code(), "invalid_service_url");
  EXPECT_THAT(refused->metadata(), ElementsAre("sftp://iks2-testhost:8080/testservice-0.1/xroad"));
}

TEST_F(WsdlVectors, ServiceCodeWithColonIsInvalidIdentifier) {
  auto r = parse("invalid-servicecode-colon.wsdl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().code(), errc::invalid_service_identifier);
  EXPECT_EQ(r.failure().fault_code(), "invalid_wsdl_service_identifier");
  EXPECT_THAT(r.failure().metadata(), ElementsAre("xroadGetRandom:aa"));
}

TEST_F(WsdlVectors, EveryForbiddenCharacterIsReported) {
  auto r = parse("invalid-servicecode-all.wsdl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().fault_code(), "invalid_wsdl_service_identifier");
  EXPECT_THAT(r.failure().metadata(),
              UnorderedElementsAre("xroadGetRandom:aa", "xroadGetRandom;aa", "xroadGetRandom\\aa", "xroadGetRandom/aa",
                                   "xroadGetRandom%aa", "xroadGetRandom/../aa"));
}

TEST_F(WsdlVectors, ServiceVersionWithPercentIsInvalidIdentifier) {
  auto r = parse("invalid-serviceversion-percent.wsdl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().fault_code(), "invalid_wsdl_service_identifier");
  EXPECT_THAT(r.failure().metadata(), ElementsAre("v1%234"));
}

// ClientsApiControllerIntegrationTest: testservice.wsdl added beside valid.wsdl.
TEST_F(WsdlVectors, TestserviceClashesWithValidOnGetRandom) {
  const std::vector<ExistingDescription> existing = {{xroad_url("valid.wsdl"), services("valid.wsdl")}};
  auto clash = find_service_clash(services("testservice.wsdl"), existing);
  ASSERT_TRUE(clash);
  EXPECT_EQ(clash->fault_code(), "service_already_exists");
  EXPECT_THAT(clash->metadata(), ElementsAre("xroadGetRandom.v1", "file:src/test/resources/wsdl/valid.wsdl"));
  EXPECT_FALSE(find_service_clash(services("valid-additional-services.wsdl"), existing));
}

// ServiceDescriptionServiceIntegrationTest's refreshes: getrandom -> valid and back, and
// getrandom -> smallattachment.
TEST_F(WsdlVectors, RefreshReportsAddedAndRemovedServices) {
  const auto one = services("valid-getrandom.wsdl"), three = services("valid.wsdl"),
             small = services("valid-smallattachment.wsdl");
  auto added = diff_services(one, three);
  EXPECT_THAT(added.added, UnorderedElementsAre("xroadBigAttachment.v1", "xroadSmallAttachment.v1"));
  EXPECT_TRUE(added.removed.empty());
  EXPECT_THAT(change_warnings(added), ElementsAre(Warning{"adding_services", added.added}));
  auto removed = diff_services(three, one);
  EXPECT_THAT(removed.removed, UnorderedElementsAre("xroadBigAttachment.v1", "xroadSmallAttachment.v1"));
  EXPECT_THAT(change_warnings(removed), ElementsAre(Warning{"deleting_services", removed.removed}));
  auto both = diff_services(one, small);
  EXPECT_THAT(change_warnings(both), ElementsAre(Warning{"adding_services", {"xroadSmallAttachment.v1"}},
                                                 Warning{"deleting_services", {"xroadGetRandom.v1"}}));
  EXPECT_TRUE(diff_services(three, three).empty());
  EXPECT_TRUE(change_warnings(diff_services(three, three)).empty());
}

// --- Checks on their own ---------------------------------------------------------------

TEST(Identifier, StrictCheckAllowsOnlyXRoadsCharacters) {
  EXPECT_TRUE(is_valid_identifier(""));
  EXPECT_TRUE(is_valid_identifier("abcXYZ019'()+,-.=?"));
  for (const char* bad : {":", ";", "/", "\\", "%", " ", "ä", "列", "a b", "\t", "a*", "\x01", "@", "_"}) {
    EXPECT_FALSE(is_valid_identifier(bad)) << bad;
  }
}

TEST(ServiceClash, ComparesFullCodesIgnoringCaseAndListsEachExistingService) {
  const std::vector<WsdlService> candidates = {{"GETRANDOM", "V1", {}, {}}, {"hello", std::nullopt, {}, {}}};
  const std::vector<ExistingDescription> existing = {
      {"http://a/1.wsdl", {{"getRandom", "v1", {}, {}}, {"other", "v1", {}, {}}}},
      {"http://a/2.wsdl", {{"hello", std::nullopt, {}, {}}, {"hello", "v2", {}, {}}}}};
  auto clash = find_service_clash(candidates, existing);
  ASSERT_TRUE(clash);
  EXPECT_THAT(clash->metadata(), ElementsAre("getRandom.v1", "http://a/1.wsdl", "hello", "http://a/2.wsdl"));
}

TEST(ServiceChanges, ChangedTitleOrAddressIsReportedButNotWarned) {
  const std::vector<WsdlService> before = {{"a", "v1", std::string("t"), std::string("http://x")}};
  const std::vector<WsdlService> after = {{"a", "v1", std::string("t2"), std::string("http://x")}};
  auto c = diff_services(before, after);
  EXPECT_THAT(c.changed, ElementsAre("a.v1"));
  EXPECT_TRUE(c.empty());
  EXPECT_TRUE(change_warnings(c).empty());
}

// --- Shapes X-Road's inputs do not cover --------------------------------------------------

std::string wsdl(const std::string& bindings, const std::string& ports, const std::string& extra_ns = "") {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions targetNamespace="urn:t" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:tns="urn:t"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
    xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" )" +
         extra_ns + R"(>
  <wsdl:portType name="pt"><wsdl:operation name="op"><wsdl:documentation><xrd:title>
     Title  </xrd:title></wsdl:documentation></wsdl:operation></wsdl:portType>
)" + bindings +
         "<wsdl:service name=\"s\">" + ports + "</wsdl:service></wsdl:definitions>";
}

const std::string kSoapBinding = R"(<wsdl:binding name="b" type="tns:pt">
  <soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
  <wsdl:operation name="op"><xrd:version>v2</xrd:version></wsdl:operation>
  <wsdl:operation name="noversion"/></wsdl:binding>)";

TEST(ParseWsdl, ReadsPortsBindingsAndTitles) {
  auto r = parse_wsdl(
      wsdl(kSoapBinding, R"(<wsdl:port name="p" binding="tns:b"><soap:address location="https://svc/x"/></wsdl:port>)"),
      "http://host/a.wsdl");
  ASSERT_TRUE(r.ok()) << r.failure().detail();
  ASSERT_EQ(r->size(), 2U);
  EXPECT_EQ((*r)[0], (WsdlService{"op", "v2", "Title", "https://svc/x"}));
  EXPECT_EQ((*r)[1], (WsdlService{"noversion", std::nullopt, std::nullopt, "https://svc/x"}));
  EXPECT_EQ((*r)[1].full_code(), "noversion");
}

TEST(ParseWsdl, SkipsPortsWithoutSoapOverHttp) {
  const std::string jms =
      R"(<wsdl:binding name="j" type="tns:pt"><soap:binding transport="http://www.w3.org/2010/soapjms/"/>
    <wsdl:operation name="op"/></wsdl:binding>)";
  const std::string plain = R"(<wsdl:binding name="h" type="tns:pt"><wsdl:operation name="op"/></wsdl:binding>)";
  auto r = parse_wsdl(wsdl(jms + plain, R"(<wsdl:port name="1" binding="tns:j"/><wsdl:port name="2" binding="tns:h"/>
      <wsdl:port name="3" binding="tns:missing"/><wsdl:port name="4" binding="other:b"/>)",
                           R"(xmlns:other="urn:other")"),
                      "http://host/a.wsdl");
  ASSERT_TRUE(r.ok()) << r.failure().detail();
  EXPECT_TRUE(r->empty());
}

TEST(ParseWsdl, Soap12AndAServiceOfferedTwiceOnce) {
  const std::string b12 =
      R"(<wsdl:binding name="b" type="tns:pt"><soap12:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="op"><xrd:version>v1</xrd:version></wsdl:operation></wsdl:binding>)";
  auto r =
      parse_wsdl(wsdl(b12, R"(<wsdl:port name="1" binding="tns:b"><soap12:address location="http://one"/></wsdl:port>
      <wsdl:port name="2" binding="tns:b"><soap12:address location="http://two"/></wsdl:port>)"),
                 "http://host/a.wsdl");
  ASSERT_TRUE(r.ok()) << r.failure().detail();
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ((*r)[0].url, "http://two");  // the last port's, as X-Road's map keeps it
}

TEST(ParseWsdl, OperationWithoutNameIsInvalid) {
  const std::string b =
      R"(<wsdl:binding name="b" type="tns:pt"><soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation/></wsdl:binding>)";
  auto r = parse_wsdl(wsdl(b, R"(<wsdl:port name="p" binding="tns:b"/>)"), "http://host/a.wsdl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().code(), errc::invalid_wsdl);
}

TEST(ParseWsdl, HostileDocumentsAreInvalidWsdl) {
  // Internal entities (billion laughs) are refused with the DOCTYPE, before any expansion.
  const std::string laughs =
      R"(<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/">&b;</wsdl:definitions>)";
  // Well-formed but nested past libxml2's limit (256 without XML_PARSE_HUGE).
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += "<a>";
  for (int i = 0; i < 1000; ++i) deep += "</a>";
  const std::string many = "<wsdl:definitions xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\">" + std::string(10, 'x') +
                           [] {
                             std::string s;
                             for (int i = 0; i < 2000; ++i) s += "<x/>";
                             return s;
                           }() +
                           "</wsdl:definitions>";
  const std::string large(2000, ' ');
  WsdlLimits small;
  small.max_bytes = 1000;
  small.max_markup = 100;
  for (const auto& [name, text, limits] : std::vector<std::tuple<std::string, std::string, WsdlLimits>>{
           {"entities", laughs, {}},
           {"deep", deep, {}},
           {"many tags", many, small},
           {"oversized", large, small},
           {"empty", "", {}},
           {"utf-16", std::string("\xFF\xFE<\0a\0/\0>\0", 10), {}}}) {
    auto r = parse_wsdl(text, "http://host/a.wsdl", limits);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.failure().fault_code(), "invalid_wsdl") << name;
    EXPECT_FALSE(r.failure().detail().empty()) << name;
  }
}

}  // namespace
}  // namespace roadside::servicedesc
