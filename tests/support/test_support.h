// Helpers shared by the test suites: temporary directories, the X-Road vectors, free ports.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace roadside::testing {

// A directory under $TMPDIR removed (recursively) when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& p, const std::string& content);
std::string read_file(const std::filesystem::path& p);

// The X-Road test vectors: $ROADSIDE_VECTORS_DIR, else ../shared/vectors relative to the
// source tree. std::nullopt when absent (a user's clone): callers GTEST_SKIP with a message.
std::optional<std::filesystem::path> vectors_dir();

// The root of the source tree and the build tree (for locating the roadside binary).
std::filesystem::path source_dir();
std::filesystem::path binary_dir();

// A TCP port on 127.0.0.1 that was free a moment ago.
unsigned short free_port();

}  // namespace roadside::testing

#define ROADSIDE_REQUIRE_VECTORS(var)                                                        \
  auto var##_opt = ::roadside::testing::vectors_dir();                                       \
  if (!var##_opt) GTEST_SKIP() << "X-Road test vectors not found (set ROADSIDE_VECTORS_DIR)"; \
  const std::filesystem::path var = *var##_opt
