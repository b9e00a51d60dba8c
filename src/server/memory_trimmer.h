// Gives back to the kernel the memory malloc holds free. `serve` raises glibc's trim threshold
// so that a busy server does not give pages back and fault them in again on every burst; the
// price is that a server keeps what its peaks freed, scattered through the heap, and all of
// it counts in its RSS. Every `every`, when malloc holds more than `threshold` bytes free,
// malloc_trim(0) releases the free pages wherever they are. (A no-op without glibc.)
#pragma once

#include <chrono>
#include <cstddef>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace roadside::server {

class MemoryTrimmer {
 public:
  static constexpr std::chrono::milliseconds kEvery{10'000};
  static constexpr std::size_t kThreshold = 4 << 20;

  explicit MemoryTrimmer(boost::asio::io_context& io, std::chrono::milliseconds every = kEvery,
                         std::size_t threshold = kThreshold);
  // Checks every `every` until stop() (or until the io_context stops).
  void start();
  void stop();

  // One check now: true when malloc held more than `threshold` bytes free and was trimmed.
  static bool trim_if_over(std::size_t threshold);

 private:
  void arm();

  boost::asio::steady_timer timer_;
  std::chrono::milliseconds every_;
  std::size_t threshold_;
};

}  // namespace roadside::server
