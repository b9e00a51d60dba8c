// `roadside serve` as a real process: start-up time, health endpoints, limits counted in
// /metrics, SIGTERM, configuration precedence and errors, both databases.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>
#include <sys/socket.h>
#include <poll.h>
#include <netinet/in.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <regex>

#include <nlohmann/json.hpp>
#include <openssl/ssl.h>

#include <boost/asio/executor_work_guard.hpp>

#include "crypto/crypto.h"
#include "storage/store.h"
#include "globalconf/directory.h"
#include "testbed/publisher.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"

namespace roadside::testing {
namespace {

using namespace std::chrono_literals;
using Env = std::vector<std::pair<std::string, std::string>>;

std::optional<unsigned short> logged_port(const std::string& output) {
  std::smatch m;
  if (std::regex_search(output, m, std::regex(R"("msg":"listening".*"port":(\d+))"))) {
    return static_cast<unsigned short>(std::stoi(m[1]));
  }
  return std::nullopt;
}

struct Server {
  Server(TempDir& dir, std::vector<std::string> extra = {}, Env env = {})
      : process(args(dir, std::move(extra)), env, dir / "serve.log") {}
  static std::vector<std::string> args(TempDir& dir, std::vector<std::string> extra) {
    std::vector<std::string> a = {roadside_binary().string(), "serve", "--data-dir", (dir / "data").string(),
                                  "--health-port", "0", "--set", "admin.port=0", "--set", "proxy.client_port=0", "--set", "proxy.client_tls_port=0", "--set", "proxy.server_port=0",
                                  "--set", "proxy.ocsp_responder_port=0"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // Waits for the "listening" line and returns the health port.
  unsigned short port() {
    if (!port_) {
      EXPECT_TRUE(process.wait_for_output("\"msg\":\"started\"", 10s)) << process.output();
      port_ = logged_port(process.output());
    }
    return port_.value_or(0);
  }
  Process process;
  std::optional<unsigned short> port_;
};


TEST(Serve, LivezAnswersWithinASecondAndSigtermExitsZeroWithinASecond) {
  TempDir dir;
  const auto t0 = std::chrono::steady_clock::now();
  Server server(dir);
  std::optional<HttpReply> live;
  while (std::chrono::steady_clock::now() - t0 < 5s) {
    if (auto p = logged_port(server.process.output())) {
      live = http_get(*p, "/livez", 1s);
      if (live && live->status == 200) break;
    }
    std::this_thread::sleep_for(5ms);
  }
  const auto to_live = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(live.has_value()) << server.process.output();
  EXPECT_EQ(live->status, 200);
  EXPECT_EQ(nlohmann::json::parse(live->body)["status"], "alive");
  EXPECT_LT(to_live, latency_bound(1s)) << std::chrono::duration_cast<std::chrono::milliseconds>(to_live).count() << " ms";
  std::cout << "[ figures  ] /livez 200 after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(to_live).count() << " ms\n";
  EXPECT_TRUE(std::filesystem::exists(dir / "data" / "roadside.db"));

  const auto t1 = std::chrono::steady_clock::now();
  server.process.signal(SIGTERM);
  auto code = server.process.wait(5s);
  const auto to_exit = std::chrono::steady_clock::now() - t1;
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << server.process.output();
  EXPECT_LT(to_exit, latency_bound(1s));
  std::cout << "[ figures  ] exit 0 after SIGTERM in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(to_exit).count() << " ms\n";
  EXPECT_NE(server.process.output().find("\"msg\":\"stopped\""), std::string::npos);
  // The health port is closed.
  EXPECT_FALSE(http_get(server.port(), "/livez", 500ms).has_value());
}

// A request held open over TLS: the head and part of the body sent, the rest never.
class TlsHeldRequest {
 public:
  TlsHeldRequest(unsigned short port, const std::string& bytes)
      : fd_(connect_loopback(port)), ctx_(SSL_CTX_new(TLS_client_method())), ssl_(SSL_new(ctx_)) {
    SSL_set_fd(ssl_, fd_);
    sent_ = fd_ >= 0 && SSL_connect(ssl_) == 1 && SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size());
  }
  ~TlsHeldRequest() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  TlsHeldRequest(const TlsHeldRequest&) = delete;
  TlsHeldRequest& operator=(const TlsHeldRequest&) = delete;
  bool sent() const { return sent_; }

 private:
  int fd_;
  SSL_CTX* ctx_;
  SSL* ssl_;
  bool sent_ = false;
};

// SIGTERM with requests in flight on two listeners that outlive the drain deadline, while
// clients keep sending: the process exits 0 within one deadline (both listeners drain
// together), not one deadline per listener.
TEST(Serve, SigtermUnderLoadExitsWithinOneDrainDeadline) {
  TempDir dir;
  constexpr auto kDrain = 2000ms;
  Server server(dir, {"--set", "shutdown.drain_timeout_ms=2000", "--set", "http.min_body_rate=0", "--set", "http.body_timeout_ms=60000"});
  const unsigned short health = server.port();
  ASSERT_NE(health, 0) << server.process.output();
  nlohmann::json endpoints;
  std::istringstream lines(server.process.output());
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("msg", "") == "started") endpoints = j["endpoints"];
  }
  auto port_of = [](const std::string& url) { return static_cast<unsigned short>(std::stoi(url.substr(url.rfind(':') + 1))); };
  const unsigned short plain = port_of(endpoints.value("clientproxy", ":0"));
  const unsigned short tls = port_of(endpoints.value("clientproxy_tls", ":0"));
  ASSERT_NE(plain, 0) << endpoints.dump();
  ASSERT_NE(tls, 0) << endpoints.dump();

