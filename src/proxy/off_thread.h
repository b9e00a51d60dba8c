// Blocking work (a database query, building a container) run on a thread pool of its own,
// never on the proxy's I/O threads: the coroutine waits for it without holding a thread.
// Each kind of work has its own small pool, so one kind queued up cannot stall another.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/result.h"
#include "net/errors.h"

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

// off_thread for work whose result is a Result, taken only while fewer than `limit` such tasks
// (counted in `taken`) are running or waiting for `pool`: past it, net::errc::overloaded at
// once ("too many <what> at once"), nothing queued.
template <typename F>
boost::asio::awaitable<std::invoke_result_t<F&>> off_thread_bounded(boost::asio::thread_pool& pool,
                                                                    std::atomic<int>& taken, int limit,
                                                                    std::string_view what, F f) {
  struct Taken {  // counted while this coroutine lives
    std::atomic<int>& n;
    const bool admitted;
    Taken(std::atomic<int>& count, int most) : n(count), admitted(count.fetch_add(1) < most) {}
    Taken(const Taken&) = delete;
    Taken& operator=(const Taken&) = delete;
    ~Taken() { n.fetch_sub(1); }
  };
  const Taken taken_now(taken, limit);
  if (!taken_now.admitted) {
    co_return Error(make_error_code(net::errc::overloaded),
                    "too many " + std::string(what) + " at once; try again later");
  }
  co_return co_await off_thread(pool, std::move(f));
}

}  // namespace roadside::proxy
