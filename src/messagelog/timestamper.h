// Time-stamps from a TSA as X-Road's message log asks for them (xroad-protocols.md §7): an
// RFC 3161 request over SHA-512 of the data, no nonce, no certReq, POSTed as
// application/timestamp-query; the token in the reply must verify against an approved TSA.
// For a batch the data is ts-hashchainresult.xml; for a single signature, the raw bytes of
// its SignatureValue.
#pragma once

#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "crypto/crypto.h"
#include "net/http_client.h"

namespace roadside::messagelog {

inline constexpr std::size_t kMaxTimestampReplyBytes = 1 << 20;

struct Timestamp {
  std::string token;  // DER TimeStampToken
  crypto::TimestampInfo info;
};

boost::asio::awaitable<Result<Timestamp>> request_timestamp(net::HttpClient& http, std::string url, std::string data,
                                                            std::vector<crypto::Certificate> tsa_certs);

// A batch time-stamp's hash tree over the signature documents of several log records:
// the time-stamp goes over `result` (ts-hashchainresult.xml); record i keeps `chains[i]`
// (ts-hashchain.xml), whose DataRef /META-INF/signatures.xml covers its signature.
struct BatchTimestampChains {
  std::string result;
  std::vector<std::string> chains;
};
Result<BatchTimestampChains> batch_timestamp_chains(const std::vector<std::string>& signatures);

}  // namespace roadside::messagelog
