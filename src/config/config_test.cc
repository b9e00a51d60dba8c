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

TEST(Config, TheS3SecretAccessKeyComesFromTheEnvironmentAndIsNeverShown) {
  Inputs in;
  in.env = {{"ROADSIDE_ARCHIVE_S3_SECRET_ACCESS_KEY", "wJalrXUtnFEMI-s3-secret"},
            {"ROADSIDE_ARCHIVE_S3_ACCESS_KEY_ID", "AKIAEXAMPLE"}};
  auto c = Config::load(in);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->str("messagelog.archive_s3_secret_access_key"), "wJalrXUtnFEMI-s3-secret");
  EXPECT_TRUE(c->boolean("messagelog.archive_s3_path_style"));
  EXPECT_FALSE(c->boolean("messagelog.archive_s3_delete_local"));
  EXPECT_EQ(c->str("messagelog.archive_s3_region"), "us-east-1");
  for (const std::string& out : {c->show_yaml(), c->show_json()}) {
    EXPECT_EQ(out.find("wJalrXUtnFEMI-s3-secret"), std::string::npos) << out;
    EXPECT_NE(out.find("AKIAEXAMPLE"), std::string::npos);
  }
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

// Issue 15, item 6: country profiles. X-Road's variant packages (UG-SYSPAR's FI and EE
// columns; the IS and FO packages' override files) change defaults, and only defaults.
TEST(Profiles, EachProfileSetsItsCountrysDefaults) {
  // Spot checks against X-Road's documents, independent of the table in profiles.cc.
  struct Expect {
    const char* profile;
    std::vector<std::pair<const char*, const char*>> values;
  };
  const std::vector<Expect> expected = {
      {"ee",
       {{"proxy.client_port", "80"},
        {"proxy.client_tls_port", "443"},
        {"listen.address", "127.0.0.1"},
        {"signer.key_length", "3072"},
        {"token.enforce_pin_policy", "true"},
        {"messagelog.max_loggable_body_bytes", "20971520"},
        {"messagelog.body_logging", "true"},
        {"messagelog.timestamp_failure_period_s", "14400"}}},
      {"fi",
       {{"messagelog.body_logging", "false"},
        {"messagelog.timestamp_failure_period_s", "172800"},
        {"signer.key_length", "3072"},
        {"token.enforce_pin_policy", "true"},
        {"proxy.client_tls_protocols", "TLSv1.2"},
        {"proxy.client_port", "8080"},
        {"messagelog.max_loggable_body_bytes", "10485760"}}},
      {"is", {{"messagelog.body_logging", "false"}, {"messagelog.timestamp_failure_period_s", "18000"}, {"signer.key_length", "2048"}}},
      {"fo",
       {{"signer.key_length", "3072"}, {"token.enforce_pin_policy", "true"}, {"messagelog.body_logging", "true"}}},
      {"none",
       {{"signer.key_length", "2048"},
        {"token.enforce_pin_policy", "false"},
        {"messagelog.body_logging", "true"},
        {"messagelog.timestamp_failure_period_s", "14400"},
        {"messagelog.max_loggable_body_bytes", "10485760"},
        {"proxy.client_port", "8080"},
        {"proxy.client_tls_port", "8443"}}},
  };
  for (const auto& e : expected) {
    auto c = Config::load({std::nullopt, {{"ROADSIDE_PROFILE", e.profile}}, {}});
    ASSERT_TRUE(c.ok()) << e.profile << ": " << c.error().to_string();
    EXPECT_EQ(c->str("profile"), e.profile);
    for (const auto& [name, value] : e.values) EXPECT_EQ(c->str(name), value) << e.profile << " " << name;
  }
  auto fi = Config::load({std::nullopt, {{"ROADSIDE_PROFILE", "FI"}}, {}});  // choices match in any case
  ASSERT_TRUE(fi.ok()) << fi.error().to_string();
  EXPECT_FALSE(fi->boolean("messagelog.body_logging"));
  EXPECT_EQ(fi->integer("messagelog.timestamp_failure_period_s"), 172800);
  EXPECT_EQ(fi->integer("signer.key_length"), 3072);
  EXPECT_EQ(fi->value("signer.key_length").source, Source::profile);
  EXPECT_EQ(fi->value("signer.key_length").origin, "fi");
  EXPECT_EQ(fi->value("database.port").source, Source::default_value);  // what the profile does not set
  EXPECT_NE(fi->show_yaml().find("body_logging: false"), std::string::npos) << fi->show_yaml();
  EXPECT_NE(fi->show_yaml().find("# profile: fi"), std::string::npos) << fi->show_yaml();
  auto j = nlohmann::json::parse(fi->show_json());
  EXPECT_EQ(j["messagelog.timestamp_failure_period_s"]["value"], 172800);
  EXPECT_EQ(j["messagelog.timestamp_failure_period_s"]["source"], "profile");
}

