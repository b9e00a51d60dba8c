#include "server/memory_trimmer.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace roadside::server {

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