  // Four requests on each client proxy listener, their bodies never finished.
  const std::string partial = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<Envelope";
  std::vector<int> held_plain;
  std::vector<std::unique_ptr<TlsHeldRequest>> held_tls;
  for (int i = 0; i < 4; ++i) {
    const int fd = connect_loopback(plain);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL), static_cast<ssize_t>(partial.size()));
    held_plain.push_back(fd);
    held_tls.push_back(std::make_unique<TlsHeldRequest>(tls, partial));
    ASSERT_TRUE(held_tls.back()->sent());
  }
  metrics_when(health, "roadside_http_requests_total{listener=\"clientproxy\"}", 4, 5s);
  const std::string m = metrics_when(health, "roadside_http_requests_total{listener=\"clientproxy_tls\"}", 4, 5s);
  ASSERT_EQ(metric(m, "roadside_http_requests_total{listener=\"clientproxy_tls\"}"), 4) << m;

  // Clients keep sending small requests until the listeners close.
  std::atomic<bool> done{false};
  std::atomic<int> answered{0};
  std::thread load([&] {
    while (!done) {
      const bool a = http_get(plain, "/listClients", 500ms).has_value();
      const bool b = http_get(health, "/livez", 500ms).has_value();
      answered += a + b;
      if (!a || !b) std::this_thread::sleep_for(10ms);  // closed: no busy loop beside the stop
    }
  });
  std::this_thread::sleep_for(200ms);

  const auto t0 = std::chrono::steady_clock::now();
  server.process.signal(SIGTERM);
  auto code = server.process.wait(15s);
  const auto took = std::chrono::steady_clock::now() - t0;
  done = true;
  load.join();
  for (int fd : held_plain) ::close(fd);
  ASSERT_TRUE(code.has_value()) << server.process.output();
  EXPECT_EQ(*code, 0) << server.process.output();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  std::cout << "[ figures  ] exit 0 after SIGTERM under load in " << ms << " ms (drain deadline " << kDrain.count()
            << " ms, 8 requests held on 2 listeners, " << answered.load() << " small requests answered)\n";
  EXPECT_GE(took, kDrain - 100ms) << "the held requests were given the drain";
  // One after another, the two listeners took two deadlines (4 s).
  EXPECT_LT(took, kDrain + 1000ms + 500ms) << "one drain deadline for every listener";
  EXPECT_GT(answered.load(), 0);
  const std::string out = server.process.output();
  EXPECT_NE(out.find(R"("msg":"drain deadline passed; closing connections","connections":4,"listener":"clientproxy")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("msg":"drain deadline passed; closing connections","connections":4,"listener":"clientproxy_tls")"), std::string::npos) << out;
  EXPECT_NE(out.find("\"msg\":\"stopped\""), std::string::npos);
}

// The image's HEALTHCHECK: exit 0 when /livez answers, 1 with the reason when nothing does.
TEST(Serve, HealthcheckAsksTheRunningServer) {
  TempDir dir;
  Server server(dir);
  const unsigned short port = server.port();
  ASSERT_NE(port, 0) << server.process.output();
  std::string out;
  EXPECT_EQ(run_command(roadside_binary().string() + " healthcheck --health-port " + std::to_string(port) + " 2>&1", &out), 0)
      << out;
  EXPECT_NE(out.find("alive"), std::string::npos) << out;
  // /readyz is 503 here (no token, no configuration): not ready, and it says why.
  EXPECT_EQ(run_command(roadside_binary().string() + " healthcheck --path /readyz --health-port " + std::to_string(port) + " 2>&1",
                        &out),
            1)
      << out;
  EXPECT_NE(out.find("answered 503"), std::string::npos) << out;
  server.process.signal(SIGTERM);
  ASSERT_EQ(server.process.wait(5s), 0);
  EXPECT_EQ(run_command(roadside_binary().string() + " healthcheck --timeout-ms 500 --health-port " + std::to_string(port) + " 2>&1",
                        &out),
            1);
  EXPECT_NE(out.find("cannot connect"), std::string::npos) << out;
}

TEST(Serve, EveryLogLineIsJson) {
  TempDir dir;
  Server server(dir);
  ASSERT_NE(server.port(), 0);
  server.process.signal(SIGINT);
  ASSERT_EQ(server.process.wait(5s), 0);
  std::istringstream lines(server.process.output());
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
  }
  EXPECT_GE(n, 4);
}

TEST(Serve, ReadyzIs503WithAReasonUntilMessagesCanFlow) {
  TempDir dir;
  Server server(dir);
  auto r = http_get(server.port(), "/readyz", 2s);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["status"], "not_ready");
  ASSERT_FALSE(j["reasons"].empty());
  EXPECT_EQ(j["reasons"][0]["component"], "globalconf");
  // X-Road's health check on the same port, any method and path: its first check fails.
  auto xroad = http_get(server.port(), "/", 2s);
  ASSERT_TRUE(xroad.has_value());
  EXPECT_EQ(xroad->status, 500);
  EXPECT_EQ(xroad->body, "Global configuration is expired\n");
  const std::string post = raw_request(
      server.port(), "POST /anything HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}", 2s);
  EXPECT_EQ(post.rfind("HTTP/1.1 500", 0), 0u) << post;
  EXPECT_TRUE(post.ends_with("\r\n\r\nGlobal configuration is expired\n")) << post;
}