TEST(Profiles, EverySettingOfEveryProfileTakesEffectAndIsAValidValue) {
  const Option* choice = find_option("profile");
  ASSERT_NE(choice, nullptr);
  std::string names;
  for (const auto& p : profiles()) names += (names.empty() ? "" : "|") + std::string(p.name);
  EXPECT_EQ(names, choice->choices) << "the option's choices and the profile table disagree";
  EXPECT_EQ(choice->default_value, "none");
  EXPECT_TRUE(find_profile("none")->settings.empty());
  for (const auto& p : profiles()) {
    EXPECT_FALSE(p.description.empty()) << p.name;
    auto c = Config::load({std::nullopt, {}, {{"profile", std::string(p.name)}}});
    ASSERT_TRUE(c.ok()) << p.name << ": " << c.error().to_string();
    for (const auto& s : p.settings) {
      ASSERT_NE(find_option(s.option), nullptr) << p.name << " sets an unknown option " << s.option;
      Config d = Config::defaults();
      ASSERT_TRUE(d.set(s.option, s.value).ok()) << p.name << " " << s.option;
      EXPECT_EQ(c->str(s.option), d.str(s.option)) << p.name << " " << s.option;
      EXPECT_EQ(c->value(s.option).source, Source::profile) << p.name << " " << s.option;
      EXPECT_FALSE(s.xroad.empty()) << p.name << " " << s.option;
    }
  }
}

TEST(Profiles, AnExplicitSettingBeatsTheProfileWhereverItComesFrom) {
  TempDir dir;
  // The profile from the file; its settings overridden by the file, the environment and a flag.
  write_file(dir / "c.yaml", "profile: fi\nmessagelog:\n  body_logging: true\n");
  Inputs in;
  in.file = dir / "c.yaml";
  in.env = {{"ROADSIDE_TIMESTAMP_FAILURE_PERIOD_S", "14400"}};
  in.flags = {{"signer.key_length", "4096"}};
  auto c = Config::load(in);
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_TRUE(c->boolean("messagelog.body_logging"));
  EXPECT_EQ(c->value("messagelog.body_logging").source, Source::file);
  EXPECT_EQ(c->integer("messagelog.timestamp_failure_period_s"), 14400);  // explicitly X-Road's vanilla value
  EXPECT_EQ(c->value("messagelog.timestamp_failure_period_s").source, Source::env);
  EXPECT_EQ(c->integer("signer.key_length"), 4096);
  EXPECT_EQ(c->value("signer.key_length").source, Source::flag);
  EXPECT_TRUE(c->boolean("token.enforce_pin_policy"));  // not set: the profile's
  EXPECT_EQ(c->value("token.enforce_pin_policy").source, Source::profile);

  // The profile from a flag, over one in the environment; a port set in the file stays.
  write_file(dir / "ports.yaml", "proxy:\n  client_port: 8080\n");
  auto ee = Config::load({dir / "ports.yaml", {{"ROADSIDE_PROFILE", "fi"}}, {{"profile", "ee"}}});
  ASSERT_TRUE(ee.ok()) << ee.error().to_string();
  EXPECT_EQ(ee->str("profile"), "ee");
  EXPECT_EQ(ee->integer("proxy.client_port"), 8080);
  EXPECT_EQ(ee->value("proxy.client_port").source, Source::file);
  EXPECT_EQ(ee->integer("proxy.client_tls_port"), 443);
  EXPECT_TRUE(ee->boolean("messagelog.body_logging"));  // fi's setting is not applied
}

TEST(Profiles, AnUnknownProfileIsRefusedNamingTheAllowedOnes) {
  auto env = Config::load({std::nullopt, {{"ROADSIDE_PROFILE", "se"}}, {}});
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.error().code(), errc::invalid_value);
  EXPECT_NE(env.error().detail().find("profile (from ROADSIDE_PROFILE): \"se\" is not one of none,ee,fi,is,fo"),
            std::string::npos)
      << env.error().detail();
  TempDir dir;
  write_file(dir / "c.yaml", "profile: estonia\n");
  auto file = Config::load({dir / "c.yaml", {}, {}});
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().detail().find("\"estonia\" is not one of none,ee,fi,is,fo"), std::string::npos) << file.error().detail();
  EXPECT_NE(file.error().detail().find("c.yaml:1"), std::string::npos) << file.error().detail();
}

}  // namespace
}  // namespace roadside::config
