// A batch time-stamp of log records without a TSA: the tree over the records' signatures as
// the time-stamper builds it, stored with `token` (which nothing here checks).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "crypto/digest.h"
#include "messagelog/batch_tree.h"
#include "messagelog/log_store.h"

namespace roadside::testing {

struct StoredBatch {
  std::int64_t timestamp_id = 0;
  std::string result;               // ts-hashchainresult.xml
  std::vector<std::string> chains;  // each record's ts-hashchain.xml, in order
};

inline Result<StoredBatch> stamp_as_batch(
    messagelog::LogStore& store, const std::vector<std::int64_t>& ids, const std::string& token = "token",
    std::chrono::system_clock::time_point time = std::chrono::system_clock::now()) {
  messagelog::NewTimestamp ts{token, "http://tsa.example", time, std::nullopt, {}};
  for (auto id : ids) {
    ROADSIDE_TRY(auto signature, store.signature(id));
    ts.leaves += crypto::sha512(signature.value_or(""));
  }
  ROADSIDE_TRY(xml::HashTree tree, messagelog::batch_tree(ts.leaves));
  ts.hash_chain_result = tree.result();
  StoredBatch out;
  ROADSIDE_TRY(out.timestamp_id, store.add_timestamp(ts, ids));
  out.result = tree.result();
  for (std::size_t i = 0; i < tree.size(); ++i) out.chains.push_back(tree.chain(i));
  return out;
}

}  // namespace roadside::testing
