// Group commit for message-log records: callers wait while the writer's thread commits what
// has queued up in one transaction, so under load one commit (one fsync) serves many
// messages, and a lone message is written at once.
//
//   roadside_messagelog_records_written_total   records committed
//   roadside_messagelog_commits_total           transactions that committed them
//   roadside_messagelog_write_failures_total    records that could not be written
//   roadside_messagelog_write_microseconds_total  time from enqueue to commit, summed over records
//   roadside_messagelog_last_write_microseconds   that time for the last group
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <thread>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "base/clock.h"
#include "base/thread_annotations.h"
#include "messagelog/log_store.h"
#include "metrics/metrics.h"

namespace roadside::messagelog {

class GroupWriter {
 public:
  // Starts the writer's thread on `store` (a connection of its own). The executors that
  // write() is called from must outlive the writer: its thread posts the answers to them.
  GroupWriter(std::unique_ptr<LogStore> store, metrics::Registry& metrics, std::size_t max_group = 512,
              const Clock& clock = Clock::system());
  // Writes what is queued, then stops the thread.
  ~GroupWriter();
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;

  // The record's id once committed; errc::log_failed naming the cause otherwise. The writer
  // keeps the record (its payloads share their bytes or spool files) until it is written, and
  // frees it on the caller's executor, the thread that built it. A
  // group whose transaction fails is written again one record at a time, so a record the
  // database refuses fails alone.
  boost::asio::awaitable<Result<std::int64_t>> write(MessageRecordInput record);

 private:
  struct Initiation;
  using Handler = boost::asio::any_completion_handler<void(Result<std::int64_t>)>;
  struct Job {
    MessageRecordInput record;
    Handler done;
    boost::asio::any_io_executor executor;
    std::chrono::steady_clock::time_point queued;
  };
  void enqueue(Job job);
  void run();

  std::unique_ptr<LogStore> store_;
  const std::size_t max_group_;
  const Clock& clock_;
  Mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Job> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  metrics::Counter& written_;
  metrics::Counter& commits_;
  metrics::Counter& failures_;
  metrics::Counter& micros_;
  metrics::Gauge& last_micros_;
  std::thread thread_;  // last: started when the rest is ready
};

}  // namespace roadside::messagelog
