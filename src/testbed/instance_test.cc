// testbed init: the ports it hands out.
#include "testbed/instance.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace roadside::testbed {
namespace {

using nlohmann::json;

// Every port of `value`: numbers under a key naming a port, and the port of each "host:port".
void ports_of(const json& value, const std::string& key, std::vector<std::pair<std::string, int>>& out) {
  if (value.is_object()) {
    for (const auto& [k, v] : value.items()) ports_of(v, key == "ports" ? "ports." + k : k, out);
  } else if (value.is_array()) {
    for (const auto& v : value) ports_of(v, key, out);
  } else if (value.is_number_integer() && key.find("port") != std::string::npos) {
    out.emplace_back(key, value.get<int>());
  } else if (value.is_string() && key.rfind("client_", 0) == 0) {
    const auto text = value.get<std::string>();
    out.emplace_back(key, std::stoi(text.substr(text.rfind(':') + 1)));
  }
}

// A server restarted on its port must find it free: none is in the kernel's ephemeral range
// (32768 and up), where an outgoing connection may hold it meanwhile.
TEST(TestbedInit, HandsOutNoPortFromTheEphemeralRange) {
  roadside::testing::TempDir dir;
  InitOptions o;
  o.dir = dir / "tb";
  o.servers = 3;
  o.ecdsa = true;
  o.pin = "Secret-1234";
  auto made = init_instance(o);
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  std::vector<std::pair<std::string, int>> ports;
  ports_of(*made, "", ports);
  EXPECT_GE(ports.size(), 5u + 3 * 4);
  for (const auto& [key, port] : ports) {
    EXPECT_GT(port, 1023) << key;
    EXPECT_LT(port, 32768) << key;
  }
}

}  // namespace
}  // namespace roadside::testbed