// A Central Server stand-in (the testbed's publisher) on loopback, and roadside serve with its
// anchor: the configuration is downloaded, verified, counted, and used after a restart
// while the Central Server is away.
TEST(Serve, DownloadsTheGlobalConfigurationAndKeepsItOffline) {
  TempDir dir;
  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  std::thread thread([&] { io.run(); });
  metrics::Registry registry;
  auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  auto cert = *crypto::issue_certificate({.common_name = "TB signing", .usage = crypto::Usage::ca}, key, nullptr, key);
  const std::string shared =
      "<ns2:conf xmlns:ns2=\"http://x-road.eu/xsd/xroad.xsd\"><instanceIdentifier>TB</instanceIdentifier></ns2:conf>";
  testbed::ConfigurationPublisher publisher({dir / "public", "TB", {6}, std::chrono::hours(1),
                                             {{"SHARED-PARAMETERS", "shared-params.xml", shared}}},
                                            key, cert);
  auto central = std::make_unique<testbed::PublisherServer>(io, publisher, net::ServerOptions{}, registry);
  ASSERT_TRUE(central->start().ok());
  write_file(dir / "anchor.xml", roadside::globalconf::Anchor{"TB", std::nullopt, {{central->url(), {cert}}}}.to_xml());
  {
    Server server(dir, {"--set", "globalconf.anchor=" + (dir / "anchor.xml").string()});
    ASSERT_TRUE(server.process.wait_for_output("\"msg\":\"global configuration updated\"", 10s)) << server.process.output();
    const std::string m = metrics_when(server.port(), "roadside_globalconf_version", 6, 10s);
    EXPECT_GE(metric(m, "roadside_globalconf_updates_total{result=\"ok\"}"), 1) << m;
    EXPECT_EQ(metric(m, "roadside_globalconf_version"), 6) << m;
    EXPECT_GT(metric(m, "roadside_globalconf_expires_timestamp_seconds"), 0) << m;
    // What keeps it from being ready is the message exchange's set-up (no token, no server
    // configuration), not the global configuration.
    auto r = http_get(server.port(), "/readyz", 2s);
    ASSERT_TRUE(r.has_value());
    auto j = nlohmann::json::parse(r->body);
    ASSERT_FALSE(j["reasons"].empty()) << r->body;
    for (const auto& reason : j["reasons"]) EXPECT_NE(reason["component"], "globalconf") << r->body;
    EXPECT_NE(r->body.find("token_not_active"), std::string::npos) << r->body;
    // X-Road's health check: the configuration passes, the token (not logged in) fails.
    auto xroad = http_get(server.port(), "/", 2s);
    ASSERT_TRUE(xroad.has_value());
    EXPECT_EQ(xroad->status, 500);
    EXPECT_EQ(xroad->body, "No certificate chain available in authentication key.\n");
    server.process.signal(SIGTERM);
    EXPECT_EQ(server.process.wait(5s), 0);
  }
  central->stop_blocking(std::chrono::seconds(1));
  {
    Server offline(dir, {"--set", "globalconf.anchor=" + (dir / "anchor.xml").string()});
    EXPECT_TRUE(offline.process.wait_for_output("global configuration loaded from the cache", 10s)) << offline.process.output();
    EXPECT_TRUE(offline.process.wait_for_output("global configuration download failed", 10s)) << offline.process.output();
    auto r = http_get(offline.port(), "/readyz", 2s);
    ASSERT_TRUE(r.has_value());
    const auto offline_ready = nlohmann::json::parse(r->body);
    for (const auto& reason : offline_ready["reasons"]) EXPECT_NE(reason["component"], "globalconf") << r->body;
  }
  // A broken anchor is a clear start-up error.
  write_file(dir / "bad-anchor.xml", "<configurationAnchor/>");
  Server bad(dir, {"--set", "globalconf.anchor=" + (dir / "bad-anchor.xml").string()});
  EXPECT_EQ(bad.process.wait(5s), 1);
  EXPECT_NE(bad.process.output().find("instanceIdentifier"), std::string::npos) << bad.process.output();
  guard.reset();
  io.stop();
  thread.join();
}

TEST(Serve, LimitsCutOffAbusiveClientsAndCountThemInMetrics) {
  TempDir dir;
  Server server(dir, {"--set", "http.max_header_bytes=2048", "--set", "http.header_timeout_ms=300", "--set",
                      "http.idle_timeout_ms=300"});
  const unsigned short port = server.port();
  ASSERT_NE(port, 0);
  const std::string big = raw_request(port, "GET /livez HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4096, 'p') + "\r\n\r\n", 3s);
  EXPECT_EQ(big.rfind("HTTP/1.1 431", 0), 0u) << big;
  const std::string slow = raw_request(port, "GET /livez HTTP/1.1\r\nHost: x\r\n", 3s);
  EXPECT_EQ(slow.rfind("HTTP/1.1 408", 0), 0u) << slow;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(raw_request(port, "", 3s), "");  // idle: closed by the server
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);

  auto m = http_get(port, "/metrics", 2s);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(metric(m->body, R"(roadside_http_rejected_total{listener="health",reason="header_too_large"})"), 1) << m->body;
  EXPECT_EQ(metric(m->body, R"(roadside_http_rejected_total{listener="health",reason="header_timeout"})"), 1);
  EXPECT_GE(metric(m->body, R"(roadside_http_idle_closed_total{listener="health"})"), 1);
  EXPECT_GT(metric(m->body, "process_resident_memory_bytes"), 0);
}

TEST(Serve, OversizedBodiesGet413) {
  TempDir dir;
  Server server(dir, {"--set", "http.max_body_bytes=1000"});
  const std::string reply =
      raw_request(server.port(), "POST /livez HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", 3s);
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  auto m = http_get(server.port(), "/metrics", 2s);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(metric(m->body, R"(roadside_http_rejected_total{listener="health",reason="body_too_large"})"), 1);
}

TEST(Serve, KeepsItsIdentityAcrossRestarts) {
  TempDir dir;
  std::string first_id;
  for (int run = 0; run < 2; ++run) {
    Server server(dir);
    ASSERT_NE(server.port(), 0);
    std::smatch m;
    const std::string out = server.process.output();
    ASSERT_TRUE(std::regex_search(out, m, std::regex(R"re("first_run":(true|false),"instance_id":"([0-9a-f-]+)")re"))) << out;
    EXPECT_EQ(m[1].str(), run == 0 ? "true" : "false");
    // The audit log records the first initialization only.
    EXPECT_EQ(out.find("\"log\":\"audit\",\"msg\":\"Initialize server instance\"") != std::string::npos, run == 0) << out;
    if (run == 0) first_id = m[2];
    else EXPECT_EQ(m[2].str(), first_id);
    server.process.signal(SIGTERM);
    ASSERT_EQ(server.process.wait(5s), 0);
  }
}

TEST(Serve, StartupErrorsAreClearAndExitNonZero) {
  TempDir dir;
  {
    Process p({roadside_binary().string(), "serve", "--data-dir", "/dev/null/roadside", "--health-port", "0"}, {},
              dir / "a.log");
    EXPECT_EQ(p.wait(5s), 1);
    EXPECT_NE(p.output().find("data directory /dev/null/roadside cannot be created"), std::string::npos) << p.output();
  }
  {
    Server holder(dir);
    const unsigned short taken = holder.port();
    TempDir other;
    Process p({roadside_binary().string(), "serve", "--data-dir", (other / "d").string(), "--health-port",
               std::to_string(taken)},
              {}, dir / "b.log");
    EXPECT_EQ(p.wait(5s), 1);
    EXPECT_NE(p.output().find("cannot listen on 127.0.0.1:" + std::to_string(taken)), std::string::npos) << p.output();
  }
  {
    Process p({roadside_binary().string(), "serve", "--data-dir", (dir / "c").string()}, {{"XROAD_DB_PORT", "54x"}},
              dir / "c.log");
    EXPECT_EQ(p.wait(5s), 2);
    EXPECT_NE(p.output().find("database.port (from XROAD_DB_PORT): \"54x\" is not an integer"), std::string::npos)
        << p.output();
  }
}

