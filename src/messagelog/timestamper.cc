#include "messagelog/timestamper.h"

#include "crypto/digest.h"
#include "messagelog/batch_tree.h"

namespace roadside::messagelog {
namespace {

namespace http = boost::beast::http;

Error tsa_failed(std::string detail) {
  return Error(make_error_code(crypto::errc::incorrect_validation_info), "time-stamping authority: " + std::move(detail));
}

}  // namespace

boost::asio::awaitable<Result<Timestamp>> request_timestamp(net::HttpClient& client, std::string url, std::string data,
                                                            std::vector<crypto::Certificate> tsa_certs) {
  auto query = crypto::make_timestamp_request(data);
  if (!query.ok()) co_return query.error();
  auto response = co_await client.post(url, "application/timestamp-query", std::move(query).value());
  if (!response.ok()) co_return response.error();
  const auto& msg = response->message;
  if (msg.result() != http::status::ok) co_return tsa_failed(url + " answered HTTP " + std::to_string(msg.result_int()));
  if (msg.body().size() > kMaxTimestampReplyBytes) co_return tsa_failed(url + " sent an oversized reply");
  auto token = crypto::timestamp_token_from_response(msg.body());
  if (!token.ok()) co_return tsa_failed(token.error().detail());
  auto info = crypto::verify_timestamp_token(*token, data, tsa_certs);
  if (!info.ok()) co_return info.error();
  co_return Timestamp{std::move(token).value(), std::move(info).value()};
}

Result<BatchTimestampChains> batch_timestamp_chains(const std::vector<std::string>& signatures) {
  std::string leaves;
  for (const auto& s : signatures) leaves += crypto::sha512(s);
  ROADSIDE_TRY(xml::HashTree tree, batch_tree(leaves));
  BatchTimestampChains out{tree.result(), {}};
  for (std::size_t i = 0; i < tree.size(); ++i) out.chains.push_back(tree.chain(i));
  return out;
}

}  // namespace roadside::messagelog
