// `roadside token logout` (X-Road's "Log out" of a token), through the control socket as the
// CLI sends it: the keys close, readiness "token" and X-Road's health check report the token,
// the logout is audited, and a login opens the keys again.
#include "server/control_commands.h"

#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "base/log.h"
#include "server/xroad_health.h"
#include "signer/keyconf.h"
#include "support/test_support.h"

namespace roadside::server {
namespace {

using namespace std::chrono_literals;
using roadside::testing::TempDir;

constexpr const char* kPin = "a-pin-0123";

// A software-token folder as X-Road's signer writes it: an authentication and a signing key.
void write_token_folder(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  auto auth_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto auth_cert = *crypto::issue_certificate({.common_name = "ss1", .usage = crypto::Usage::tls_server_and_client},
                                              auth_key, nullptr, auth_key);
  auto sign_key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto sign_cert =
      *crypto::issue_certificate({.common_name = "1234", .usage = crypto::Usage::signing}, sign_key, nullptr, sign_key);
  signer::Keyconf conf;
  conf.devices.push_back(
      {"softToken",
       "0",
       {{signer::KeyUsage::authentication,
         "AA01",
         "Auth key",
         "CKM_ECDSA",
         {{auth_cert.sha1_hex(), true, std::nullopt, auth_cert, "registered"}}},
        {signer::KeyUsage::signing,
         "BB02",
         "Sign key",
         "CKM_ECDSA",
         {{sign_cert.sha1_hex(), true, *XRoadId::member("DEV", "COM", "1234"), sign_cert, "registered"}}}}});
  roadside::testing::write_file(dir / "keyconf.xml", conf.to_xml());
  ASSERT_TRUE(signer::write_soft_token_key(dir, "AA01", auth_key, kPin).ok());
  ASSERT_TRUE(signer::write_soft_token_key(dir, "BB02", sign_key, kPin).ok());
}

TEST(TokenLogout, ClosesTheKeysMakesTheServerNotReadyAndIsAudited) {
  TempDir dir;
  write_token_folder(dir / "token");
  auto conn = storage::open_sqlite({dir / "roadside.db"});
  ASSERT_TRUE(conn.ok()) << conn.error().to_string();
  storage::Store store(std::move(conn).value());
  ASSERT_TRUE(store.migrate(storage::migrations()).ok());

  static std::ostringstream logged;  // outlives the test: the log keeps writing to it
  log::redirect_for_testing(logged);

  Readiness readiness;
  boost::asio::io_context io;
  TokenOptions token_options;
  token_options.import_dir = (dir / "token").string();
  token_options.pin = kPin;
  TokenService token(store, token_options, readiness);
  ASSERT_TRUE(token.start().ok());
  // No caching: each answer runs the checks.
  XRoadHealthCheck health(readiness, {0ms, 0ms});
  int server_proxy_starts = 0;
  ControlCommands control(
      io, dir / "control.sock", token,
      [&] {
        ++server_proxy_starts;
        return Status{};
      },
      readiness);
  ASSERT_TRUE(control.start().ok());
  std::thread loop([&io] {
    auto work = boost::asio::make_work_guard(io);
    io.run();
  });
  auto request = [&](const std::string& command, const std::string& argument = "") {
    auto answer = control_request(dir / "control.sock", command, argument, 10s);
    EXPECT_TRUE(answer.ok()) << answer.error().to_string();
    return answer.ok() ? *answer : std::string();
  };

  ASSERT_TRUE(token.token().active());
  EXPECT_FALSE(readiness.reason("token").has_value());
  EXPECT_EQ(health.answer().status, boost::beast::http::status::ok);

  const std::string out = request("token-logout");
  EXPECT_EQ(out.rfind("ok: token logged out", 0), 0u) << out;
  EXPECT_FALSE(token.token().active());
  auto auth = token.token().auth_key();
  ASSERT_FALSE(auth.ok());
  EXPECT_EQ(auth.error().code(), signer::errc::token_not_active);
  auto sign = token.token().signing_key(*XRoadId::member("DEV", "COM", "1234"));
  ASSERT_FALSE(sign.ok());
  EXPECT_EQ(sign.error().code(), signer::errc::token_not_active);
  const auto why = readiness.reason("token");
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("token_not_active"), std::string::npos) << *why;
  EXPECT_NE(why->find("logged out"), std::string::npos) << *why;
  const auto answer = health.answer();
  EXPECT_EQ(answer.status, boost::beast::http::status::internal_server_error);
  EXPECT_EQ(answer.body, "No certificate chain available in authentication key.\n");
  EXPECT_NE(
      logged.str().find(R"("log":"audit","msg":"Log out from token","data":{"token":"0"},"event":"Log out from token","user":"control socket")"),
      std::string::npos)
      << logged.str();

  // Again: nothing to log out.
  EXPECT_EQ(request("token-logout"), "ok: the token was not logged in");

  // A login opens the keys again, and starts the server proxy.
  EXPECT_EQ(request("token-login", kPin), "ok: token logged in");
  EXPECT_TRUE(token.token().auth_key().ok());
  EXPECT_FALSE(readiness.reason("token").has_value());
  EXPECT_EQ(health.answer().status, boost::beast::http::status::ok);
  EXPECT_EQ(server_proxy_starts, 1);

  control.close();
  io.stop();
  loop.join();
  log::redirect_for_testing(std::cout);
}

}  // namespace
}  // namespace roadside::server
