#include "server/database_thread.h"

namespace roadside::server {

DatabaseThread::~DatabaseThread() { join(); }

Status DatabaseThread::start() {
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
  return {};
}

boost::asio::awaitable<void> DatabaseThread::stop() {
  join();
  co_return;
}

void DatabaseThread::join() {
  work_.reset();
  if (thread_.joinable()) thread_.join();
}

}  // namespace roadside::server
