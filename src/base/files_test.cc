#include "base/files.h"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/errors.h"

namespace roadside {
namespace {

namespace fs = std::filesystem;

class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("files_test." + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST_F(Files, AFileOverTheLimitIsRefusedAndOneAtTheLimitIsRead) {
  ASSERT_TRUE(write_file_atomically(dir_ / "part", std::string(100, 'x')).ok());
  auto at_limit = read_file_limited(dir_ / "part", 100);
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().detail();
  EXPECT_EQ(at_limit.value(), std::string(100, 'x'));
  auto over = read_file_limited(dir_ / "part", 99);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code(), make_error_code(base::errc::too_large));
  EXPECT_NE(over.error().detail().find("part"), std::string::npos) << over.error().detail();
}

TEST_F(Files, AMissingFileOrAFolderIsAnIoErrorNamingIt) {
  auto missing = read_file_limited(dir_ / "absent", 100);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), make_error_code(base::errc::io_error));
  EXPECT_NE(missing.error().detail().find("absent"), std::string::npos);
  fs::create_directories(dir_ / "folder");
  EXPECT_FALSE(read_file_limited(dir_ / "folder", 100).ok());
}

TEST_F(Files, AWriteCreatesFoldersAndReplacesTheFileWhole) {
  const auto path = dir_ / "a" / "b" / "conf";
  ASSERT_TRUE(write_file_atomically(path, "first").ok());
  ASSERT_TRUE(write_file_atomically(path, "second, longer").ok());
  EXPECT_EQ(read_file_limited(path, 1000).value(), "second, longer");
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
}

TEST_F(Files, ASecretIsNeverReadableByOthersAndOtherFilesBesideItAreLeftAlone) {
  const auto path = dir_ / "key";
  fs::create_directories(dir_);
  {
    std::ofstream other(path.string() + ".tmp");
    other << "someone else's";
  }
  fs::permissions(path.string() + ".tmp", fs::perms::all);
  ASSERT_TRUE(write_file_atomically(path, "secret", FileMode::secret).ok());
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(read_file_limited(path, 100).value(), "secret");
  EXPECT_EQ(read_file_limited(path.string() + ".tmp", 100).value(), "someone else's");
  ASSERT_TRUE(write_file_atomically(dir_ / "plain", "x").ok());
  EXPECT_EQ(mode_of(dir_ / "plain"), 0644u);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 3) << "no temporary file is left";
}

TEST_F(Files, AFifoIsRefusedWithoutWaitingForAWriter) {
  fs::create_directories(dir_);
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  auto r = read_file_limited(dir_ / "fifo", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), make_error_code(base::errc::io_error));
  EXPECT_NE(r.error().detail().find("not a regular file"), std::string::npos) << r.error().detail();
}

TEST_F(Files, AFileWhoseSizeIsUnknownBeforehandIsStillReadWithinTheLimit) {
  // /proc files say they are empty and are not.
  auto status = read_file_limited("/proc/self/status", 1 << 20);
  ASSERT_TRUE(status.ok()) << status.error().detail();
  EXPECT_NE(status->find("Name:"), std::string::npos);
  auto capped = read_file_limited("/proc/self/status", 10);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().code(), make_error_code(base::errc::too_large));
}

TEST_F(Files, AWriteIntoAnUnwritablePlaceIsAnIoError) {
  auto status = write_file_atomically("/proc/roadside-cannot-write/here", "x");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), make_error_code(base::errc::io_error));
}

}  // namespace
}  // namespace roadside
