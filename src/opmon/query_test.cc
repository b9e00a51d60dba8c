// getSecurityServerOperationalData: X-Road's own request files parsed, X-Road's window checks
// and messages, the access rule (a client sees its own records, the owner all), the
// service-provider filter, outputSpec, the cut, and a payload that is gzip of X-Road's JSON.
#include "opmon/query.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "base/files.h"
#include "support/test_support.h"
#include "xml/dom.h"
#include "xml/schema.h"

namespace roadside::opmon {
namespace {

std::string gunzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

std::string request(std::string_view criteria, std::string_view output_spec = "") {
  return std::string(R"(<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:om="http://x-road.eu/xsd/op-monitoring.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">
  <SOAP-ENV:Header/><SOAP-ENV:Body><om:getSecurityServerOperationalData><om:searchCriteria>)") +
         std::string(criteria) + "</om:searchCriteria>" + std::string(output_spec) +
         "</om:getSecurityServerOperationalData></SOAP-ENV:Body></SOAP-ENV:Envelope>";
}

XRoadId id(std::string_view text) {
  return XRoadId::parse(text).value();
}

OpRecord exchange(std::int64_t ts, std::string_view client, std::string_view provider) {
  OpRecord r;
  r.monitoring_data_ts = ts;
  r.security_server_internal_ip = "10.1.2.3";
  const XRoadId c = id(client), p = id(provider);
  r.client_xroad_instance = std::string(c.instance());
  r.client_member_class = std::string(c.member_class());
  r.client_member_code = std::string(c.member_code());
  if (!c.subsystem_code().empty()) r.client_subsystem_code = std::string(c.subsystem_code());
  r.service_xroad_instance = std::string(p.instance());
  r.service_member_class = std::string(p.member_class());
  r.service_member_code = std::string(p.member_code());
  if (!p.subsystem_code().empty()) r.service_subsystem_code = std::string(p.subsystem_code());
  r.service_code = "getRandom";
  r.succeeded = true;
  return r;
}

TEST(OperationalDataRequest, ReadsXRoadsOwnRequests) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto dir = vectors / "xroad/monitoring/opmon";
  for (const char* file :
       {"unit-test-requests/operationaldata.request", "ss-system-test-requests/operational-data.request"}) {
    auto text = read_file_limited(dir / file, 1 << 20);
    ASSERT_TRUE(text.ok()) << file;
    auto r = parse_operational_data_request(*text, 1 << 20);
    ASSERT_TRUE(r.ok()) << file << ": " << r.error().to_string();
    EXPECT_GT(r->records_to, 0) << file;
    EXPECT_LE(r->records_from, r->records_to) << file;
  }
  auto unit = parse_operational_data_request(
      *read_file_limited(dir / "unit-test-requests/operationaldata.request", 1 << 20), 1 << 20);
  EXPECT_EQ(unit->records_from, 1477468193);
  EXPECT_EQ(unit->records_to, 1477468205);
  EXPECT_FALSE(unit->service_provider);
  // The older system test's file is a template: its placeholders are not numbers.
  auto tmpl = parse_operational_data_request(
      *read_file_limited(dir / "systemtest-requests/operational_data.query", 1 << 20), 1 << 20);
  ASSERT_FALSE(tmpl.ok());
  EXPECT_EQ(tmpl.error().detail(), "recordsFrom is not a number: records_from_placeholder");
}

TEST(OperationalDataRequest, ReadsTheClientFilterAndOutputSpec) {
  auto r = parse_operational_data_request(
      request(
          "<om:recordsFrom>10</om:recordsFrom><om:recordsTo> 20 </om:recordsTo><om:client id:objectType=\"SUBSYSTEM\">"
          "<id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass><id:memberCode>1002</"
          "id:memberCode>"
          "<id:subsystemCode>SERVICE</id:subsystemCode></om:client>",
          "<om:outputSpec><om:outputField>serviceCode</om:outputField><om:outputField>requestSize</om:outputField>"
          "</om:outputSpec>"),
      1 << 20);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->records_to, 20);
  EXPECT_EQ(r->service_provider->to_string(), "SUBSYSTEM:DEV/COM/1002/SERVICE");
  EXPECT_EQ(r->output_fields, (std::vector<std::string>{"serviceCode", "requestSize"}));
}

