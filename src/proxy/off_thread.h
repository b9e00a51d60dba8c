// Blocking work (a database query, building a container) run on a thread pool of its own,
// never on the proxy's I/O threads: the coroutine waits for it without holding a thread.
// Each kind of work has its own small pool, so one kind queued up cannot stall another.
#pragma once

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

}  // namespace roadside::proxy
