#include "signer/batch_signer.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"

namespace roadside::signer {

namespace asio = boost::asio;

BatchSigner::BatchSigner(asio::any_io_executor executor, OcspLookup ocsp, metrics::Registry& metrics,
                         std::size_t max_batch, const Clock& clock, BatchWindow window)
    : executor_(std::move(executor)),
      ocsp_(std::move(ocsp)),
      max_batch_(max_batch),
      window_(window),
      signatures_(metrics.counter("roadside_signatures_total", "Private-key signatures made for messages")),
      messages_(metrics.counter("roadside_signed_messages_total", "Messages covered by those signatures")),
      clock_(clock) {}

// The async operation's initiation, as a named type: GCC 12 destroys the captures of a lambda
// temporary inside a co_await expression twice.
struct BatchSigner::Initiation {
  BatchSigner* self;
  std::shared_ptr<const OpenKey> key;
  MessageParts parts;

  template <typename Handler>
  void operator()(Handler&& handler) {
    asio::any_io_executor ex = asio::get_associated_executor(handler, self->executor_);
    self->enqueue(std::move(key), std::move(parts), BatchSigner::Handler(std::forward<Handler>(handler)), std::move(ex));
  }
};

asio::awaitable<Result<SignedMessageParts>> BatchSigner::sign(std::shared_ptr<const OpenKey> key, MessageParts parts) {
  Initiation init{this, std::move(key), std::move(parts)};
  auto result = co_await asio::async_initiate<decltype(asio::use_awaitable), void(Result<SignedMessageParts>)>(std::move(init),
                                                                                                          asio::use_awaitable);
  co_return result;
}

void BatchSigner::enqueue(std::shared_ptr<const OpenKey> key, MessageParts parts, Handler done, asio::any_io_executor ex) {
  const std::string id = key->info.key_id;
  MutexLock lock(mu_);
  Queue& q = queues_[id];
  q.key = std::move(key);
  q.jobs.push_back({std::move(parts), std::move(done), std::move(ex)});
  if (!q.running) start_drain(id, q);
}

void BatchSigner::start_drain(const std::string& key_id, Queue& q) {
  q.running = true;
  if (Steady::now() >= q.next_start) {
    asio::post(executor_, [this, key_id] { drain(key_id); });
    return;
  }
  if (!q.timer) q.timer = std::make_unique<asio::steady_timer>(executor_);
  q.timer->expires_at(q.next_start);
  q.timer->async_wait([this, key_id](const boost::system::error_code& ec) {
    if (!ec) drain(key_id);
  });
}

void BatchSigner::drain(const std::string& key_id) {
  for (;;) {
    std::vector<Job> batch;
    std::shared_ptr<const OpenKey> key;
    const auto started = Steady::now();
    {
      MutexLock lock(mu_);
      Queue& q = queues_[key_id];
      if (q.jobs.empty()) {
        q.running = false;
        return;
      }
      // More came while the last batch was signed: they wait for the window, unless they fill a batch.
      if (started < q.next_start && q.jobs.size() < max_batch_) {
        start_drain(key_id, q);
        return;
      }
      key = q.key;
      while (!q.jobs.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(q.jobs.front()));
        q.jobs.pop_front();
      }
    }
    Result<std::vector<SignedMessageParts>> signed_parts = Error();
    auto ocsp = ocsp_(key->info.cert);
    if (!ocsp.ok()) {
      signed_parts = std::move(ocsp).error();
    } else {
      std::vector<MessageParts> messages;
      messages.reserve(batch.size());
      for (auto& j : batch) messages.push_back(std::move(j.parts));
      SigningMaterial material{key->key, key->info.cert, std::move(ocsp).value(), {}};
      signed_parts = sign_batch(messages, material, clock_.now());
      if (signed_parts.ok()) {
        signatures_.inc();
        messages_.inc(batch.size());
      }
    }
    {
      const auto took = std::chrono::duration_cast<std::chrono::microseconds>(Steady::now() - started);
      MutexLock lock(mu_);
      queues_[key_id].next_start = started + std::min(window_.max, took * window_.per_signature);
    }
    if (!signed_parts.ok()) log::warn("signing failed", {{"key_id", key_id}, {"messages", batch.size()}, {"error", signed_parts.error().to_string()}});
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Result<SignedMessageParts> r = signed_parts.ok() ? Result<SignedMessageParts>(std::move((*signed_parts)[i]))
                                                       : Result<SignedMessageParts>(signed_parts.error());
      auto handler = std::move(batch[i].done);
      asio::post(batch[i].executor, [h = std::move(handler), r = std::move(r)]() mutable { std::move(h)(std::move(r)); });
    }
  }
}

}  // namespace roadside::signer