// A component that fails late (the proxies, after the database thread, the token, the
// configuration follower and the OCSP refresher have started) stops the ones before it and
// itself cleanly: exit 1 naming it, no crash (ASan would report a use after free).
TEST(Serve, ALateStartFailureStopsEveryComponentCleanly) {
  TempDir dir;
  unsigned short taken = 0;
  const int holder = listen_loopback(taken);
  ASSERT_GE(holder, 0);
  Server server(dir, {"--set", "proxy.client_tls_port=" + std::to_string(taken)});
  auto code = server.process.wait(10s);
  ::close(holder);
  ASSERT_TRUE(code.has_value()) << server.process.output();
  EXPECT_EQ(*code, 1) << server.process.output();
  const std::string out = server.process.output();
  EXPECT_NE(out.find(R"("msg":"cannot start","component":"proxy")"), std::string::npos) << out;
  EXPECT_NE(out.find("listener clientproxy_tls cannot listen on 127.0.0.1:" + std::to_string(taken)), std::string::npos) << out;
  EXPECT_EQ(out.find("\"msg\":\"started\""), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir / "data" / "control.sock"));
}

// TLS as X-Road's options write it (issue 15, item 4): a protocol or suite that cannot be used
// stops the start with the option and the culprit named, not a listener no client can reach.
// (The log is JSON: the quotes around the culprit come escaped.)
TEST(Serve, AnUnusableTlsPolicyStopsTheStartNamingTheOption) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"proxy.xroad_tls_protocols=TLSv1.1", R"(proxy.xroad_tls_protocols/proxy.xroad_tls_ciphers: unknown TLS protocol \"TLSv1.1\")"},
      {"proxy.client_tls_ciphers=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_NO_SUCH_SUITE",
       R"(proxy.client_tls_protocols/proxy.client_tls_ciphers: unknown cipher suite \"TLS_NO_SUCH_SUITE\")"},
      {"proxy.client_tls_protocols=TLSv1.2,TLSv1.3", "TLSv1.3 is enabled but none of the cipher suites is a TLS 1.3 suite"},
  };
  for (const auto& [setting, words] : cases) {
    TempDir dir;
    Server server(dir, {"--set", setting});
    auto code = server.process.wait(10s);
    ASSERT_TRUE(code.has_value()) << setting << ": " << server.process.output();
    EXPECT_EQ(*code, 1) << server.process.output();
    const std::string out = server.process.output();
    EXPECT_NE(out.find(R"("msg":"cannot start","component":"proxy")"), std::string::npos) << out;
    EXPECT_NE(out.find(words), std::string::npos) << setting << ": " << out;
  }
}

TEST(Serve, RefusesADatabaseFromANewerRoadside) {
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  {
    storage::Store store(std::move(storage::open_sqlite({dir / "data" / "roadside.db"})).value());
    std::vector<storage::Migration> newer(storage::migrations().begin(), storage::migrations().end());
    newer.push_back({static_cast<int>(newer.size()) + 1, "future", "CREATE TABLE future (id INTEGER);",
                     "CREATE TABLE future (id INTEGER);"});
    ASSERT_TRUE(store.migrate(newer, "9.9.9").ok());
  }
  Server server(dir);
  EXPECT_EQ(server.process.wait(5s), 1);
  EXPECT_NE(server.process.output().find("written by Roadside 9.9.9"), std::string::npos) << server.process.output();
}

TEST(Serve, UpgradesADatabaseOfSchemaVersion1) {
  // The database an earlier Roadside wrote, as it is kept in tests/fixtures.
  TempDir dir;
  std::filesystem::create_directories(dir / "data");
  const auto fixture = source_dir() / "tests" / "fixtures" / "sqlite-schema-1-roadside-0.1.0.sql";
  std::string out;
  ASSERT_EQ(run_command("sqlite3 " + (dir / "data" / "roadside.db").string() + " < " + fixture.string(), &out), 0) << out;

  Server server(dir);
  ASSERT_NE(server.port(), 0);
  const std::string log = server.process.output();
  const int latest = static_cast<int>(storage::migrations().size());
  EXPECT_NE(log.find("\"msg\":\"database migrated\""), std::string::npos) << log;
  // The same server: its identity is the one the earlier version made, and no first run.
  EXPECT_NE(log.find("\"first_run\":false,\"instance_id\":\"cc8d2dca-2f40-41cc-bc87-d36a25e12847\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"schema_version\":" + std::to_string(latest)), std::string::npos) << log;
  server.process.signal(SIGTERM);
  ASSERT_EQ(server.process.wait(5s), 0);

  // Each version is recorded with the product that applied it.
  storage::Store store(std::move(storage::open_sqlite({dir / "data" / "roadside.db"})).value());
  auto rows = store.with_connection([](storage::Connection& c) { return c.query("SELECT version, product_version FROM roadside_schema ORDER BY version"); });
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), static_cast<std::size_t>(latest));
  EXPECT_EQ(storage::as_text((*rows)[0][1]), "0.1.0");
  EXPECT_EQ(storage::as_text((*rows)[latest - 1][1]), ROADSIDE_VERSION);
  // The tables of later versions are usable.
  auto revisions = store.with_connection([](storage::Connection& c) { return c.query("SELECT COUNT(*) FROM server_configuration"); });
  EXPECT_TRUE(revisions.ok()) << revisions.error().to_string();
}

// A new database on ctest's PostgreSQL server, named `prefix` and this process's id, and
// the options that reach it; std::nullopt (with a test failure) when it cannot be made.
std::optional<storage::PostgresOptions> new_pg_database(const std::string& prefix) {
  std::ifstream in(std::getenv("ROADSIDE_TEST_PG_INFO"));
  std::string line;
  std::getline(in, line);
  std::smatch m;
  if (!std::regex_search(line, m, std::regex(R"(host=(\S+) port=(\d+))"))) {
    ADD_FAILURE() << "unreadable PostgreSQL info: " << line;
    return std::nullopt;
  }
  storage::PostgresOptions o{"127.0.0.1", std::stoi(m[2]), "postgres", "", "postgres", "disable"};
  auto c = storage::open_postgres(o);
  if (!c.ok()) {
    ADD_FAILURE() << c.error().to_string();
    return std::nullopt;
  }
  o.database = prefix + std::to_string(::getpid());
  if (auto st = (*c)->execute_script("CREATE DATABASE " + o.database); !st.ok()) {
    ADD_FAILURE() << st.error().to_string();
    return std::nullopt;
  }
  return o;
}

