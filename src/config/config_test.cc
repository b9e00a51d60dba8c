#include "config/config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace roadside::config {
namespace {

using roadside::testing::TempDir;
using roadside::testing::write_file;

TEST(Config, DefaultsComeFromTheTable) {
  Config c = Config::defaults();
  EXPECT_EQ(c.integer("health.port"), 5588);
  EXPECT_EQ(c.str("log.level"), "INFO");
  EXPECT_EQ(c.value("database.port").source, Source::default_value);
  for (const auto& o : options()) {
    EXPECT_FALSE(o.description.empty()) << o.name;
    // Every default must itself be valid.
    Config d = Config::defaults();
    EXPECT_TRUE(d.set(o.name, o.default_value).ok()) << o.name;
  }
}

// Issue 13, item 12: the database's sslmode is decided by whether a CA is configured
// (storage::effective_sslmode), not prefer whatever the deployment.
TEST(KeysAtRest, DatabaseSslModeDefaultsToAutoAndTakesACaFromTheEnvironment) {
  EXPECT_EQ(Config::defaults().str("database.sslmode"), "auto");
  Inputs in;
  in.env = {{"ROADSIDE_DB_SSLROOTCERT", "/etc/roadside/db-ca.pem"}};
  auto c = Config::load(in);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->str("database.sslrootcert"), "/etc/roadside/db-ca.pem");
  EXPECT_EQ(c->str("database.sslmode"), "auto");
}

TEST(Config, PrecedenceIsDefaultsThenFileThenEnvThenFlags) {
  TempDir dir;
  write_file(dir / "roadside.yaml",
             "database:\n  host: file-host\n  port: 5433\n  name: filedb\nlog:\n  level: debug\nhealth:\n  port: 6000\n");
  Inputs in;
  in.file = dir / "roadside.yaml";
  in.env = {{"XROAD_DB_HOST", "env-host"}, {"XROAD_DB_PORT", "5434"}, {"PATH", "/bin"}};
  in.flags = {{"database.host", "flag-host"}};
  auto c = Config::load(in);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->str("database.host"), "flag-host");
  EXPECT_EQ(c->value("database.host").source, Source::flag);
  EXPECT_EQ(c->integer("database.port"), 5434);
  EXPECT_EQ(c->value("database.port").origin, "XROAD_DB_PORT");
  EXPECT_EQ(c->str("database.name"), "filedb");
  EXPECT_EQ(c->value("database.name").source, Source::file);
  EXPECT_EQ(c->value("database.name").origin, (dir / "roadside.yaml").string() + ":4");
  EXPECT_EQ(c->str("log.level"), "DEBUG");  // normalized spelling
  EXPECT_EQ(c->integer("health.port"), 6000);
  EXPECT_EQ(c->str("database.user"), "roadside");
  EXPECT_EQ(c->value("database.user").source, Source::default_value);
}

TEST(Config, DottedKeysInTheFileWorkToo) {
  TempDir dir;
  write_file(dir / "c.yaml", "database.port: 6543\n");
  auto c = Config::load({dir / "c.yaml", {}, {}});
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->integer("database.port"), 6543);
}

TEST(Config, UnknownFileKeyIsAnErrorNamingIt) {
  TempDir dir;
  write_file(dir / "c.yaml", "database:\n  hots: x\n");
  auto c = Config::load({dir / "c.yaml", {}, {}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), errc::unknown_key);
  EXPECT_NE(c.error().detail().find("database.hots"), std::string::npos) << c.error().detail();
  EXPECT_NE(c.error().detail().find("c.yaml:2"), std::string::npos) << c.error().detail();
  EXPECT_NE(c.error().detail().find("did you mean database.host?"), std::string::npos) << c.error().detail();
}

