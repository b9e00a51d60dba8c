#include "opmon/recorder.h"

#include <algorithm>
#include <iterator>

#include "base/log.h"

namespace roadside::opmon {

namespace {

constexpr auto kCleanupEvery = std::chrono::hours(1);

std::int64_t unix_seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

Recorder::Recorder(std::unique_ptr<OpStore> store, metrics::Registry& metrics, RecorderOptions options,
                   const Clock& clock)
    : store_(std::move(store)),
      options_(options),
      clock_(clock),
      written_(metrics.counter("roadside_opmon_records_written_total", "Operational data records written")),
      dropped_(metrics.counter("roadside_opmon_records_dropped_total",
                               "Operational data records dropped because the buffer was full")),
      failures_(metrics.counter("roadside_opmon_write_failures_total",
                                "Writes of operational data that failed (their records are kept for the next)")),
      buffered_(metrics.gauge("roadside_opmon_buffered_records", "Operational data records waiting to be written")),
      thread_([this] { run(); }) {}

Recorder::~Recorder() {
  stop();
}

void Recorder::stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Recorder::record(OpRecord record) {
  bound(record);
  bool wake = false;
  {
    MutexLock lock(mu_);
    if (stopping_ || buffer_.size() >= options_.buffer) {
      dropped_.inc();
      return;
    }
    buffer_.push_back(std::move(record));
    wake = buffer_.size() == options_.batch;
  }
  if (wake) wake_.notify_one();
}

void Recorder::flush() {
  MutexLock lock(mu_);
  const std::uint64_t mine = ++flush_asked_;
  wake_.notify_one();
  flushed_.wait(mu_, [&]() REQUIRES(mu_) { return flush_done_ >= mine || stopping_; });
}

bool Recorder::write(std::vector<OpRecord>& batch) {
  const std::int64_t now = unix_seconds(clock_.now());
  for (auto& r : batch) r.monitoring_data_ts = now;
  if (auto st = store_->append(batch); !st.ok()) {
    failures_.inc();
    if (!failing_)
      log::warn("operational data not written; kept for the next try", {{"error", st.error().to_string()}});
    failing_ = true;
    return false;
  }
  if (failing_) log::info("operational data written again");
  failing_ = false;
  written_.inc(batch.size());
  return true;
}

void Recorder::clean_up() {
  const auto now = clock_.steady_now();
  if (now < next_cleanup_) return;
  next_cleanup_ = now + kCleanupEvery;
  const auto before = unix_seconds(clock_.now() - options_.keep);
  if (auto n = store_->delete_before(before); !n.ok()) {
    log::warn("old operational data not deleted", {{"error", n.error().to_string()}});
  } else if (*n > 0) {
    log::info("old operational data deleted", {{"records", *n}});
  }
}

void Recorder::run() {
  for (;;) {
    std::vector<OpRecord> taken;
    std::uint64_t asked = 0;
    bool stop = false;
    {
      MutexLock lock(mu_);
      // After a failed write, the next try waits the interval whatever has gathered.
      wake_.wait_for(mu_, options_.interval, [&]() REQUIRES(mu_) {
        return stopping_ || (!failing_ && buffer_.size() >= options_.batch) || flush_asked_ > flush_done_;
      });
      taken.swap(buffer_);
      buffer_.reserve(std::min(options_.batch, options_.buffer));  // no regrowth under the lock
      asked = flush_asked_;
      stop = stopping_;
      buffered_.set(0);
    }
    // In rows of at most `batch` records; what a failed write held goes back, oldest first.
    std::vector<OpRecord> kept;
    for (std::size_t at = 0; at < taken.size(); at += options_.batch) {
      const auto end = taken.begin() + static_cast<std::ptrdiff_t>(std::min(taken.size(), at + options_.batch));
      std::vector<OpRecord> row(std::make_move_iterator(taken.begin() + static_cast<std::ptrdiff_t>(at)),
                                std::make_move_iterator(end));
      if (!kept.empty() || !write(row)) {
        kept.insert(kept.end(), std::make_move_iterator(row.begin()), std::make_move_iterator(row.end()));
      }
    }
    if (!stop) clean_up();
    {
      MutexLock lock(mu_);
      if (!kept.empty() && !stop) {
        // The buffer's bound holds the kept records too: the newest that do not fit are dropped.
        const std::size_t room = options_.buffer > kept.size() ? options_.buffer - kept.size() : 0;
        if (buffer_.size() > room) {
          dropped_.inc(buffer_.size() - room);
          buffer_.resize(room);
        }
        kept.insert(kept.end(), std::make_move_iterator(buffer_.begin()), std::make_move_iterator(buffer_.end()));
        buffer_.swap(kept);
      } else if (!kept.empty()) {
        dropped_.inc(kept.size());
      }
      buffered_.set(static_cast<std::int64_t>(buffer_.size()));
      flush_done_ = asked;
    }
    flushed_.notify_all();
    if (stop) return;
  }
}

}  // namespace roadside::opmon
