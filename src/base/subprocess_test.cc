#include "base/subprocess.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "base/errors.h"

namespace roadside {
namespace {

TEST(Subprocess, FeedsStdinAndCapturesBothStreams) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "cat; echo oops >&2; exit 3"};
  const std::string input(300'000, 'x');  // more than a pipe or socket buffer holds
  spec.input = input;
  spec.max_stdout = 1 << 20;
  auto r = run_process(spec);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 3);
  EXPECT_EQ(r->out, input);
  EXPECT_EQ(r->err, "oops\n");
  EXPECT_FALSE(r->stdout_cut);
}

TEST(Subprocess, RunsInItsFolderWithItsEnvironment) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "pwd; echo \"$ROADSIDE_X\"; echo \"${ROADSIDE_SUBPROCESS_SECRET-unset}\""};
  spec.cwd = "/tmp";
  spec.env = {{"ROADSIDE_X", "a b"}};
  ::setenv("ROADSIDE_SUBPROCESS_SECRET", "1234", 1);
  spec.unset_env = {"ROADSIDE_SUBPROCESS_SECRET"};
  auto r = run_process(spec);
  ::unsetenv("ROADSIDE_SUBPROCESS_SECRET");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "/tmp\na b\nunset\n");
}

TEST(Subprocess, CutsOutputAtTheLimitAndReportsAProgramThatStopsReading) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "head -c 10 >/dev/null; yes | head -c 5000"};
  const std::string input(1 << 20, 'x');
  spec.input = input;
  spec.max_stdout = 100;
  auto r = run_process(spec);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 0);
  EXPECT_EQ(r->out.size(), 100u);
  EXPECT_TRUE(r->stdout_cut);
}

TEST(Subprocess, KillsAProgramPastItsTimeoutWithWhatItStarted) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30"};
  spec.timeout = std::chrono::milliseconds(200);
  const auto start = std::chrono::steady_clock::now();
  auto r = run_process(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), base::errc::io_error);
  EXPECT_NE(r.error().detail().find("did not finish within 200 ms"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Subprocess, NamesAProgramThatCannotStart) {
  ProcessSpec spec;
  spec.argv = {"/nonexistent/gpg"};
  auto r = run_process(spec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail().find("cannot run /nonexistent/gpg"), std::string::npos);
}

}  // namespace
}  // namespace roadside
