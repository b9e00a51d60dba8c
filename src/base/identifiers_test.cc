#include "base/identifiers.h"

#include <gtest/gtest.h>

#include "base/errors.h"

namespace roadside {
namespace {

struct TextCase {
  const char* text;
  ObjectType type;
};

std::ostream& operator<<(std::ostream& os, const TextCase& c) { return os << c.text; }

class TextRoundTrip : public ::testing::TestWithParam<TextCase> {};

TEST_P(TextRoundTrip, ParsesAndFormatsBack) {
  auto id = XRoadId::parse(GetParam().text);
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  EXPECT_EQ(id->type(), GetParam().type);
  EXPECT_EQ(id->to_string(), GetParam().text);
  auto again = XRoadId::parse(id->to_string());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *id);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, TextRoundTrip,
                         ::testing::Values(TextCase{"MEMBER:DEV/COM/1234", ObjectType::member},
                                           TextCase{"SUBSYSTEM:DEV/COM/1234/SUB", ObjectType::subsystem},
                                           TextCase{"SERVER:DEV/COM/1234/ss1", ObjectType::server},
                                           TextCase{"GLOBALGROUP:DEV/security-server-owners", ObjectType::global_group},
                                           TextCase{"LOCALGROUP:admins", ObjectType::local_group},
                                           TextCase{"SERVICE:DEV/COM/4321/SUB/weather", ObjectType::service},
                                           TextCase{"SERVICE:DEV/COM/4321/SUB/getState/v1", ObjectType::service},
                                           TextCase{"SERVICE:DEV/COM/4321/getState", ObjectType::service},
                                           TextCase{"SERVICE:DEV/COM/4321//getState/v1", ObjectType::service},
                                           TextCase{"MEMBER:EE/GOV/70000310'()+,-.=?", ObjectType::member}));

TEST(Identifiers, PartsLandInTheRightFields) {
  auto svc = XRoadId::parse("SERVICE:DEV/COM/4321/SUB/getState/v1");
  ASSERT_TRUE(svc.ok());
  EXPECT_EQ(svc->instance(), "DEV");
  EXPECT_EQ(svc->member_class(), "COM");
  EXPECT_EQ(svc->member_code(), "4321");
  EXPECT_EQ(svc->subsystem_code(), "SUB");
  EXPECT_EQ(svc->service_code(), "getState");
  EXPECT_EQ(svc->service_version(), "v1");
  EXPECT_EQ(svc->service_provider().to_string(), "SUBSYSTEM:DEV/COM/4321/SUB");
  EXPECT_EQ(svc->owner_member().to_string(), "MEMBER:DEV/COM/4321");

  auto member_level = XRoadId::parse("SERVICE:DEV/COM/4321//getState/v1");
  ASSERT_TRUE(member_level.ok());
  EXPECT_FALSE(member_level->parts().subsystem_code.has_value());
  EXPECT_EQ(member_level->service_code(), "getState");
  EXPECT_EQ(member_level->service_version(), "v1");
  EXPECT_EQ(member_level->service_provider().type(), ObjectType::member);

  auto server = XRoadId::parse("SERVER:DEV/COM/1234/ss1");
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(server->server_code(), "ss1");
  EXPECT_EQ(server->owner_member().to_string(), "MEMBER:DEV/COM/1234");

  auto gg = XRoadId::parse("GLOBALGROUP:DEV/owners");
  ASSERT_TRUE(gg.ok());
  EXPECT_EQ(gg->group_code(), "owners");
  EXPECT_EQ(gg->instance(), "DEV");
}

TEST(Identifiers, FactoriesMatchParse) {
  EXPECT_EQ(*XRoadId::member("DEV", "COM", "1234"), *XRoadId::parse("MEMBER:DEV/COM/1234"));
  EXPECT_EQ(*XRoadId::subsystem("DEV", "COM", "1234", "SUB"), *XRoadId::parse("SUBSYSTEM:DEV/COM/1234/SUB"));
  EXPECT_EQ(*XRoadId::server("DEV", "COM", "1234", "ss1"), *XRoadId::parse("SERVER:DEV/COM/1234/ss1"));
  EXPECT_EQ(*XRoadId::global_group("DEV", "g"), *XRoadId::parse("GLOBALGROUP:DEV/g"));
  EXPECT_EQ(*XRoadId::local_group("g"), *XRoadId::parse("LOCALGROUP:g"));
  EXPECT_EQ(*XRoadId::service("DEV", "COM", "1234", "SUB", "s", "v1"), *XRoadId::parse("SERVICE:DEV/COM/1234/SUB/s/v1"));
  EXPECT_EQ(*XRoadId::service("DEV", "COM", "1234", "", "s"), *XRoadId::parse("SERVICE:DEV/COM/1234/s"));
}

TEST(Identifiers, DistinguishesTypesWithSameParts) {
  auto sub = XRoadId::parse("SUBSYSTEM:DEV/COM/1234/X");
  auto srv = XRoadId::parse("SERVER:DEV/COM/1234/X");
  ASSERT_TRUE(sub.ok() && srv.ok());
  EXPECT_NE(*sub, *srv);
  EXPECT_TRUE(sub->is_client());
  EXPECT_FALSE(srv->is_client());
}

struct BadCase {
  const char* text;
  const char* expect_in_message;
};
std::ostream& operator<<(std::ostream& os, const BadCase& c) { return os << c.text; }

class TextRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(TextRejects, WithAClearMessage) {
  auto id = XRoadId::parse(GetParam().text);
  ASSERT_FALSE(id.ok()) << GetParam().text << " parsed as " << id->to_string();
  EXPECT_EQ(id.error().code(), base::errc::invalid_identifier);
  EXPECT_EQ(id.error().fault_code(), "bad_request");
  EXPECT_NE(id.error().detail().find(GetParam().expect_in_message), std::string::npos) << id.error().detail();
}

INSTANTIATE_TEST_SUITE_P(
    Rejections, TextRejects,
    ::testing::Values(
        // bad characters
        BadCase{"MEMBER:DEV/COM/12 34", "' '"}, BadCase{"MEMBER:DEV/COM/12_34", "'_'"},
        BadCase{"SUBSYSTEM:DEV/COM/1234/S;B", "';'"}, BadCase{"MEMBER:DEV/COM/12%34", "'%'"},
        BadCase{"MEMBER:DEV/CO\\M/1234", "'\\'"}, BadCase{"SERVICE:DEV/COM/1234/SUB/s\xc3\xa4", "byte 0xc3"},
        BadCase{"LOCALGROUP:a:b", "':'"}, BadCase{"MEMBER:DEV/COM/12\t34", "byte 0x09"},
        // missing or empty parts
        BadCase{"MEMBER:DEV/COM", "needs 3 parts"}, BadCase{"MEMBER:DEV/COM/", "empty memberCode"},
        BadCase{"SUBSYSTEM:DEV/COM/1234", "needs 4 parts"}, BadCase{"SERVER:DEV/COM/1234", "needs 4 parts"},
        BadCase{"GLOBALGROUP:DEV", "needs 2 parts"}, BadCase{"LOCALGROUP:", "empty groupCode"},
        BadCase{"SERVICE:DEV/COM/1234", "4 to 6 parts"}, BadCase{"MEMBER:/COM/1234", "empty xRoadInstance"},
        BadCase{"SERVICE:DEV/COM/1234/SUB/", "empty serviceCode"},
        // too many parts
        BadCase{"MEMBER:DEV/COM/1234/SUB", "needs 3 parts"}, BadCase{"SERVICE:DEV/COM/1/2/3/4/5", "4 to 6 parts"},
        // wrong or missing object type
        BadCase{"CLIENT:DEV/COM/1234", "unknown object type"}, BadCase{"member:DEV/COM/1234", "unknown object type"},
        BadCase{"DEV/COM/1234", "no object type"}, BadCase{"", "no object type"}));

TEST(Identifiers, RejectsOverlongParts) {
  auto id = XRoadId::member("DEV", "COM", std::string(256, 'a'));
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().detail().find("longer than 255"), std::string::npos);
  EXPECT_TRUE(XRoadId::member("DEV", "COM", std::string(255, 'a')).ok());
}

