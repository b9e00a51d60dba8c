// Takes the proxies' operational data records and writes them to the database on a thread of
// its own: what has gathered, as one row, every `interval` or as soon as `batch` records
// wait. Monitoring never slows or fails a message: record() only appends to a bounded buffer
// (X-Road's op-monitor-buffer.size), and a record that finds it full is dropped and counted.
// A write that fails keeps its records for the next try (the buffer bounds them too). A record
// gets its monitoringDataTs when it is written, as X-Road's daemon stamps what it receives, so
// a window a collector has read past never gains records later. Once an hour, and at start,
// records older than `keep` are deleted (X-Road's op-monitor.keep-records-for-days).
//
//   roadside_opmon_records_written_total   records written
//   roadside_opmon_records_dropped_total   records dropped: the buffer was full
//   roadside_opmon_write_failures_total    writes that failed (their records are kept)
//   roadside_opmon_buffered_records        records waiting to be written
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/thread_annotations.h"
#include "metrics/metrics.h"
#include "opmon/op_store.h"

namespace roadside::opmon {

struct RecorderOptions {
  std::size_t buffer = 20'000;
  // A row of at most this many (X-Road's buffer sends its daemon as many, max-records-in-message):
  // few records wait in memory.
  std::size_t batch = 100;
  std::chrono::milliseconds interval{1'000};
  std::chrono::hours keep{7 * 24};
};

class Recorder {
 public:
  // Starts the writer's thread on `store` (a connection of its own).
  Recorder(std::unique_ptr<OpStore> store, metrics::Registry& metrics, RecorderOptions options = {},
           const Clock& clock = Clock::system());
  // stop(), if not done yet.
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Buffers `record` (its text cut to X-Road's bounds). Never blocks on the database. After
  // stop(), the record is dropped and counted.
  void record(OpRecord record);
  // Writes what is buffered (one try), then stops the thread. The recorder stays usable.
  void stop();
  // Wakes the writer and waits until what was buffered before the call has had its try.
  void flush();

 private:
  void run();
  // One try at writing `batch`; true when written.
  bool write(std::vector<OpRecord>& batch);
  void clean_up();

  std::unique_ptr<OpStore> store_;
  const RecorderOptions options_;
  const Clock& clock_;
  Mutex mu_;
  std::condition_variable_any wake_, flushed_;
  std::vector<OpRecord> buffer_ GUARDED_BY(mu_);
  std::uint64_t flush_asked_ GUARDED_BY(mu_) = 0;
  std::uint64_t flush_done_ GUARDED_BY(mu_) = 0;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool failing_ = false;  // the writer's thread only: the last write failed (logged once)
  std::chrono::steady_clock::time_point next_cleanup_{};
  metrics::Counter& written_;
  metrics::Counter& dropped_;
  metrics::Counter& failures_;
  metrics::Gauge& buffered_;
  std::thread thread_;  // last: started when the rest is ready
};

}  // namespace roadside::opmon