// The secrets a first start made, as the database keeps them.
struct Secrets {
  std::string instance_id, internal_tls, admin_hash;
};
Secrets secrets_of(storage::Store& store) {
  Secrets s;
  s.instance_id = store.get_setting("instance.id").value_or(std::nullopt).value_or("");
  s.internal_tls = store.get_setting("internal_tls.pem").value_or(std::nullopt).value_or("");
  auto rows = store.with_connection([](storage::Connection& c) { return c.query("SELECT name, password_hash FROM administrators"); });
  if (rows.ok() && rows->size() == 1) s.admin_hash = storage::as_text((*rows)[0][1]).value_or("");
  return s;
}

const Env kAdmin = {{"XROAD_ADMIN_USER", "xrd"}, {"XROAD_ADMIN_PASSWORD", "the same for both"}};

TEST(Serve, TwoServersFromScratchHaveSecretsOfTheirOwn) {
  std::vector<Secrets> found;
  for (int n = 0; n < 2; ++n) {
    TempDir dir;
    {
      Server server(dir, {}, kAdmin);
      ASSERT_NE(server.port(), 0);
      EXPECT_NE(server.process.output().find("\"msg\":\"Create initial administrator\""), std::string::npos) << server.process.output();
      EXPECT_EQ(server.process.output().find("the same for both"), std::string::npos) << "the password must never be logged";
      server.process.signal(SIGTERM);
      ASSERT_EQ(server.process.wait(5s), 0);
    }
    storage::Store store(std::move(storage::open_sqlite({dir / "data" / "roadside.db"})).value());
    found.push_back(secrets_of(store));
    EXPECT_FALSE(found.back().instance_id.empty());
    EXPECT_NE(found.back().internal_tls.find("PRIVATE KEY"), std::string::npos);
    EXPECT_TRUE(crypto::verify_password("the same for both", found.back().admin_hash)) << found.back().admin_hash;
  }
  EXPECT_NE(found[0].instance_id, found[1].instance_id);
  EXPECT_NE(found[0].internal_tls, found[1].internal_tls);
  EXPECT_NE(found[0].admin_hash, found[1].admin_hash);  // same password, different salts
}

// The internal TLS key is RSA 2048 as X-Road's (its client-side suites on port 8443 are all RSA
// ones); an EC key an earlier Roadside made is replaced at the next start.
TEST(Serve, TheInternalTlsKeyIsRsaAndAnEarlierEcKeyIsReplaced) {
  TempDir dir;
  auto internal_cert = [&]() {
    storage::Store store(std::move(storage::open_sqlite({dir / "data" / "roadside.db"})).value());
    const std::string pem = secrets_of(store).internal_tls;
    return crypto::Certificate::from_pem(pem.substr(std::min(pem.size(), pem.find("-----BEGIN CERTIFICATE-----"))));
  };
  auto run_once = [&]() {
    Server server(dir);
    EXPECT_NE(server.port(), 0);
    server.process.signal(SIGTERM);
    EXPECT_EQ(server.process.wait(5s), 0);
    return server.process.output();
  };
  run_once();
  auto first = internal_cert();
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->is_ec_key());
  {
    auto key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
    auto cert = *crypto::issue_certificate({.common_name = "Roadside internal TLS", .usage = crypto::Usage::tls_server}, key, nullptr, key);
    storage::Store store(std::move(storage::open_sqlite({dir / "data" / "roadside.db"})).value());
    ASSERT_TRUE(store.put_setting("internal_tls.pem", key.to_pem() + cert.to_pem()).ok());
  }
  ASSERT_TRUE(internal_cert()->is_ec_key());
  const std::string log = run_once();
  EXPECT_NE(log.find("\"msg\":\"Replace internal TLS key\""), std::string::npos) << log;
  auto replaced = internal_cert();
  ASSERT_TRUE(replaced.ok());
  EXPECT_FALSE(replaced->is_ec_key());
  EXPECT_NE(replaced->to_der(), first->to_der());
  // Once replaced, it stays.
  EXPECT_EQ(run_once().find("Replace internal TLS key"), std::string::npos);
  EXPECT_EQ(internal_cert()->to_der(), replaced->to_der());
}