TEST(OperationalDataRequest, AMissingOrMalformedCriterionIsAnInvalidRequest) {
  for (const auto& bad : {request("<om:recordsFrom>10</om:recordsFrom>"),
                          request("<om:recordsFrom>ten</om:recordsFrom><om:recordsTo>20</om:recordsTo>"),
                          request("<om:recordsFrom>1e3</om:recordsFrom><om:recordsTo>20</om:recordsTo>"),
                          std::string("<not-soap/>"), std::string("<?xml version=\"1.0\"?><!DOCTYPE x []><x/>")}) {
    auto r = parse_operational_data_request(bad, 1 << 20);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), make_error_code(errc::invalid_request)) << bad;
  }
}

class AnswerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = storage::open_sqlite({dir_ / "roadside.db"});
    ASSERT_TRUE(c.ok());
    storage::Store s(std::move(c).value());
    ASSERT_TRUE(s.migrate().ok());
    store_ = std::make_unique<OpStore>(storage::open_sqlite({dir_ / "roadside.db"}).value());
    ASSERT_TRUE(store_
                    ->append({exchange(1000, "SUBSYSTEM:DEV/COM/1001/CLIENT", "SUBSYSTEM:DEV/COM/1002/SERVICE"),
                              exchange(1001, "SUBSYSTEM:DEV/COM/1003/OTHER", "SUBSYSTEM:DEV/COM/1002/SERVICE"),
                              exchange(1002, "SUBSYSTEM:DEV/COM/1003/OTHER", "SUBSYSTEM:DEV/COM/1001/CLIENT"),
                              exchange(1003, "SUBSYSTEM:DEV/COM/1003/OTHER", "SUBSYSTEM:DEV/COM/1004/ELSE")})
                    .ok());
  }
  OperationalDataQuery as(std::string_view requester, bool privileged) {
    OperationalDataQuery q;
    q.requester = id(requester);
    q.privileged = privileged;
    q.now_s = 5000;
    return q;
  }
  static nlohmann::json records(const OperationalDataResponse& r) {
    return nlohmann::json::parse(gunzip(r.payload))["records"];
  }

  testing::TempDir dir_;
  std::unique_ptr<OpStore> store_;
};

TEST_F(AnswerTest, APlainClientSeesOnlyRecordsItIsPartyToWithoutTheInternalAddress) {
  OperationalDataRequest req{0, 2000, std::nullopt, {}};
  auto r = answer_operational_data(*store_, req, as("SUBSYSTEM:DEV/COM/1001/CLIENT", false));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->records_count, 2u);  // 1000 as client, 1002 as provider
  const auto json = records(*r);
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["monitoringDataTs"], 1000);
  EXPECT_EQ(json[1]["monitoringDataTs"], 1002);
  EXPECT_FALSE(json[0].contains("securityServerInternalIp"));
  EXPECT_NE(r->body_xml.find("<om:recordsCount>2</om:recordsCount>"), std::string::npos);
  EXPECT_NE(r->body_xml.find("<om:records>cid:operational-monitoring-data.json.gz</om:records>"), std::string::npos);
  EXPECT_EQ(r->body_xml.find("nextRecordsFrom"), std::string::npos);
}

TEST_F(AnswerTest, TheOwnerSeesEverythingAndCanNarrowToAProvider) {
  OperationalDataRequest req{0, 2000, std::nullopt, {}};
  auto all = answer_operational_data(*store_, req, as("MEMBER:DEV/COM/1002", true));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->records_count, 4u);
  EXPECT_EQ(records(*all)[0]["securityServerInternalIp"], "10.1.2.3");
  req.service_provider = id("SUBSYSTEM:DEV/COM/1002/SERVICE");
  req.output_fields = {"serviceCode"};
  auto narrowed = answer_operational_data(*store_, req, as("MEMBER:DEV/COM/1002", true));
  ASSERT_TRUE(narrowed.ok());
  EXPECT_EQ(narrowed->records_count, 2u);
  EXPECT_EQ(records(*narrowed)[1], (nlohmann::json{{"serviceCode", "getRandom"}}));
}