TEST(Config, BadValuesAreErrorsNamingKeyAndSource) {
  struct Case {
    Inputs in;
    const char* expect;
  };
  TempDir dir;
  write_file(dir / "list.yaml", "database:\n  port: [1, 2]\n");
  write_file(dir / "broken.yaml", "database:\n  port: 1\n   host: x\n");
  write_file(dir / "nothing.yaml", "database:\n  host:\n");
  const std::vector<Case> cases = {
      {{std::nullopt, {{"XROAD_DB_PORT", "54x"}}, {}}, "database.port (from XROAD_DB_PORT): \"54x\" is not an integer"},
      {{std::nullopt, {{"XROAD_DB_PORT", "70000"}}, {}}, "70000 is out of range 1..65535"},
      {{std::nullopt, {{"XROAD_LOG_LEVEL", "LOUD"}}, {}}, "\"LOUD\" is not one of TRACE,DEBUG,INFO,WARN,ERROR,ALL,OFF"},
      {{std::nullopt, {}, {{"health.port", "-1"}}}, "health.port (from --health-port)"},
      {{std::nullopt, {}, {{"no.such", "1"}}}, "unknown option \"no.such\""},
      {{dir / "list.yaml", {}, {}}, "expected a single value, not a list"},
      {{dir / "broken.yaml", {}, {}}, "not valid YAML"},
      {{dir / "nothing.yaml", {}, {}}, "expected a single value, not nothing"},
      {{dir / "missing.yaml", {}, {}}, "cannot read configuration file"},
  };
  for (const auto& tc : cases) {
    auto c = Config::load(tc.in);
    ASSERT_FALSE(c.ok()) << tc.expect;
    EXPECT_NE(c.error().detail().find(tc.expect), std::string::npos) << c.error().detail();
  }
}

TEST(Config, UnknownXRoadVariablesAreErrorsWithAHint) {
  // Sidecar issue #95: XROAD_DB_PASSWORD instead of XROAD_DB_PWD went unnoticed.
  auto c = Config::load({std::nullopt, {{"XROAD_DB_PASSWORD", "s3cret"}}, {}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().detail().find("XROAD_DB_PASSWORD (did you mean XROAD_DB_PWD?)"), std::string::npos)
      << c.error().detail();
  EXPECT_EQ(c.error().detail().find("s3cret"), std::string::npos);  // never echo the value

  auto typo = Config::load({std::nullopt, {{"ROADSIDE_HEALTH_PROT", "1"}}, {}});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().detail().find("did you mean ROADSIDE_HEALTH_PORT?"), std::string::npos);

  auto ignored = Config::load({std::nullopt, {{"XROAD_ROOT_LOG_LEVEL", "WARN"}, {"ROADSIDE_TEST_X", "1"}, {"HOME", "/"}}, {}});
  ASSERT_TRUE(ignored.ok()) << ignored.error().to_string();
  ASSERT_EQ(ignored->warnings().size(), 1u);
  EXPECT_NE(ignored->warnings()[0].find("XROAD_ROOT_LOG_LEVEL"), std::string::npos);
}

TEST(Config, ShowRedactsSecretsAndNamesSources) {
  TempDir dir;
  write_file(dir / "c.yaml", "database:\n  password: file-secret\n");
  Inputs in;
  in.file = dir / "c.yaml";
  in.env = {{"XROAD_TOKEN_PIN", "1234-pin"}, {"XROAD_ADMIN_PASSWORD", "admin-pw"}, {"XROAD_ADMIN_USER", "xrd"}};
  in.flags = {{"health.port", "0"}};
  auto c = Config::load(in);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->str("token.pin"), "1234-pin");  // the value itself is there for the server
  for (const std::string& out : {c->show_yaml(), c->show_json()}) {
    EXPECT_EQ(out.find("1234-pin"), std::string::npos) << out;
    EXPECT_EQ(out.find("admin-pw"), std::string::npos) << out;
    EXPECT_EQ(out.find("file-secret"), std::string::npos) << out;
    EXPECT_NE(out.find(kRedacted), std::string::npos) << out;
    EXPECT_NE(out.find("xrd"), std::string::npos) << out;
  }
  auto j = nlohmann::json::parse(c->show_json());
  EXPECT_EQ(j["token.pin"]["value"], kRedacted);
  EXPECT_EQ(j["token.pin"]["source"], "env");
  EXPECT_EQ(j["token.pin"]["origin"], "XROAD_TOKEN_PIN");
  EXPECT_EQ(j["database.password"]["source"], "file");
  EXPECT_EQ(j["health.port"]["value"], 0);
  EXPECT_EQ(j["health.port"]["origin"], "--health-port");
  EXPECT_EQ(j["database.host"]["value"], "");  // unset secrets and values show empty
  const std::string yaml = c->show_yaml();
  EXPECT_NE(yaml.find("health:\n  address: \"127.0.0.1\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("\n  port: 0 "), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("# flag: --health-port"), std::string::npos) << yaml;
}

}  // namespace
}  // namespace roadside::config
