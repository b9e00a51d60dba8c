// How the server uses glibc's malloc, in one place: what `serve` sets at start, and the
// trimming that setting calls for. (No-ops without glibc.)
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace roadside::server {

// Sets malloc up for a server, once, before its threads start:
// - Two arenas. glibc gives each thread that allocates under contention an arena of its own
//   (up to eight per core), and memory freed in one stays there: with the database, signer
//   and monitoring threads beside the I/O threads, a server under 256 connections held
//   10 MiB more that way. MALLOC_ARENA_MAX, when set, decides instead.
// - A trim threshold of 2 MiB. glibc gives memory above an arena's top back to the kernel
//   once 128 KiB of it is free, and a message-log group commit frees several hundred KiB at
//   once: under load every group was handed back (madvise) and faulted in again, a fifth of
//   the full variant's CPU in bench/exchange. Setting it also fixes the mmap threshold at
//   128 KiB; at 4 MiB, message-log pieces (1 MiB) stay on the heap.
// What an operator gave glibc wins: MALLOC_ARENA_MAX or glibc.malloc.arena_max in
// GLIBC_TUNABLES keeps the arenas as given; MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_,
// glibc.malloc.trim_threshold or glibc.malloc.mmap_threshold keeps both thresholds as given,
// and then false is returned. Other tunables (glibc.pthread.rseq=0, ...) change nothing here.
bool tune_allocator();

// What tune_allocator() sets, given how `getenv` reads the environment.
struct AllocatorTuning {
  bool arenas = true;
  bool thresholds = true;
};
AllocatorTuning allocator_tuning(const std::function<const char*(const char*)>& getenv);

// What the raised trim threshold costs: a server keeps what its peaks freed, scattered
// through the heap, and all of it counts in its RSS. Every `every`, when malloc holds more
// than `threshold` bytes free, malloc_trim(0) gives the free pages back wherever they are.
// (Run when tune_allocator() set the threshold.)
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
