#include "messagelog/group_writer.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"
#include "messagelog/zip.h"

namespace roadside::messagelog {

namespace asio = boost::asio;

GroupWriter::GroupWriter(std::unique_ptr<LogStore> store, metrics::Registry& metrics, std::size_t max_group,
                         const Clock& clock)
    : store_(std::move(store)),
      max_group_(max_group == 0 ? 1 : max_group),
      clock_(clock),
      written_(metrics.counter("roadside_messagelog_records_written_total", "Message-log records committed")),
      commits_(metrics.counter("roadside_messagelog_commits_total", "Message-log transactions (group commits)")),
      failures_(
          metrics.counter("roadside_messagelog_write_failures_total", "Message-log records whose transaction failed")),
      micros_(metrics.counter("roadside_messagelog_write_microseconds_total",
                              "Time from a record's arrival at the writer to its commit, summed over records")),
      last_micros_(metrics.gauge("roadside_messagelog_last_write_microseconds",
                                 "Time from arrival to commit of the last group")),
      thread_([this] { run(); }) {}

GroupWriter::~GroupWriter() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// Named, not a lambda: GCC 12 destroys a lambda temporary's captures twice inside co_await.
struct GroupWriter::Initiation {
  GroupWriter* self;
  MessageRecordInput record;

  template <typename H>
  void operator()(H&& handler) {
    asio::any_io_executor ex = asio::get_associated_executor(handler);
    self->enqueue({std::move(record), GroupWriter::Handler(std::forward<H>(handler)), std::move(ex),
                   std::chrono::steady_clock::now()});
  }
};

asio::awaitable<Result<std::int64_t>> GroupWriter::write(MessageRecordInput record) {
  Initiation init{this, std::move(record)};
  auto result = co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result<std::int64_t>)>(
      std::move(init), asio::use_awaitable);
  co_return result;
}

void GroupWriter::enqueue(Job job) {
  {
    MutexLock lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(job));
      cv_.notify_one();
      return;
    }
  }
  auto h = std::move(job.done);
  asio::post(job.executor, [h = std::move(h)]() mutable {
    std::move(h)(Result<std::int64_t>(Error(make_error_code(errc::log_failed), "the message log is stopping")));
  });
}

void GroupWriter::run() {
  for (;;) {
    std::vector<Job> group;
    {
      MutexLock lock(mu_);
      cv_.wait(mu_, [&]() REQUIRES(mu_) { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      while (!queue_.empty() && group.size() < max_group_) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<const MessageRecordInput*> records;
    records.reserve(group.size());
    for (const auto& j : group) records.push_back(&j.record);
    std::vector<Result<std::int64_t>> results;
    auto ids = store_->insert(records, clock_.now());
    if (ids.ok()) {
      commits_.inc();
      for (auto id : *ids) results.emplace_back(id);
    } else if (group.size() == 1) {
      results.emplace_back(ids.error());
    } else {
      // One record the database refuses must not fail the others: each alone. Two failures in
      // a row say the database itself is the trouble (down, full): the rest fail without
      // another try each, so a dead database costs one timeout, not one per record.
      log::warn("message log group failed, writing its records one by one",
                {{"records", group.size()}, {"error", ids.error().to_string()}});
      int failed_in_a_row = 0;
      for (const auto* r : records) {
        if (failed_in_a_row >= 2) {
          results.emplace_back(ids.error());
          continue;
        }
        auto one = store_->insert({r}, clock_.now());
        if (one.ok()) commits_.inc();
        failed_in_a_row = one.ok() ? 0 : failed_in_a_row + 1;
        results.push_back(one.ok() ? Result<std::int64_t>(one->front()) : Result<std::int64_t>(one.error()));
      }
    }
    const auto done = std::chrono::steady_clock::now();
    std::uint64_t last = 0;
    for (std::size_t i = 0; i < group.size(); ++i) {
      const auto us = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(done - group[i].queued).count());
      micros_.inc(us);
      last = std::max(last, us);
      Result<std::int64_t> r = std::move(results[i]);
      if (r.ok()) {
        written_.inc();
      } else {
        failures_.inc();
        log::error("message log write failed",
                   {{"query_id", group[i].record.query_id}, {"error", r.error().to_string()}});
        r = Error(make_error_code(errc::log_failed), "the message log could not be written: " + r.error().detail());
      }
      // The record goes back with the answer and is freed on the thread that built it, whose
      // malloc cache takes it again, rather than here, where every free of a group would take
      // the lock of the other thread's arena.
      auto handler = std::move(group[i].done);
      asio::post(group[i].executor, [h = std::move(handler), r = std::move(r),
                                     record = std::move(group[i].record)]() mutable { std::move(h)(std::move(r)); });
    }
    last_micros_.set(static_cast<std::int64_t>(last));
  }
}

}  // namespace roadside::messagelog
