// Operational data records: X-Road's field names (checked against X-Road's own JSON schema of
// the response payload), the JSON they are stored and answered as, and outputSpec's rules.
#include "opmon/record.h"

#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "base/utf8.h"
#include "support/test_support.h"

namespace roadside::opmon {
namespace {

OpRecord sample() {
  OpRecord r;
  r.monitoring_data_ts = 1'700'000'123;
  r.security_server_internal_ip = "10.0.0.7";
  r.security_server_type = "Client";
  r.request_in_ts = 1'700'000'123'001;
  r.response_out_ts = 1'700'000'123'045;
  r.client_xroad_instance = "DEV";
  r.client_member_class = "COM";
  r.client_member_code = "1001";
  r.client_subsystem_code = "CLIENT";
  r.service_code = "getRandom";
  r.request_size = 1629;
  r.request_attachment_count = 0;
  r.succeeded = true;
  r.x_request_id = "fd83f20e-bc19-4eb4-9602-e37f94c09fbe";
  r.status_code = 200;
  return r;
}

TEST(OpRecord, RoundTripsThroughItsJson) {
  const OpRecord r = sample();
  const auto json = to_json(r);
  EXPECT_EQ(json["monitoringDataTs"], 1'700'000'123);
  EXPECT_EQ(json["clientMemberCode"], "1001");
  EXPECT_EQ(json["succeeded"], true);
  EXPECT_EQ(json["xRequestId"], "fd83f20e-bc19-4eb4-9602-e37f94c09fbe");
  EXPECT_FALSE(json.contains("serviceMemberCode"));  // unknown fields are left out, not null
  auto back = from_json(json);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, r);
}

TEST(OpRecord, AStoredObjectWithAnUnknownFieldOrTypeIsRefused) {
  auto unknown = from_json(nlohmann::json{{"monitoringDataTs", 1}, {"password", "x"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), make_error_code(errc::malformed_record));
  EXPECT_FALSE(from_json(nlohmann::json{{"requestSize", "12"}}).ok());
  EXPECT_FALSE(from_json(nlohmann::json{{"succeeded", 1}}).ok());
  EXPECT_FALSE(from_json(nlohmann::json::array()).ok());
}

TEST(OpRecord, EveryFieldIsOneOfXRoadsPayloadSchema) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  std::ifstream in(vectors / "xroad/monitoring/opmon/schemas/query_operational_data_response_payload_schema.yaml");
  ASSERT_TRUE(in) << "the payload schema is missing";
  // The record's properties are the keys indented by eight spaces under items.properties.
  std::set<std::string> schema;
  for (std::string line; std::getline(in, line);) {
    if (line.size() > 9 && line.starts_with("        ") && line[8] != ' ' && line.back() == ':')
      schema.insert(line.substr(8, line.size() - 9));
  }
  ASSERT_GT(schema.size(), 30u);
  std::set<std::string> ours(field_names().begin(), field_names().end());
  // xRequestId is the one beyond the schema (which allows more): X-Road's records carry it and
  // PR-OPMON's example response shows it.
  for (const auto& f : ours) EXPECT_TRUE(schema.count(f) || f == "xRequestId") << f << " is not in X-Road's schema";
  for (const auto& f : schema) EXPECT_TRUE(ours.count(f)) << f << " of X-Road's schema is missing";
}

TEST(OutputSpec, EmptyMeansEveryFieldAndTheInternalAddressOnlyForTheOwner) {
  auto all = OutputSpec::of({}, true);
  ASSERT_TRUE(all.ok());
  for (auto f : field_names()) EXPECT_TRUE(all->includes(f)) << f;
  auto plain = OutputSpec::of({}, false);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->includes("securityServerInternalIp"));
  EXPECT_TRUE(plain->includes("serviceCode"));
  EXPECT_FALSE(to_json(sample(), &*plain).contains("securityServerInternalIp"));
}

TEST(OutputSpec, NarrowsTheRecordToWhatItNames) {
  auto spec = OutputSpec::of({"serviceCode", "securityServerInternalIp"}, false);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(to_json(sample(), &*spec), (nlohmann::json{{"serviceCode", "getRandom"}}));
  auto with_time = OutputSpec::of({"serviceCode", "monitoringDataTs"}, false);
  ASSERT_TRUE(with_time.ok());
  EXPECT_EQ(to_json(sample(), &*with_time),
            (nlohmann::json{{"monitoringDataTs", 1'700'000'123}, {"serviceCode", "getRandom"}}));
}

TEST(OpRecord, BoundCutsTextToXRoadsLimits) {
  OpRecord r = sample();
  r.message_id = std::string(100'000, 'i');
  r.fault_string = std::string(100'000, 'f');
  bound(r);
  EXPECT_EQ(r.message_id->size(), 255u);
  EXPECT_EQ(r.fault_string->size(), 2048u);
  EXPECT_EQ(r.service_code, "getRandom");
}

TEST(OpRecord, BoundCutsBeforeACharacterNotInsideIt) {
  OpRecord r = sample();
  r.message_id = std::string(254, 'i') + "\xe2\x82\xac" + "tail";  // the euro sign spans bytes 255-257
  bound(r);
  EXPECT_EQ(*r.message_id, std::string(254, 'i'));
  EXPECT_TRUE(is_utf8(*r.message_id));
  r.message_id = std::string(300, '\x80');  // not UTF-8: cut at the bound, not erased
  bound(r);
  EXPECT_EQ(r.message_id->size(), 255u);
}

TEST(OutputSpec, AnUnknownFieldIsAnInvalidRequest) {
  auto spec = OutputSpec::of({"serviceCode", "bodyText"}, true);
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().code(), make_error_code(errc::invalid_request));
  EXPECT_NE(spec.error().detail().find("bodyText"), std::string::npos);
  EXPECT_EQ(spec.error().fault_code(), "invalid_request");
}

}  // namespace
}  // namespace roadside::opmon
