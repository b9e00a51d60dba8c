// Issue 13, item 17: the health listener is on loopback unless configured otherwise, and
// /readyz names no database host or user.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>

#include <thread>

#include "net/http_client.h"
#include "server/health.h"
#include "storage/store.h"

namespace roadside::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

TEST(HealthOnLoopback, TheDefaultConfigurationBindsLoopback) {
  const config::Config defaults = config::Config::defaults();
  EXPECT_EQ(health_listener_options(defaults).address, "127.0.0.1");
  EXPECT_EQ(health_listener_options(defaults).port, 5588);

  // Probes over the Pod IP (the Kubernetes manifests) set it.
  config::Inputs in;
  in.env = {{"ROADSIDE_HEALTH_ADDRESS", "0.0.0.0"}, {"ROADSIDE_HEALTH_PORT", "0"}};
  auto loaded = config::Config::load(in);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(health_listener_options(*loaded).address, "0.0.0.0");

}

// Issue 13, item 10: no listener on all addresses unless it must be: the client proxy is on
// loopback by default (the sidecar); only what other Security Servers call (5500, 5577) is
// on every address.
TEST(UnauthenticatedResourceUse, OnlyThePeerFacingListenersAreOnAllAddressesByDefault) {
  const config::Config defaults = config::Config::defaults();
  EXPECT_EQ(defaults.str("listen.address"), "127.0.0.1");
  EXPECT_EQ(defaults.str("proxy.server_address"), "0.0.0.0");
  EXPECT_EQ(defaults.integer("http.max_connections"), 1024);
}

TEST(HealthOnLoopback, ReadyzNamesNoDatabaseHostOrUser) {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard(io.get_executor());
  std::thread thread([&io] { io.run(); });
  metrics::Registry metrics;
  Readiness readiness;
  const std::string cause =
      "cannot connect to postgresql://roadside_admin@db.internal.example:5432/roadside: connection to server at "
      "\"db.internal.example\" (10.1.2.3), port 5432 failed: Connection refused";
  readiness.add("storage", database_check([cause] {
                  return Status(Error(storage::make_error_code(storage::errc::connection_failed), cause));
                }));
  XRoadHealthCheck xroad(readiness, {});
  net::ServerOptions o;
  o.name = "health";
  auto server = std::make_unique<net::HttpServer>(io, o, make_health_handler(readiness, metrics, xroad), metrics);
  ASSERT_TRUE(server->start().ok());

  net::HttpClient client(io.get_executor());
  for (const std::string path : {"/readyz", "/metrics", "/"}) {
    auto url = *net::Url::parse("http://127.0.0.1:" + std::to_string(server->port()) + path);
    auto r = asio::co_spawn(io, client.request(url, http::request<http::string_body>{http::verb::get, path, 11}), asio::use_future).get();
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    const std::string& body = r->message.body();
    for (const std::string secret : {"db.internal.example", "roadside_admin", "10.1.2.3", "postgresql://"}) {
      EXPECT_EQ(body.find(secret), std::string::npos) << path << " names " << secret << ": " << body;
    }
    if (path == "/readyz") {
      EXPECT_EQ(r->message.result(), http::status::service_unavailable);
      EXPECT_NE(body.find("database unreachable"), std::string::npos) << body;
    }
  }
  server->stop_blocking(std::chrono::seconds(1));
  guard.reset();
  io.stop();
  thread.join();
}

}  // namespace
}  // namespace roadside::server
