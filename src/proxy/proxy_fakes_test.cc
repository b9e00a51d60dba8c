// The fakes that answer as the test PKI's OCSP responder (declared in proxy_fakes.h). They
// live in a test source because only tests may use testbed's stand-ins (CONTRIBUTING.md).
#include "proxy/proxy_fakes.h"

#include <gtest/gtest.h>

#include "testbed/authority.h"

namespace roadside::proxy::fakes {

std::string good_ocsp(const crypto::Certificate& cert, std::chrono::system_clock::time_point at) {
  const auto& pki = testing::test_pki();
  const std::string request = crypto::make_ocsp_request(cert, pki.ca).value();
  auto good = [](const std::string&) { return std::optional(testbed::OcspAnswer{crypto::CertStatus::good, {}}); };
  auto response =
      testbed::make_ocsp_response(request, good, {pki.ca, pki.ocsp, pki.ocsp_key}, at, std::chrono::hours(1));
  return response.value();
}

TransportMessage signed_as_batch(TransportMessage m, const signer::OpenKey& key,
                                 std::chrono::system_clock::time_point at,
                                 std::vector<signer::MessageParts> batch_with) {
  const std::vector<std::string> ocsp_responses = {good_ocsp(key.info.cert, at)};
  batch_with.insert(batch_with.begin(), signer::MessageParts{m.message, {}, m.attachment_digests().value()});
  auto signed_parts = signer::sign_batch(batch_with, {key.key, key.info.cert, ocsp_responses, {}}, at);
  EXPECT_TRUE(signed_parts.ok()) << signed_parts.error().to_string();
  if (signed_parts.ok()) m.signature = std::move(signed_parts->front());
  return m;
}

}  // namespace roadside::proxy::fakes