TEST_F(AnswerTest, APlainClientReadsLessOfTheStoreThanTheOwner) {
  ASSERT_TRUE(
      store_->append({exchange(1010, "SUBSYSTEM:DEV/COM/1001/CLIENT", "SUBSYSTEM:DEV/COM/1002/SERVICE")}).ok());
  const OperationalDataRequest req{0, 2000, std::nullopt, {}};
  auto plain_query = as("SUBSYSTEM:DEV/COM/1001/CLIENT", false);
  plain_query.max_scanned_records_plain = 4;  // the first row's
  auto plain = answer_operational_data(*store_, req, plain_query);
  ASSERT_TRUE(plain.ok()) << plain.error().to_string();
  EXPECT_EQ(plain->records_count, 2u);
  EXPECT_EQ(plain->next_records_from, 1010);
  auto owner_query = as("MEMBER:DEV/COM/1002", true);
  owner_query.max_scanned_records_plain = 4;
  auto owner = answer_operational_data(*store_, req, owner_query);
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(owner->records_count, 5u);
  EXPECT_FALSE(owner->next_records_from);
}

TEST_F(AnswerTest, ACutAndAWindowReachingNowSayWhereToGoOn) {
  OperationalDataQuery q = as("MEMBER:DEV/COM/1002", true);
  q.max_records = 2;
  auto cut = answer_operational_data(*store_, {0, 2000, std::nullopt, {}}, q);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->records_count, 2u);
  EXPECT_NE(cut->body_xml.find("<om:nextRecordsFrom>1002</om:nextRecordsFrom>"), std::string::npos) << cut->body_xml;
  q.max_records = 100;
  q.now_s = 1062;  // records are available before 1002 (the offset is 60 s)
  auto recent = answer_operational_data(*store_, {1000, 5000, std::nullopt, {}}, q);
  ASSERT_TRUE(recent.ok());
  EXPECT_EQ(recent->records_count, 2u);
  EXPECT_EQ(recent->next_records_from, 1002);
}

TEST_F(AnswerTest, TheBodyIsValidAgainstXRoadsSchema) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  auto schema = xml::Schema::load(vectors / "xroad/monitoring/opmon/schemas/op-monitoring.xsd");
  ASSERT_TRUE(schema.ok()) << schema.error().to_string();
  OperationalDataQuery q = as("MEMBER:DEV/COM/1002", true);
  q.max_records = 1;
  for (std::int64_t to : {999, 2000}) {  // no record, and a cut with nextRecordsFrom
    auto r = answer_operational_data(*store_, {0, to, std::nullopt, {}}, q);
    ASSERT_TRUE(r.ok());
    auto doc = xml::Document::parse(r->body_xml);
    ASSERT_TRUE(doc.ok()) << r->body_xml;
    auto valid = schema->validate(doc->root());
    EXPECT_TRUE(valid.ok()) << valid.error().to_string() << "\n" << r->body_xml;
  }
}

TEST_F(AnswerTest, XRoadsWindowChecks) {
  const auto q = as("MEMBER:DEV/COM/1002", true);
  const std::pair<OperationalDataRequest, std::string> cases[] = {
      {{-1, 10, std::nullopt, {}}, "Records from timestamp is a negative number"},
      {{0, -1, std::nullopt, {}}, "Records to timestamp is a negative number"},
      {{20, 10, std::nullopt, {}}, "Records to timestamp is earlier than records from timestamp"},
      {{4940, 4950, std::nullopt, {}}, "Records not available from 4940 yet"},
      {{0, 10, std::nullopt, {"monitoringDataTs", "noSuchField"}},
       "Unknown output field in search criteria: noSuchField"},
  };
  for (const auto& [req, message] : cases) {
    auto r = answer_operational_data(*store_, req, q);
    ASSERT_FALSE(r.ok()) << message;
    EXPECT_EQ(r.error().code(), make_error_code(errc::invalid_request));
    EXPECT_EQ(r.error().detail(), message);
  }
}

}  // namespace
}  // namespace roadside::opmon
