// MemoryTrimmer against glibc's malloc: memory freed between live blocks stays in the RSS
// until trimmed.
#include "server/allocator.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace roadside::server {
namespace {

std::size_t rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

TEST(AllocatorTuning, WhatAnOperatorGaveGlibcWins) {
  auto tuning = [](std::map<std::string, std::string> env) {
    return allocator_tuning([env = std::move(env)](const char* name) -> const char* {
      auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    });
  };
  auto t = tuning({});
  EXPECT_TRUE(t.arenas && t.thresholds);
  t = tuning({{"GLIBC_TUNABLES", "glibc.pthread.rseq=0"}});
  EXPECT_TRUE(t.arenas && t.thresholds) << "a tunable of something else";
  t = tuning({{"GLIBC_TUNABLES", "glibc.pthread.rseq=0:glibc.malloc.trim_threshold=65536"}});
  EXPECT_TRUE(t.arenas);
  EXPECT_FALSE(t.thresholds);
  t = tuning({{"GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=65536"}});
  EXPECT_FALSE(t.thresholds);
  t = tuning({{"GLIBC_TUNABLES", "glibc.malloc.arena_max=8"}});
  EXPECT_FALSE(t.arenas);
  EXPECT_TRUE(t.thresholds);
  t = tuning({{"MALLOC_ARENA_MAX", "8"}});
  EXPECT_FALSE(t.arenas);
  t = tuning({{"MALLOC_TRIM_THRESHOLD_", "131072"}});
  EXPECT_FALSE(t.thresholds);
  t = tuning({{"MALLOC_MMAP_THRESHOLD_", "131072"}});
  EXPECT_FALSE(t.thresholds);
}

#ifdef __GLIBC__
TEST(MemoryTrimmer, FreedMemoryBetweenLiveBlocksLeavesTheRss) {
  // 32 MiB in 64 KiB blocks (below the mmap threshold: from the heap), every page touched;
  // then all but every 16th block freed, so live blocks pin the heap and its top is never
  // trimmed by free() itself.
  constexpr std::size_t kBlock = 64 << 10, kBlocks = 512;
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(std::malloc(kBlock));
    ASSERT_NE(blocks.back(), nullptr);
    std::memset(blocks.back(), 1, kBlock);
  }
  for (std::size_t i = 0; i < kBlocks; ++i) {
    if (i % 16 != 15) {
      std::free(blocks[i]);
      blocks[i] = nullptr;
    }
  }
  if (mallinfo2().fordblks < (16u << 20)) GTEST_SKIP() << "malloc is not glibc's here (a sanitizer's)";
  const std::size_t before = rss_kib();
  EXPECT_FALSE(MemoryTrimmer::trim_if_over(std::size_t{1} << 40)) << "not over the threshold: nothing done";
  EXPECT_GT(rss_kib() + 4096, before) << "(nothing given back without a trim)";
  EXPECT_TRUE(MemoryTrimmer::trim_if_over(4 << 20));
  const std::size_t after = rss_kib();
  EXPECT_LT(after + 16 * 1024, before) << "RSS before " << before << " KiB, after " << after << " KiB";
  for (void* b : blocks) std::free(b);
}
#endif

TEST(MemoryTrimmer, ChecksOnItsTimerUntilStopped) {
  boost::asio::io_context io;
  MemoryTrimmer trimmer(io, std::chrono::milliseconds(1), std::size_t{1} << 40);
  trimmer.start();
  EXPECT_GT(io.run_for(std::chrono::milliseconds(20)), 1u) << "it checked more than once";
  trimmer.stop();
  io.restart();
  io.run();  // nothing left: the stopped timer holds no work
  SUCCEED();
}

}  // namespace
}  // namespace roadside::server
