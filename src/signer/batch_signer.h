// Signs messages as X-Road's batch signer does: requests for the same key that arrive while
// a signature is being made wait, and the next signature covers all of them at once (a hash
// tree over the messages, each getting its own chain; sign_batch). Signatures for one key
// start at most once per window: the last batch's signing time (the private-key operation
// and the document) times `BatchWindow::per_signature`, at most `BatchWindow::max`. A message
// that comes after the window is signed at once; one that comes within it waits for the next
// signature (unless `max_batch` are waiting), so under load one private-key operation serves
// many messages and signing takes at most about a tenth of a core per key, at the cost of up
// to 2 ms of latency.
//
//   roadside_signatures_total        private-key signatures made
//   roadside_signed_messages_total   messages those signatures cover
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/clock.h"
#include "base/thread_annotations.h"
#include "metrics/metrics.h"
#include "signer/message_signer.h"
#include "signer/token.h"

namespace roadside::signer {

// What a signature needs besides the key: the OCSP responses for its certificate (fresh at
// signing time), looked up when the batch is signed.
using OcspLookup = std::function<Result<std::vector<std::string>>(const crypto::Certificate& cert)>;

// What the message path signs with (BatchSigner; a fake in unit tests).
class Signer {
 public:
  virtual ~Signer() = default;
  // Signs `parts` with `key` (XAdES, with the key certificate's OCSP response).
  virtual boost::asio::awaitable<Result<SignedMessageParts>> sign(std::shared_ptr<const OpenKey> key, MessageParts parts) = 0;
};

// How long messages wait for a signature under load (see BatchSigner).
struct BatchWindow {
  int per_signature = 10;               // times the last batch's signing time
  std::chrono::microseconds max{2000};  // but never longer
};

class BatchSigner final : public Signer {
 public:
  // Signatures carry `clock`'s time as their signing time.
  BatchSigner(boost::asio::any_io_executor executor, OcspLookup ocsp, metrics::Registry& metrics,
              std::size_t max_batch = 256, const Clock& clock = Clock::system(), BatchWindow window = {});

  // Signs `parts` with `key`, together with whatever else is waiting for the same key.
  boost::asio::awaitable<Result<SignedMessageParts>> sign(std::shared_ptr<const OpenKey> key, MessageParts parts) override;

 private:
  struct Initiation;
  using Handler = boost::asio::any_completion_handler<void(Result<SignedMessageParts>)>;
  struct Job {
    MessageParts parts;
    Handler done;
    boost::asio::any_io_executor executor;  // where the waiting coroutine resumes
  };
  using Steady = std::chrono::steady_clock;
  struct Queue {
    std::shared_ptr<const OpenKey> key;
    std::deque<Job> jobs;
    bool running = false;           // a drain is posted, runs, or waits for the window
    Steady::time_point next_start;  // the window: no signature for this key starts before
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  void enqueue(std::shared_ptr<const OpenKey> key, MessageParts parts, Handler done, boost::asio::any_io_executor ex);
  // Runs drain for the queue at its window's end (at once if that has passed); mu_ held.
  void start_drain(const std::string& key_id, Queue& q) REQUIRES(mu_);
  void drain(const std::string& key_id);

  boost::asio::any_io_executor executor_;
  OcspLookup ocsp_;
  std::size_t max_batch_;
  BatchWindow window_;
  Mutex mu_;
  std::map<std::string, Queue> queues_ GUARDED_BY(mu_);  // by key id
  metrics::Counter& signatures_;
  metrics::Counter& messages_;
  const Clock& clock_;
};

}  // namespace roadside::signer
