#include "server/allocator.h"

#include <cstdlib>
#include <string_view>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace roadside::server {

AllocatorTuning allocator_tuning(const std::function<const char*(const char*)>& getenv) {
  const char* tunables = getenv("GLIBC_TUNABLES");
  const std::string_view given_tunables = tunables ? tunables : "";
  auto given = [&](const char* variable, std::string_view tunable) {
    return getenv(variable) != nullptr || given_tunables.find(tunable) != std::string_view::npos;
  };
  AllocatorTuning t;
  t.arenas = !given("MALLOC_ARENA_MAX", "glibc.malloc.arena_max");
  t.thresholds = !given("MALLOC_TRIM_THRESHOLD_", "glibc.malloc.trim_threshold") &&
                 !given("MALLOC_MMAP_THRESHOLD_", "glibc.malloc.mmap_threshold");
  return t;
}

bool tune_allocator() {
#ifdef __GLIBC__
  const AllocatorTuning t = allocator_tuning([](const char* name) { return std::getenv(name); });
  if (t.arenas) mallopt(M_ARENA_MAX, 2);
  if (!t.thresholds) return false;
  mallopt(M_TRIM_THRESHOLD, 2 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  return true;
#else
  return false;
#endif
}

MemoryTrimmer::MemoryTrimmer(boost::asio::io_context& io, std::chrono::milliseconds every, std::size_t threshold)
    : timer_(io), every_(every), threshold_(threshold) {}

void MemoryTrimmer::start() {
  arm();
}

void MemoryTrimmer::stop() {
  timer_.cancel();
}

void MemoryTrimmer::arm() {
  timer_.expires_after(every_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    trim_if_over(threshold_);
    arm();
  });
}

bool MemoryTrimmer::trim_if_over(std::size_t threshold) {
#ifdef __GLIBC__
  // fordblks: the bytes in free chunks of every arena (a walk of their bins, no system call).
  if (mallinfo2().fordblks <= threshold) return false;
  malloc_trim(0);
  return true;
#else
  (void)threshold;
  return false;
#endif
}

}  // namespace roadside::server