// A new host (a new, empty data directory) on the same database is the same server.
TEST(Serve, TheDatabaseAloneCarriesTheIdentityToANewHost) {
  if (!std::getenv("ROADSIDE_TEST_PG_INFO")) GTEST_SKIP() << "no PostgreSQL test server (run through ctest)";
  const auto admin = new_pg_database("roadside_identity_");
  ASSERT_TRUE(admin.has_value());
  const std::string port = std::to_string(admin->port);
  const std::string db = admin->database;
  // A software token (an authentication and a signing key, as X-Road's signer keeps them),
  // imported on the first host only; the second has the database and the PIN, nothing else.
  TempDir instance;
  const std::string pin = "identity-pin-1234";
  Process init({roadside_binary().string(), "testbed", "init", "--dir", (instance / "i").string(), "--servers", "1"},
               {{"XROAD_TOKEN_PIN", pin}}, instance / "init.log");
  ASSERT_EQ(init.wait(60s), 0) << init.output();
  Env env = {{"XROAD_DB_HOST", "127.0.0.1"}, {"XROAD_DB_PORT", port}, {"XROAD_DB_USER", "postgres"}, {"XROAD_DATABASE_NAME", db},
             {"XROAD_TOKEN_PIN", pin}};
  env.insert(env.end(), kAdmin.begin(), kAdmin.end());
  std::vector<Secrets> found;
  for (int host = 0; host < 2; ++host) {
    TempDir dir;  // each start on an empty data directory
    Env host_env = env;
    if (host == 0) host_env.emplace_back("ROADSIDE_TOKEN_IMPORT_DIR", (instance / "i" / "servers" / "ss1" / "token").string());
    {
      Server server(dir, {"--set", "database.sslmode=disable"}, host_env);
      ASSERT_NE(server.port(), 0) << server.process.output();
      ASSERT_TRUE(server.process.wait_for_output("\"token logged in\"", 10s)) << server.process.output();
      const std::string out = server.process.output();
      EXPECT_NE(out.find(host == 0 ? "\"first_run\":true" : "\"first_run\":false"), std::string::npos) << out;
      EXPECT_EQ(out.find("Create initial administrator") != std::string::npos, host == 0) << out;
      EXPECT_EQ(out.find("software token imported") != std::string::npos, host == 0) << out;
      EXPECT_NE(out.find("\"msg\":\"token logged in\",\"keys\":2"), std::string::npos) << out;  // both keys open
      server.process.signal(SIGTERM);
      ASSERT_EQ(server.process.wait(5s), 0);
    }
    storage::Store store(std::move(storage::open_postgres(*admin)).value());
    found.push_back(secrets_of(store));
    // Keys at rest (issue 13, item 12): imported with the PIN, the keys went in sealed; no
    // .p12 is in the database.
    auto keys = store.with_connection(
        [](storage::Connection& c) { return c.query("SELECT key_pkcs12 IS NULL, key_wrapped FROM token_keys"); });
    ASSERT_TRUE(keys.ok()) << keys.error().to_string();
    ASSERT_EQ(keys->size(), 2u);
    for (const auto& row : *keys) {
      EXPECT_EQ(storage::as_text(row[0]), "1") << "a PKCS#12 file is in the database";
      EXPECT_EQ(storage::as_text(row[1]).value_or("").substr(0, 15), "roadside-key-v1");
    }
  }
  EXPECT_FALSE(found[0].internal_tls.empty());
  EXPECT_EQ(found[0].instance_id, found[1].instance_id);
  EXPECT_EQ(found[0].internal_tls, found[1].internal_tls);
  EXPECT_EQ(found[0].admin_hash, found[1].admin_hash);
}

// ---- cluster roles ---------------------------------------------------------------------

TEST(Serve, AClusterRoleNeedsPostgreSQL) {
  TempDir dir;
  Server server(dir, {"--set", "node.role=secondary"});
  EXPECT_EQ(server.process.wait(5s), 1);
  EXPECT_NE(server.process.output().find("node.role secondary needs the cluster's PostgreSQL database"), std::string::npos)
      << server.process.output();
}

TEST(Serve, ASecondaryDoesNotStartBeforeThePrimaryMadeTheInstance) {
  if (!std::getenv("ROADSIDE_TEST_PG_INFO")) GTEST_SKIP() << "no PostgreSQL test server (run through ctest)";
  const auto pg = new_pg_database("roadside_secondary_");
  ASSERT_TRUE(pg.has_value());
  const Env env = {{"XROAD_DB_HOST", "127.0.0.1"}, {"XROAD_DB_PORT", std::to_string(pg->port)}, {"XROAD_DB_USER", "postgres"},
                   {"XROAD_DATABASE_NAME", pg->database}};
  TempDir dir;
  {
    Server secondary(dir, {"--set", "database.sslmode=disable", "--set", "node.role=secondary"}, env);
    EXPECT_EQ(secondary.process.wait(10s), 1);
    EXPECT_NE(secondary.process.output().find("start the primary (node.role=primary) first"), std::string::npos)
        << secondary.process.output();
  }
  storage::Store store(std::move(storage::open_postgres(*pg)).value());
  EXPECT_FALSE(*store.get_setting("instance.id"));  // it made nothing
  {
    Server primary(dir, {"--set", "database.sslmode=disable", "--set", "node.role=primary"}, env);
    ASSERT_NE(primary.port(), 0) << primary.process.output();
    primary.process.signal(SIGTERM);
    ASSERT_EQ(primary.process.wait(5s), 0);
  }
  TempDir other;
  Server secondary(other, {"--set", "database.sslmode=disable", "--set", "node.role=secondary"}, env);
  ASSERT_NE(secondary.port(), 0) << secondary.process.output();
  EXPECT_NE(secondary.process.output().find("\"node_role\":\"secondary\""), std::string::npos) << secondary.process.output();
  secondary.process.signal(SIGTERM);
  EXPECT_EQ(secondary.process.wait(5s), 0);
}

// A TCP relay to PostgreSQL that can stop passing bytes while keeping every connection open:
// a database host that stops answering, as the server sees it.
class SilentRelay {
 public:
  explicit SilentRelay(unsigned short target) : target_(target), listen_fd_(listen_loopback(port_)) {
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~SilentRelay() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    accept_thread_.join();
    for (auto& t : pipes_) t.join();
  }
  unsigned short port() const { return port_; }
  void go_silent() { silent_ = true; }

 private:
  void accept_loop() {
    while (!stop_) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;
      const int server = connect_loopback(target_);
      if (server < 0) {
        ::close(client);
        continue;
      }
      pipes_.emplace_back([this, client, server] { pipe(client, server); });
    }
  }
  // Passes bytes both ways until either side closes; when silent, holds them.
  void pipe(int a, int b) {
    char buf[16384];
    while (!stop_) {
      if (silent_) {
        std::this_thread::sleep_for(50ms);
        continue;
      }
      pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      bool closed = false;
      for (int i = 0; i < 2 && !closed && !silent_; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const auto n = ::recv(p[i].fd, buf, sizeof buf, 0);
        if (n <= 0 || ::send(p[1 - i].fd, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) closed = true;
      }
      if (closed) break;
    }
    ::close(a);
    ::close(b);
  }
  unsigned short target_, port_ = 0;
  int listen_fd_;
  std::atomic<bool> stop_{false}, silent_{false};
  std::thread accept_thread_;
  std::vector<std::thread> pipes_;
};

