#include "opmon/access_log.h"

#include <algorithm>
#include <iostream>
#include <sstream>

#include <gtest/gtest.h>

namespace roadside::opmon {
namespace {

OpRecord exchange() {
  OpRecord r;
  r.security_server_type = "Client";
  r.client_xroad_instance = "DEV";
  r.client_member_class = "COM";
  r.client_member_code = "1001";
  r.client_subsystem_code = "CLIENT";
  r.service_xroad_instance = "DEV";
  r.service_member_class = "COM";
  r.service_member_code = "1002";
  r.service_subsystem_code = "SERVICE";
  r.service_code = "getRandom";
  r.service_version = "v1";
  r.message_id = "id-1";
  r.message_user_id = "EE12345678901";
  r.message_issue = "issue 42";
  r.x_request_id = "req-1";
  r.request_in_ts = 1'000;
  r.request_out_ts = 1'004;
  r.response_in_ts = 1'010;
  r.response_out_ts = 1'012;
  r.request_size = 925;
  r.response_size = 1'022;
  r.service_security_server_address = "127.0.0.3";
  r.succeeded = true;
  return r;
}

// What log_access(r) writes.
std::string logged(const OpRecord& r) {
  std::ostringstream out;
  log::redirect_for_testing(out);
  log_access(r);
  log::flush();
  log::redirect_for_testing(std::cout);
  return out.str();
}

TEST(AccessLog, OneLineNamesTheExchangeItsSizesAndTimes) {
  const auto f = nlohmann::json::parse("{" + access_log_fields(exchange()).text() + "}");
  EXPECT_EQ(f["proxy"], "client");
  EXPECT_EQ(f["id"], "id-1");
  EXPECT_EQ(f["request_id"], "req-1");
  EXPECT_EQ(f["client"], "SUBSYSTEM:DEV/COM/1001/CLIENT");
  EXPECT_EQ(f["service"], "SERVICE:DEV/COM/1002/SERVICE/getRandom/v1");
  EXPECT_EQ(f["status"], "ok");
  EXPECT_EQ(f["request_bytes"], 925);
  EXPECT_EQ(f["response_bytes"], 1022);
  EXPECT_EQ(f["duration_ms"], 12);
  EXPECT_EQ(f["service_ms"], 6);
  EXPECT_EQ(f["peer"], "127.0.0.3");
  EXPECT_FALSE(f.contains("fault_code"));
}

TEST(AccessLog, NeverTheUserIdTheIssueOrAFaultsText) {
  OpRecord r = exchange();
  r.security_server_type = "Producer";
  r.client_security_server_address = "127.0.0.2";
  r.succeeded = false;
  r.fault_code = "server.serverproxy.service_failed";
  r.fault_string = "the service said: secret body text";
  r.rest_method = "POST";
  r.rest_path = "/echo";
  r.status_code = 500;
  const std::string line = logged(r);
  EXPECT_NE(line.find("\"log\":\"access\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"proxy\":\"server\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"status\":\"fault\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"fault_code\":\"server.serverproxy.service_failed\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"rest\":\"POST /echo\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"peer\":\"127.0.0.2\""), std::string::npos) << line;
  EXPECT_EQ(line.find("EE12345678901"), std::string::npos) << line;
  EXPECT_EQ(line.find("issue 42"), std::string::npos) << line;
  EXPECT_EQ(line.find("secret body text"), std::string::npos) << line;
}

TEST(AccessLog, AHostileIdStillMakesOneJsonLine) {
  OpRecord r = exchange();
  r.message_id = std::string("\"},\n{\"injected\":1 \xff\x01", 20);
  const std::string text = logged(r);
  ASSERT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  const auto line = nlohmann::json::parse(text);
  EXPECT_EQ(line["log"], "access");
  EXPECT_EQ(line["msg"], "message");
  EXPECT_FALSE(line.contains("injected"));
  EXPECT_EQ(line["id"], "\"},\n{\"injected\":1 \xef\xbf\xbd\x01");
  EXPECT_EQ(line["peer"], "127.0.0.3");
}

}  // namespace
}  // namespace roadside::opmon
