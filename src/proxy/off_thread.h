// Blocking work (a database query, building a container) run on a thread pool of its own,
// never on the proxy's I/O threads: the coroutine waits for it without holding a thread.
// Each kind of work has its own small pool, so one kind queued up cannot stall another.
#pragma once

#include <atomic>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace roadside::proxy {

// Calls `f` on `pool` and returns its result to the awaiting coroutine. `f` must not throw
// (errors travel in its result); what it refers to must outlive the call.
template <typename F>
boost::asio::awaitable<std::invoke_result_t<F&>> off_thread(boost::asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F&>;
  // (Named, not a temporary of the co_await: GCC 12 destroys some of those twice.)
  auto task = [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); };
  co_return co_await boost::asio::co_spawn(pool, std::move(task), boost::asio::use_awaitable);
}

// One of at most `limit` tasks taken at once, counted in `taken` while it lives; admitted()
// says whether it was (a task past the limit is refused, not queued).
class Admission {
 public:
  Admission(std::atomic<int>& taken, int limit) : taken_(taken), admitted_(taken.fetch_add(1) < limit) {}
  ~Admission() { taken_.fetch_sub(1); }
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;
  bool admitted() const noexcept { return admitted_; }

 private:
  std::atomic<int>& taken_;
  const bool admitted_;
};

}  // namespace roadside::proxy