TEST(Identifiers, CreateRejectsPartsTheTypeForbids) {
  XRoadId::Parts p;
  p.instance = "DEV", p.member_class = "COM", p.member_code = "1", p.server_code = "ss";
  auto id = XRoadId::create(ObjectType::member, p);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().detail().find("must not have serverCode"), std::string::npos);
  EXPECT_TRUE(XRoadId::create(ObjectType::server, p).ok());
}

// ---- REST forms --------------------------------------------------------------------

TEST(RestIdentifiers, ClientHeaderMemberAndSubsystem) {
  auto m = parse_rest_client("DEV/COM/1234");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->to_string(), "MEMBER:DEV/COM/1234");
  auto s = parse_rest_client("DEV/COM/1234/CLI");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->to_string(), "SUBSYSTEM:DEV/COM/1234/CLI");
  EXPECT_EQ(*to_rest_path(*s), "DEV/COM/1234/CLI");
}

TEST(RestIdentifiers, PercentEncodingRoundTrips) {
  auto id = XRoadId::subsystem("DEV", "COM", "12'()+,-.=?34", "S.B");
  ASSERT_TRUE(id.ok());
  auto rest = to_rest_path(*id);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, "DEV/COM/12%27%28%29%2B%2C-.%3D%3F34/S.B");
  auto back = parse_rest_client(*rest);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, *id);
  // Decoding accepts lower-case escapes and keeps "+" literal.
  auto plus = parse_rest_client("DEV/COM/a+b%2b%3d");
  ASSERT_TRUE(plus.ok());
  EXPECT_EQ(plus->member_code(), "a+b+=");
}

