#include "server/ocsp_refresher.h"

#include <gtest/gtest.h>

namespace roadside::server {
namespace {

// Readiness follows the cache, not the last fetch: a responder that is down for a while is no
// reason to drain a node whose responses are still fresh (X-Road's health check asks its cache).
TEST(OcspRefresher, AFailedFetchIsAProblemOnlyOnceAResponseIsStale) {
  const Status failed = Error(std::make_error_code(std::errc::connection_refused), "OCSP responder http://ca:5577 refused");
  EXPECT_EQ(own_ocsp_problem(failed, ""), "");
  EXPECT_EQ(own_ocsp_problem(failed, "the response is 632 s old"), "OCSP responder http://ca:5577 refused");
  EXPECT_EQ(own_ocsp_problem(Status(), "the response is 632 s old"), "the response is 632 s old");
  EXPECT_EQ(own_ocsp_problem(Status(), ""), "");
}

}  // namespace
}  // namespace roadside::server
