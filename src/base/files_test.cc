#include "base/files.h"

#include <fstream>

#include <gtest/gtest.h>
#include <sys/stat.h>
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

TEST_F(Files, ASecretIsNeverReadableByOthersEvenOverALeftoverTemporaryFile) {
  const auto path = dir_ / "key";
  fs::create_directories(dir_);
  {
    std::ofstream leftover(path.string() + ".tmp");
    leftover << "from a crash";
  }
  fs::permissions(path.string() + ".tmp", fs::perms::all);
  ASSERT_TRUE(write_file_atomically(path, "secret", FileMode::secret).ok());
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(read_file_limited(path, 100).value(), "secret");
}

TEST_F(Files, AWriteIntoAnUnwritablePlaceIsAnIoError) {
  auto status = write_file_atomically("/proc/roadside-cannot-write/here", "x");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), make_error_code(base::errc::io_error));
}

}  // namespace
}  // namespace roadside