// 9. The database on the I/O threads: with its PostgreSQL host silent, the server's health
// endpoints and proxies go on answering at once, /readyz says the database is not answering,
// and database calls end at their deadline.
TEST(Serve, DatabaseOnTheIoThreadsASilentDatabaseHoldsUpNeitherHealthNorProxies) {
  if (!std::getenv("ROADSIDE_TEST_PG_INFO")) GTEST_SKIP() << "no PostgreSQL test server (run through ctest)";
  const auto pg = new_pg_database("roadside_silent_");
  ASSERT_TRUE(pg.has_value());
  SilentRelay relay(static_cast<unsigned short>(pg->port));
  const Env env = {{"XROAD_DB_HOST", "127.0.0.1"}, {"XROAD_DB_PORT", std::to_string(relay.port())}, {"XROAD_DB_USER", "postgres"},
                   {"XROAD_DATABASE_NAME", pg->database}};
  TempDir dir;
  // (Reconnecting to a silent host takes database.connect_timeout_s: 2 s here, so stopping
  // the server at the end does not wait long on it.)
  Server server(dir,
                {"--set", "database.sslmode=disable", "--set", "database.statement_timeout_ms=2000", "--set",
                 "database.connect_timeout_s=2", "--set", "server_conf.poll_interval_s=1"},
                env);
  const unsigned short health = server.port();
  ASSERT_NE(health, 0) << server.process.output();
  std::string client_proxy;
  {
    std::istringstream lines(server.process.output());
    for (std::string line; std::getline(lines, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("msg", "") == "started") client_proxy = j["endpoints"].value("clientproxy", "");
    }
  }
  ASSERT_FALSE(client_proxy.empty()) << server.process.output();
  const unsigned short client_port = static_cast<unsigned short>(std::stoi(client_proxy.substr(client_proxy.rfind(':') + 1)));

  relay.go_silent();
  const auto t0 = std::chrono::steady_clock::now();
  bool reported = false;
  while (std::chrono::steady_clock::now() - t0 < 12s) {
    const auto asked = std::chrono::steady_clock::now();
    auto live = http_get(health, "/livez", 1s);
    auto ready = http_get(health, "/readyz", 1s);
    auto proxy = http_get(client_port, "/listClients", 1s);
    ASSERT_TRUE(live.has_value()) << "/livez did not answer within 1 s of the database going silent";
    ASSERT_TRUE(ready.has_value()) << "/readyz did not answer within 1 s";
    ASSERT_TRUE(proxy.has_value()) << "the client proxy did not answer within 1 s";
    EXPECT_EQ(live->status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - asked, 2s);
    if (ready->body.find("the database has not answered") != std::string::npos ||
        ready->body.find("database unreachable") != std::string::npos) {
      reported = true;
      EXPECT_EQ(ready->status, 503);
      EXPECT_EQ(ready->body.find("127.0.0.1"), std::string::npos) << ready->body;
    }
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(reported) << "/readyz never said the database is not answering";
  // The database calls themselves end at their deadline (2 s + 2 s) and say so in the log.
  EXPECT_TRUE(server.process.wait_for_output("no answer within 4000 ms", 10s)) << server.process.output();
  server.process.signal(SIGTERM);
  EXPECT_EQ(server.process.wait(20s), 0) << server.process.output();
}

TEST(Serve, RunsOnPostgreSQL) {
  if (!std::getenv("ROADSIDE_TEST_PG_INFO")) GTEST_SKIP() << "no PostgreSQL test server (run through ctest)";
  const auto created = new_pg_database("roadside_serve_");
  ASSERT_TRUE(created.has_value());
  const std::string port = std::to_string(created->port);
  const std::string db = created->database;
  TempDir dir;
  Server server(dir, {"--set", "database.sslmode=disable"},
                {{"XROAD_DB_HOST", "127.0.0.1"}, {"XROAD_DB_PORT", port}, {"XROAD_DB_USER", "postgres"},
                 {"XROAD_DB_PWD", "not-needed-with-trust"}, {"XROAD_DATABASE_NAME", db}});
  auto live = http_get(server.port(), "/livez", 2s);
  ASSERT_TRUE(live.has_value()) << server.process.output();
  EXPECT_EQ(live->status, 200);
  const std::string out = server.process.output();
  EXPECT_NE(out.find("postgresql://postgres@127.0.0.1:" + port + "/" + db), std::string::npos) << out;
  EXPECT_EQ(out.find("not-needed-with-trust"), std::string::npos);  // the password never reaches the log
  // An unauthenticated database connection is not silent (issue 13, item 12).
  EXPECT_NE(out.find("the database connection does not authenticate the server"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir / "data" / "roadside.db"));
  server.process.signal(SIGTERM);
  EXPECT_EQ(server.process.wait(5s), 0);
}

// ---- roadside config show ----------------------------------------------------------

TEST(ConfigShow, FileThenEnvironmentThenFlagsWithSecretsRedacted) {
  TempDir dir;
  write_file(dir / "roadside.yaml",
             "log:\n  level: debug\ndatabase:\n  port: 1111\n  host: db.file\n  name: filedb\nhealth:\n  port: 2222\n");
  Process p({roadside_binary().string(), "config", "show", "--format", "json", "--config", (dir / "roadside.yaml").string(),
             "--health-port", "4444"},
            {{"XROAD_DB_PORT", "3333"}, {"XROAD_DB_HOST", "db.env"}, {"XROAD_TOKEN_PIN", "pin-1234-secret"},
             {"XROAD_DB_PWD", "db-secret-pw"}, {"XROAD_ADMIN_PASSWORD", "admin-secret-pw"}, {"XROAD_ADMIN_USER", "xrd"}},
            dir / "show.log");
  ASSERT_EQ(p.wait(5s), 0) << p.output();
  const std::string out = p.output();
  for (const char* secret : {"pin-1234-secret", "db-secret-pw", "admin-secret-pw"}) {
    EXPECT_EQ(out.find(secret), std::string::npos) << secret;
  }
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["log.level"]["value"], "DEBUG");         // file
  EXPECT_EQ(j["log.level"]["source"], "file");
  EXPECT_EQ(j["database.name"]["value"], "filedb");    // file
  EXPECT_EQ(j["database.port"]["value"], 3333);        // env beats file
  EXPECT_EQ(j["database.port"]["origin"], "XROAD_DB_PORT");
  EXPECT_EQ(j["database.host"]["value"], "db.env");
  EXPECT_EQ(j["health.port"]["value"], 4444);          // flag beats file
  EXPECT_EQ(j["health.port"]["source"], "flag");
  EXPECT_EQ(j["token.pin"]["value"], "<redacted>");
  EXPECT_EQ(j["database.password"]["value"], "<redacted>");
  EXPECT_EQ(j["admin.password"]["value"], "<redacted>");
  EXPECT_EQ(j["admin.user"]["value"], "xrd");
  EXPECT_EQ(j["database.user"]["source"], "default");

  // --set beats the environment too, and the YAML form says where each value came from.
  Process y({roadside_binary().string(), "config", "show", "--config", (dir / "roadside.yaml").string(), "--set",
             "database.port=5555"},
            {{"XROAD_DB_PORT", "3333"}, {"XROAD_TOKEN_PIN", "pin-1234-secret"}}, dir / "show.yaml");
  ASSERT_EQ(y.wait(5s), 0) << y.output();
  const std::string yaml = y.output();
  EXPECT_EQ(yaml.find("pin-1234-secret"), std::string::npos);
  EXPECT_NE(yaml.find("port: 5555"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("# flag: --set database.port"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("pin: \"<redacted>\""), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("# file: " + (dir / "roadside.yaml").string() + ":2"), std::string::npos) << yaml;
}

TEST(ConfigShow, ErrorsNameTheCulprit) {
  TempDir dir;
  write_file(dir / "bad.yaml", "databse:\n  port: 1\n");
  Process p({roadside_binary().string(), "config", "show", "--config", (dir / "bad.yaml").string()}, {},
            dir / "bad.log");
  EXPECT_EQ(p.wait(5s), 2);
  EXPECT_NE(p.output().find("unknown option \"databse.port\""), std::string::npos) << p.output();
  Process e({roadside_binary().string(), "config", "show"}, {{"XROAD_DB_PASSWORD", "x"}}, dir / "env.log");
  EXPECT_EQ(e.wait(5s), 2);
  EXPECT_NE(e.output().find("XROAD_DB_PASSWORD (did you mean XROAD_DB_PWD?)"), std::string::npos) << e.output();
}

TEST(ConfigDocs, TheReferenceInDocsIsCurrent) {
  TempDir dir;
  Process p({roadside_binary().string(), "config", "docs"}, {}, dir / "docs.md");
  ASSERT_EQ(p.wait(5s), 0);
  EXPECT_EQ(p.output(), read_file(source_dir() / "docs" / "configuration.md"))
      << "docs/configuration.md is stale: regenerate it with `roadside config docs > docs/configuration.md`";
}

TEST(Cli, VersionAndHelp) {
  TempDir dir;
  Process v({roadside_binary().string(), "version"}, {}, dir / "v.log");
  EXPECT_EQ(v.wait(5s), 0);
  EXPECT_EQ(v.output(), "roadside " ROADSIDE_VERSION "\n");
  Process h({roadside_binary().string(), "--help"}, {}, dir / "h.log");
  EXPECT_EQ(h.wait(5s), 0);
  for (const char* sub : {"serve", "config", "version"}) EXPECT_NE(h.output().find(sub), std::string::npos) << sub;
  Process bad({roadside_binary().string(), "frobnicate"}, {}, dir / "bad.log");
  EXPECT_NE(bad.wait(5s).value_or(0), 0);
}

}  // namespace
}  // namespace roadside::testing

