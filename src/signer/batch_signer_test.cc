// The batch signer on a multi-threaded io_context: concurrent requests for one key share
// signatures, and every message gets a signature and hash chain that verify for it.
#include "signer/batch_signer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "xml/hashchain.h"
#include "xml/xades.h"

namespace roadside::signer {
namespace {

// A self-signed EC signing key, as the token would open it.
std::shared_ptr<const OpenKey> signing_key() {
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto cert = *crypto::issue_certificate({.common_name = "1001", .usage = crypto::Usage::signing}, key, nullptr, key);
  return std::make_shared<const OpenKey>(OpenKey{{"K1", KeyUsage::signing, std::nullopt, "sign", cert}, key});
}

TEST(BatchSigner, ConcurrentRequestsShareSignaturesAndEachVerifies) {
  const auto open = signing_key();
  boost::asio::io_context io;
  metrics::Registry metrics;
  std::atomic<int> lookups{0};
  BatchSigner signer(
      io.get_executor(),
      [&](const crypto::Certificate&) -> Result<std::vector<std::string>> {
        ++lookups;
        return std::vector<std::string>{};
      },
      metrics);
  constexpr int kMessages = 64;
  std::vector<Result<SignedMessageParts>> results(kMessages);
  std::vector<MessageParts> parts(kMessages);
  for (int i = 0; i < kMessages; ++i) {
    parts[i] = {"<message n=\"" + std::to_string(i) + "\"/>", i % 2 ? std::vector<std::string>{"body " + std::to_string(i)}
                                                                 : std::vector<std::string>{}};
    boost::asio::co_spawn(
        io, [&, i]() -> boost::asio::awaitable<void> { results[i] = co_await signer.sign(open, parts[i]); }, boost::asio::detached);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back([&] { io.run(); });
  for (auto& t : threads) t.join();

  const double signatures = metrics.value("roadside_signatures_total");
  EXPECT_EQ(metrics.value("roadside_signed_messages_total"), kMessages);
  EXPECT_LT(signatures, kMessages) << "every message got its own signature";
  EXPECT_EQ(lookups.load(), static_cast<int>(signatures));
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].error().to_string();
    auto sig = xml::XadesSignature::parse(results[i]->signature);
    ASSERT_TRUE(sig.ok()) << sig.error().to_string();
    xml::PartResolver resolve = [&](std::string_view uri) -> std::optional<std::string> {
      if (uri == "/message.xml") return parts[i].message;
      if (uri == "/attachment1" && !parts[i].attachments.empty()) return parts[i].attachments[0];
      if (uri == "/sig-hashchainresult.xml" && results[i]->hash_chain_result) return *results[i]->hash_chain_result;
      return std::nullopt;
    };
    if (results[i]->hash_chain) {
      xml::HashChainCheck check;
      check.resolve = resolve;
      check.all_inputs = {"/message.xml"};
      if (!parts[i].attachments.empty()) check.all_inputs.push_back("/attachment1");
      EXPECT_TRUE(xml::verify_hash_chain(*results[i]->hash_chain_result, *results[i]->hash_chain, check).ok()) << i;
    }
    EXPECT_TRUE(sig->verify_core(resolve).ok()) << i;
  }
}

// A message that comes within the window after a signature waits for the window's end, with
// everything else that comes by then: one signature for all of them.
TEST(BatchSigner, MessagesWithinTheWindowWaitAndShareTheNextSignature) {
  const auto open = signing_key();
  boost::asio::io_context io;
  metrics::Registry metrics;
  const BatchWindow window{1'000'000, std::chrono::milliseconds(300)};  // 300 ms: any signature takes 0.3 µs or more
  BatchSigner signer(
      io.get_executor(),
      [](const crypto::Certificate&) -> Result<std::vector<std::string>> { return std::vector<std::string>{}; },
      metrics, 256, Clock::system(), window);
  constexpr int kMessages = 6;
  std::vector<Result<SignedMessageParts>> results(kMessages);
  std::vector<std::chrono::steady_clock::time_point> done(kMessages);
  auto spawn = [&](int i) {
    boost::asio::co_spawn(
        io,
        [&, i]() -> boost::asio::awaitable<void> {
          MessageParts parts{"<m n=\"" + std::to_string(i) + "\"/>", {}};
          results[i] = co_await signer.sign(open, std::move(parts));
          done[i] = std::chrono::steady_clock::now();
        },
        boost::asio::detached);
  };
  spawn(0);
  while (!results[0].ok() && io.run_one() > 0) {
  }
  ASSERT_TRUE(results[0].ok()) << "a lone message is signed at once";
  EXPECT_EQ(metrics.value("roadside_signatures_total"), 1);
  const auto first = std::chrono::steady_clock::now();
  io.restart();                          // it stopped when it ran out of work
  for (int i = 1; i < kMessages; ++i) {  // one by one: each would have had a signature of its own
    spawn(i);
    io.poll();
  }
  EXPECT_EQ(metrics.value("roadside_signatures_total"), 1) << "a message within the window was signed at once";
  io.run();
  EXPECT_EQ(metrics.value("roadside_signatures_total"), 2);
  EXPECT_EQ(metrics.value("roadside_signed_messages_total"), kMessages);
  for (int i = 1; i < kMessages; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].error().to_string();
    EXPECT_EQ(results[i]->signature, results[1]->signature) << i;
    EXPECT_GE(done[i] - first, std::chrono::milliseconds(200)) << "did not wait for the window";
  }
}

TEST(BatchSigner, AMissingOcspResponseFailsEveryMessageOfTheBatch) {
  const auto open = signing_key();
  boost::asio::io_context io;
  metrics::Registry metrics;
  BatchSigner signer(
      io.get_executor(),
      [](const crypto::Certificate&) -> Result<std::vector<std::string>> {
        return Error(make_error_code(errc::ocsp_unavailable), "no OCSP response yet");
      },
      metrics);
  Result<SignedMessageParts> result;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        MessageParts parts{"<m/>", {}};  // named: GCC 12 mishandles braced temporaries in co_await
        result = co_await signer.sign(open, std::move(parts));
      },
      boost::asio::detached);
  io.run();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), errc::ocsp_unavailable);
  EXPECT_EQ(metrics.value("roadside_signatures_total"), 0);
}

}  // namespace
}  // namespace roadside::signer