TEST(RestIdentifiers, EveryTypeHasARestPath) {
  for (const char* text : {"MEMBER:DEV/COM/1234", "SUBSYSTEM:DEV/COM/1234/SUB", "SERVER:DEV/COM/1234/ss1",
                           "GLOBALGROUP:DEV/grp", "LOCALGROUP:grp", "SERVICE:DEV/COM/1234/SUB/svc"}) {
    auto id = XRoadId::parse(text);
    ASSERT_TRUE(id.ok()) << text;
    auto rest = to_rest_path(*id);
    ASSERT_TRUE(rest.ok()) << text;
    auto back = parse_rest_path(id->type(), *rest);
    ASSERT_TRUE(back.ok()) << text << ": " << back.error().to_string();
    EXPECT_EQ(*back, *id) << text;
  }
}

TEST(RestIdentifiers, ClientHeaderRejections) {
  EXPECT_FALSE(parse_rest_client("DEV/COM").ok());
  EXPECT_FALSE(parse_rest_client("DEV/COM/1234/SUB/extra").ok());
  EXPECT_FALSE(parse_rest_client("DEV/COM//SUB").ok());
  EXPECT_FALSE(parse_rest_client("DEV/COM/12%2F34").ok());  // an encoded "/" is not an allowed character
  EXPECT_FALSE(parse_rest_client("DEV/COM/12%2").ok());      // truncated escape
  EXPECT_FALSE(parse_rest_client("DEV/COM/12%zz").ok());     // non-hex escape
  EXPECT_FALSE(parse_rest_client("DEV/COM/12%20").ok());     // space
  auto e = parse_rest_client("DEV/COM/a_b");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().detail().find("X-Road-Client"), std::string::npos);
}

TEST(RestIdentifiers, RequestTargetWithPathAndQuery) {
  auto t = parse_rest_target("/r1/DEV/COM/4321/SUB/weather/today/hourly?city=Tartu&units=metric");
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ(t->service.to_string(), "SERVICE:DEV/COM/4321/SUB/weather");
  EXPECT_EQ(t->path, "/today/hourly");
  EXPECT_EQ(t->query, "city=Tartu&units=metric");
  EXPECT_EQ(*format_rest_target(t->service, t->path, t->query), "/r1/DEV/COM/4321/SUB/weather/today/hourly?city=Tartu&units=metric");

  auto bare = parse_rest_target("/r1/DEV/COM/4321/SUB/weather");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->path, "");
  EXPECT_EQ(bare->query, "");
  auto q = parse_rest_target("/r1/DEV/COM/4321/SUB/weather?x=1");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->service.service_code(), "weather");
  EXPECT_EQ(q->query, "x=1");
  auto enc = parse_rest_target("/r1/DEV/COM/43%3D21/SUB/we%2Bather/a%2Fb");
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->service.member_code(), "43=21");
  EXPECT_EQ(enc->service.service_code(), "we+ather");
  EXPECT_EQ(enc->path, "/a%2Fb");  // the service's own path stays encoded
}

TEST(RestIdentifiers, RequestTargetRejections) {
  EXPECT_FALSE(parse_rest_target("/r2/DEV/COM/4321/SUB/weather").ok());
  EXPECT_FALSE(parse_rest_target("/r1/DEV/COM/4321/weather").ok());  // subsystem is required
  EXPECT_FALSE(parse_rest_target("/r1/DEV/COM/4321/SUB/").ok());
  EXPECT_FALSE(parse_rest_target("/r1/DEV/COM/4 321/SUB/s").ok());
  EXPECT_FALSE(parse_rest_target("r1/DEV/COM/4321/SUB/s").ok());
}

TEST(RestIdentifiers, ServicesWithoutARestForm) {
  auto member_level = XRoadId::parse("SERVICE:DEV/COM/4321/getState");
  auto versioned = XRoadId::parse("SERVICE:DEV/COM/4321/SUB/getState/v1");
  ASSERT_TRUE(member_level.ok() && versioned.ok());
  EXPECT_FALSE(to_rest_path(*member_level).ok());
  EXPECT_FALSE(to_rest_path(*versioned).ok());
  EXPECT_FALSE(format_rest_target(*XRoadId::parse("MEMBER:DEV/COM/1")).ok());
}

TEST(ObjectTypes, NamesRoundTrip) {
  for (auto t : {ObjectType::member, ObjectType::subsystem, ObjectType::server, ObjectType::global_group,
                 ObjectType::local_group, ObjectType::service}) {
    EXPECT_EQ(parse_object_type(to_string(t)), t);
  }
  EXPECT_FALSE(parse_object_type("Member").has_value());
}

}  // namespace
}  // namespace roadside
