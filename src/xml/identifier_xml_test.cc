#include "xml/identifier_xml.h"

#include <gtest/gtest.h>

#include "base/errors.h"

namespace roadside::xml {
namespace {

constexpr const char* kNs = R"(xmlns:id="http://x-road.eu/xsd/identifiers")";

std::string wrap(const std::string& type, const std::string& children) {
  return std::string("<id:identifier ") + kNs + " id:objectType=\"" + type + "\">" + children + "</id:identifier>";
}

TEST(IdentifierXml, EveryTypeRoundTrips) {
  for (const char* text : {"MEMBER:DEV/COM/1234", "SUBSYSTEM:DEV/COM/1234/SUB", "SERVER:DEV/COM/1234/ss1",
                           "GLOBALGROUP:DEV/owners", "LOCALGROUP:admins", "SERVICE:DEV/COM/4321/SUB/getState/v1",
                           "SERVICE:DEV/COM/4321/getState", "SERVICE:DEV/COM/4321//getState/v1",
                           "MEMBER:DEV/COM/a'()+,-.=?b"}) {
    auto id = XRoadId::parse(text);
    ASSERT_TRUE(id.ok()) << text;
    const std::string xml = identifier_to_xml(*id);
    auto back = identifier_from_xml(xml);
    ASSERT_TRUE(back.ok()) << xml << ": " << back.error().to_string();
    EXPECT_EQ(*back, *id) << xml;
  }
}

TEST(IdentifierXml, WritesTheSchemaShape) {
  auto id = XRoadId::parse("SERVICE:DEV/COM/4321/SUB/getState/v1");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(identifier_to_xml(*id, {"xrd", "service", kXRoadNs}),
            "<xrd:service xmlns:id=\"http://x-road.eu/xsd/identifiers\" xmlns:xrd=\"http://x-road.eu/xsd/xroad.xsd\" "
            "id:objectType=\"SERVICE\"><id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass>"
            "<id:memberCode>4321</id:memberCode><id:subsystemCode>SUB</id:subsystemCode>"
            "<id:serviceCode>getState</id:serviceCode><id:serviceVersion>v1</id:serviceVersion></xrd:service>");
}

TEST(IdentifierXml, ReadsHeaderElementsAsInformationSystemsSendThem) {
  // As in an X-Road SOAP header: other prefixes, indentation, the element in another namespace.
  const std::string xml = R"(<xroad:client xmlns:xroad="http://x-road.eu/xsd/xroad.xsd"
        xmlns:ident="http://x-road.eu/xsd/identifiers" ident:objectType="SUBSYSTEM">
            <ident:xRoadInstance>EE</ident:xRoadInstance>
            <ident:memberClass>BUSINESS</ident:memberClass>
            <!-- a comment -->
            <ident:memberCode>consumer</ident:memberCode>
            <ident:subsystemCode>sub</ident:subsystemCode>
        </xroad:client>)";
  auto id = identifier_from_xml(xml);
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  EXPECT_EQ(id->to_string(), "SUBSYSTEM:EE/BUSINESS/consumer/sub");
}

TEST(IdentifierXml, Rejections) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"<a/>", "no id:objectType"},
      {"<a objectType=\"MEMBER\"/>", "no id:objectType"},  // attribute must be namespaced
      {wrap("PERSON", ""), "unknown id:objectType"},
      {wrap("MEMBER", "<id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass>"),
       "missing memberCode"},
      {wrap("MEMBER", "<id:memberClass>COM</id:memberClass><id:xRoadInstance>DEV</id:xRoadInstance>"
                      "<id:memberCode>1</id:memberCode>"),
       "out of order"},
      {wrap("MEMBER", "<id:xRoadInstance>DEV</id:xRoadInstance><id:xRoadInstance>DEV</id:xRoadInstance>"),
       "out of order or repeated"},
      {wrap("MEMBER", "<id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass>"
                      "<id:memberCode>1 2</id:memberCode>"),
       "' '"},
      {wrap("MEMBER", "<id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass>"
                      "<id:memberCode/>"),
       "empty memberCode"},
      {wrap("SUBSYSTEM", "<id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass>"
                         "<id:memberCode>1</id:memberCode>"),
       "missing subsystemCode"},
      {wrap("MEMBER", "<id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass>"
                      "<id:memberCode>1</id:memberCode><id:serverCode>s</id:serverCode>"),
       "must not have serverCode"},
      {wrap("MEMBER", "<id:xRoadInstance>DEV</id:xRoadInstance><memberClass>COM</memberClass>"),
       "not in the identifiers namespace"},
      {wrap("MEMBER", "<id:xRoadInstance>DEV</id:xRoadInstance><id:memberKlass>COM</id:memberKlass>"),
       "unknown identifier element"},
      {wrap("MEMBER", "stray<id:xRoadInstance>DEV</id:xRoadInstance>"), "unexpected text"},
      {wrap("MEMBER", "<id:xRoadInstance><b>DEV</b></id:xRoadInstance>"), "text only"},
      {"<id:identifier", "not well-formed"},
      {"", "not well-formed"},
      {std::string(kMaxIdentifierXml + 1, ' '), "larger than"},
  };
  for (const auto& [xml, expect] : cases) {
    auto id = identifier_from_xml(xml);
    ASSERT_FALSE(id.ok()) << xml;
    EXPECT_EQ(id.error().code(), base::errc::invalid_identifier);
    EXPECT_NE(id.error().detail().find(expect), std::string::npos) << xml << "\n-> " << id.error().detail();
  }
}

TEST(IdentifierXml, DoesNotExpandExternalEntities) {
  const std::string xxe = R"(<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>)" +
                          wrap("LOCALGROUP", "<id:groupCode>&e;</id:groupCode>");
  auto id = identifier_from_xml(xxe);
  ASSERT_FALSE(id.ok());
}

}  // namespace
}  // namespace roadside::xml
