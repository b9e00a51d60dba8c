// The external WSDL validator hook: X-Road's own stand-in (mock-wsdlvalidator.sh, run as
// X-Road's WsdlValidatorTest runs it) and scripts that misbehave.
#include "servicedesc/validator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

namespace roadside::servicedesc {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;

std::string xroad_url(const std::string& name) {
  return "file:src/test/resources/wsdl/" + name;
}

class MockValidator : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = testing::vectors_dir();
    if (!dir) GTEST_SKIP() << "X-Road test vectors not found (set ROADSIDE_VECTORS_DIR)";
    // The copy in the vectors is not executable; bash runs it as the command would.
    config_.argv = {"/bin/bash", (*dir / "xroad/admin-api/wsdl/admin-service/mock-wsdlvalidator.sh").string()};
  }
  WsdlValidatorConfig config_;
};

TEST_F(MockValidator, ErrorWsdlIsInvalidWsdlWithTheValidatorsOutput) {
  auto r = run_wsdl_validator(config_, xroad_url("error.wsdl"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().fault_code(), "invalid_wsdl");
  EXPECT_THAT(r.failure().metadata(), ElementsAre("ERROR: this is not fine"));
}

TEST_F(MockValidator, WarningWsdlGivesWsdlValidationWarnings) {
  auto r = run_wsdl_validator(config_, xroad_url("warning.wsdl"));
  ASSERT_TRUE(r.ok()) << r.failure().detail();
  EXPECT_THAT(*r, ElementsAre(Warning{"wsdl_validation_warnings", {"WARNING: this can be ignored"}}));
}

TEST_F(MockValidator, OtherWsdlsPass) {
  for (const char* name : {"testservice.wsdl", "valid.wsdl"}) {
    auto r = run_wsdl_validator(config_, xroad_url(name));
    ASSERT_TRUE(r.ok()) << name;
    EXPECT_TRUE(r->empty()) << name;
  }
}

class ScriptValidator : public ::testing::Test {
 protected:
  WsdlValidatorConfig script(const std::string& body) {
    const auto path = dir_ / ("v" + std::to_string(++n_) + ".sh");
    testing::write_file(path, "#!/bin/sh\n" + body + "\n");
    WsdlValidatorConfig c;
    c.argv = {"/bin/sh", path.string()};
    return c;
  }
  testing::TempDir dir_;
  int n_ = 0;
};

TEST_F(ScriptValidator, NoCommandMeansNoValidator) {
  auto r = run_wsdl_validator(WsdlValidatorConfig{}, "http://host/a.wsdl");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

// The URL is one argument, whatever it holds: no shell reads it.
TEST_F(ScriptValidator, TheUrlIsTheLastArgumentAndBothStreamsAreRead) {
  auto c = script(R"(echo "out:$1"; echo "err:$#" >&2)");
  auto r = run_wsdl_validator(c, "http://host/a.wsdl?x=1&y=$(id) ;");
  ASSERT_TRUE(r.ok()) << r.failure().detail();
  ASSERT_EQ(r->size(), 1U);
  EXPECT_THAT((*r)[0].metadata, ElementsAre("out:http://host/a.wsdl?x=1&y=$(id) ;", "err:1"));
}

TEST_F(ScriptValidator, AnyOtherExitIsInvalidWsdl) {
  auto r = run_wsdl_validator(script("exit 3"), "http://host/a.wsdl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().code(), errc::invalid_wsdl);
  EXPECT_TRUE(r.failure().metadata().empty());
  auto killed = run_wsdl_validator(script("kill -9 $$"), "http://host/a.wsdl");
  ASSERT_FALSE(killed.ok());
  EXPECT_EQ(killed.failure().code(), errc::invalid_wsdl);
}

TEST_F(ScriptValidator, CannotRunIsNotExecutable) {
  WsdlValidatorConfig missing;
  missing.argv = {"/nonexistent/wsdlvalidator"};
  auto r = run_wsdl_validator(missing, "http://host/a.wsdl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().fault_code(), "wsdl_validator_not_executable");
  const auto file = dir_ / "not-executable";
  testing::write_file(file, "#!/bin/sh\nexit 0\n");
  WsdlValidatorConfig plain;
  plain.argv = {file.string()};
  EXPECT_EQ(run_wsdl_validator(plain, "http://host/a.wsdl").failure().code(), errc::wsdl_validator_not_executable);
}

TEST_F(ScriptValidator, ATimeoutKillsTheValidatorAndWhatItStarted) {
  auto c = script("sleep 30 & sleep 30");
  c.timeout = milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  auto r = run_wsdl_validator(c, "http://host/a.wsdl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().fault_code(), "wsdl_validator_interrupted");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(ScriptValidator, OutputIsCappedAndNotUtf8IsReplaced) {
  auto c = script("head -c 100000 /dev/zero | tr '\\000' a; printf '\\n\\377x\\n' >&2; exit 1");
  c.max_output = 1000;
  auto r = run_wsdl_validator(c, "http://host/a.wsdl");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.failure().metadata().size(), 2U);
  EXPECT_EQ(r.failure().metadata()[0], std::string(1000, 'a'));
  EXPECT_THAT(r.failure().metadata()[1], ::testing::HasSubstr("cut at 1000 bytes"));
  auto bytes = script("printf 'ok\\r\\n\\377\\r'");
  auto w = run_wsdl_validator(bytes, "http://host/a.wsdl");
  ASSERT_TRUE(w.ok());
  EXPECT_THAT((*w)[0].metadata, ElementsAre("ok", "?"));
}

}  // namespace
}  // namespace roadside::servicedesc