// ---- roadside verify-globalconf ------------------------------------------------------

namespace roadside::testing {
namespace {


struct GcRun {
  std::optional<int> code;
  std::string output;
};

GcRun verify_gc(TempDir& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {roadside_binary().string(), "verify-globalconf"};
  argv.insert(argv.end(), args.begin(), args.end());
  Process p(argv, {}, dir / "gc.log");
  GcRun r;
  r.code = p.wait(10s);
  r.output = p.output();
  return r;
}

TEST(VerifyGlobalconf, AcceptsXRoadsDirectoryAndRejectsTampering) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const auto gc = vectors / "xroad" / "globalconf";
  const std::string anchor = (gc / "configuration_anchor_CS_internal.xml").string();
  TempDir dir;

  auto ok = verify_gc(dir, {"--anchor", anchor, (gc / "public" / "V6" / "internalconf").string()});
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_NE(ok.output.find("valid: instance DEV, version 6"), std::string::npos) << ok.output;

  auto expired = verify_gc(dir, {"--anchor", anchor, (gc / "public" / "V6" / "internalconf").string(), "--at",
                                 "2035-11-11T03:07:41Z"});
  EXPECT_EQ(expired.code, 1);
  EXPECT_EQ(last_line(expired.output), "global_conf_outdated") << expired.output;

  // A copy of the public folder with one byte of shared-params changed.
  std::filesystem::copy(gc / "public", dir / "public", std::filesystem::copy_options::recursive);
  const auto shared = dir / "public" / "V6" / "20251110170000548026000" / "shared-params.xml";
  std::filesystem::permissions(shared, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::string bytes = read_file(shared);
  bytes[1000] = bytes[1000] == 'a' ? 'b' : 'a';
  write_file(shared, bytes);
  auto part = verify_gc(dir, {"--anchor", anchor, (dir / "public" / "V6" / "internalconf").string()});
  EXPECT_EQ(part.code, 1);
  EXPECT_EQ(last_line(part.output), "invalid_signature_value") << part.output;
  EXPECT_NE(part.output.find("shared-params.xml"), std::string::npos);

  // The untouched parts, given with --parts, still verify.
  auto parts_flag = verify_gc(dir, {"--anchor", anchor, (dir / "public" / "V6" / "internalconf").string(), "--parts",
                                    (gc / "public").string()});
  EXPECT_EQ(parts_flag.code, 0) << parts_flag.output;

  // One character of the signature changed.
  const auto directory = dir / "public" / "V6" / "internalconf";
  std::filesystem::permissions(directory, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::string d = read_file(directory);
  const auto at = d.rfind("==") - 20;
  d[at] = d[at] == 'Q' ? 'R' : 'Q';
  write_file(directory, d);
  auto sig = verify_gc(dir, {"--anchor", anchor, directory.string(), "--parts", (gc / "public").string()});
  EXPECT_EQ(sig.code, 1);
  EXPECT_EQ(last_line(sig.output), "invalid_signature_value") << sig.output;

  auto missing = verify_gc(dir, {"--anchor", anchor, (dir / "nope").string()});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(last_line(missing.output), "io_error") << missing.output;
}

}  // namespace
}  // namespace roadside::testing
