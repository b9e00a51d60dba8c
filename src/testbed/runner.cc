#include "testbed/runner.h"

#include <fstream>
#include <iostream>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/files.h"
#include "base/log.h"
#include "testbed/authorities.h"
#include "testbed/central.h"
#include "testbed/instance.h"
#include "testbed/publisher.h"
#include "testbed/services.h"

namespace roadside::testbed {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;

struct Child {
  std::string name;
  pid_t pid = -1;
};

// Starts `roadside serve --config CONFIG` with the PIN in its environment and its output
// appended to `log_file`. The server gets SIGTERM when this process dies, however it dies:
// a killed testbed leaves no servers holding its ports.
Result<pid_t> spawn_server(const std::string& config, const std::string& log_file, const std::string& pin) {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return Error(std::make_error_code(std::errc::io_error), "cannot find the roadside binary (/proc/self/exe)");
  self[n] = '\0';
  const int log_fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) return Error(std::error_code(errno, std::generic_category()), "cannot open " + log_file);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    if (std::string_view(*e).rfind("XROAD_TOKEN_PIN=", 0) != 0) env_store.emplace_back(*e);
  }
  env_store.push_back("XROAD_TOKEN_PIN=" + pin);
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string a0 = self, a1 = "serve", a2 = "--config", a3 = config;
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), nullptr};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here on: the parent has other threads.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);  // the parent died before prctl took effect
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execve(self, argv, envp.data());
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(log_fd);
  if (pid < 0)
    return Error(std::error_code(fork_errno, std::generic_category()), "cannot start roadside serve for " + config);
  return pid;
}

void stop_children(std::vector<Child>& children) {
  for (const auto& c : children) {
    if (c.pid > 0) ::kill(c.pid, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (auto& c : children) {
    while (c.pid > 0) {
      int status = 0;
      const pid_t r = ::waitpid(c.pid, &status, WNOHANG);
      if (r == c.pid || r < 0) {
        log::info("server stopped",
                  {{"server", c.name}, {"exit", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)}});
        c.pid = -1;
      } else if (std::chrono::steady_clock::now() > deadline) {
        log::warn("server did not stop in time; killing it", {{"server", c.name}});
        ::kill(c.pid, SIGKILL);
        ::waitpid(c.pid, &status, 0);
        c.pid = -1;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
}

net::ServerOptions loopback(const std::string& name, unsigned short port) {
  net::ServerOptions o;
  o.name = name;
  o.address = "127.0.0.1";
  o.port = port;
  return o;
}

}  // namespace

int run_instance(const fs::path& dir_in, const RunOptions& options) {
  const bool with_servers = options.with_servers;
  const fs::path dir = fs::absolute(dir_in);
  auto fail = [](const std::string& what, const std::string& why) {
    log::error("testbed cannot start", {{"component", what}, {"error", why}});
    return 1;
  };
  auto instance = read_instance(dir);
  if (!instance.ok()) return fail("instance", instance.error().detail());
  const auto& j = *instance;
  auto pin = token_pin(dir);
  if (!pin.ok()) return fail("token", pin.error().detail());
  if (fs::exists(dir / "testbed.pid")) {
    auto text = read_file_limited(dir / "testbed.pid", 64);
    if (text.ok() && ::kill(std::atoi(text->c_str()), 0) == 0) {
      return fail("instance",
                  "already running as pid " + *text + " (roadside testbed down --dir " + dir.string() + ")");
    }
  }

  auto ca = TestCa::load(dir / "ca");
  if (!ca.ok()) return fail("ca", ca.error().detail());
  auto key_pem = read_file_limited(dir / "globalconf" / "signing.key", 1 << 20);
  auto cert_pem = read_file_limited(dir / "globalconf" / "signing.pem", 1 << 20);
  auto shared = read_file_limited(dir / "globalconf" / "shared-params.xml", 64 << 20);
  auto priv = read_file_limited(dir / "globalconf" / "private-params.xml", 64 << 20);
  // Optional (instances made before it was added have none).
  auto monitoring = read_file_limited(dir / "globalconf" / "monitoring-params.xml", 1 << 20);
  auto parts = [&](const std::string& shared_xml) {
    std::vector<ConfigurationPart> out = {{"SHARED-PARAMETERS", "shared-params.xml", shared_xml},
                                      {"PRIVATE-PARAMETERS", "private-params.xml", *priv}};
    if (monitoring.ok()) out.push_back({"MONITORING", "monitoring-params.xml", *monitoring});
    return out;
  };
  if (!key_pem.ok() || !cert_pem.ok() || !shared.ok() || !priv.ok()) {
    return fail("globalconf",
                "the configuration signing key or parameters under " + (dir / "globalconf").string() + " are missing");
  }
  auto key = crypto::PrivateKey::from_pem(*key_pem);
  auto cert = crypto::Certificate::from_pem(*cert_pem);
  if (!key.ok() || !cert.ok())
    return fail("globalconf", "the configuration signing key or certificate is not readable");

  asio::io_context io;
  metrics::Registry metrics;
  const auto& ports = j["ports"];
  AuthorityServer authorities(io, **ca, j["instance"].get<std::string>(),
                              loopback("authorities", ports["authorities"].get<unsigned short>()), metrics);
  PublisherConfig pc{
      dir / "public", j["instance"].get<std::string>(), {2, 3, 4, 5, 6}, options.conf_validity, parts(*shared)};
  ConfigurationPublisher publisher(std::move(pc), *key, *cert);
  PublisherServer central(io, publisher, loopback("publisher", ports["publisher"].get<unsigned short>()), metrics);
  auto services_options = loopback("services", ports["services"].get<unsigned short>());
  services_options.limits.max_body_bytes = 2ull << 30;  // /bytes takes large bodies; /echo keeps its own limit
  ExampleServices services(io, std::move(services_options), metrics);
  if (auto st = authorities.start(); !st.ok()) return fail("authorities", st.error().detail());
  if (auto st = central.start(); !st.ok()) return fail("publisher", st.error().detail());
  if (auto st = services.start(); !st.ok()) return fail("services", st.error().detail());

  // The Central Server's management side, for instances that have one (made since it exists).
  std::unique_ptr<ManagementDesk> desk;
  std::unique_ptr<ManagementServer> management;
  if (j.contains("central") && j["central"].is_object()) {
    const auto& c = j["central"];
    auto provider = XRoadId::parse(c.value("management_service", std::string()));
    auto tls_key = read_file_limited(dir / "central" / "tls.key", 1 << 20);
    auto tls_cert = read_file_limited(dir / "central" / "tls.pem", 1 << 20);
    if (!provider.ok() || !tls_key.ok() || !tls_cert.ok() || !ports.contains("central") ||
        !ports.contains("management"))
      return fail("management", "instance.json's \"central\" or " + (dir / "central").string() + " is incomplete");
    desk = std::make_unique<ManagementDesk>(dir, c.value("hold_requests", false), *provider);
    auto https = loopback("management-tls", ports["central"].get<unsigned short>());
    https.tls = net::TlsServerConfig{*tls_cert, *tls_key};
    https.tls->policy = net::TlsPolicy{};  // Security Servers' management clients use Java's defaults
    management = std::make_unique<ManagementServer>(
        io, *desk, std::move(https), loopback("management", ports["management"].get<unsigned short>()), metrics);
    if (auto st = management->start(); !st.ok()) return fail("management", st.error().detail());
  }
  // Republishes when shared-params.xml changes: an approval, by this process's management
  // service or by `testbed approve` in another, rewrites it (under central/lock).
  const fs::path shared_file = dir / "globalconf" / "shared-params.xml";
  auto stamp_of = [&shared_file] {
    std::error_code ec;
    const auto t = fs::last_write_time(shared_file, ec);
    const auto size = fs::file_size(shared_file, ec);
    return std::to_string(t.time_since_epoch().count()) + "/" + std::to_string(ec ? 0 : size);
  };
  std::string shared_stamp = stamp_of();

  std::vector<Child> children;
  const nlohmann::json servers = with_servers ? j["servers"] : nlohmann::json::array();
  for (const auto& s : servers) {
    auto pid = spawn_server(s["config"].get<std::string>(), s["log"].get<std::string>(), *pin);
    if (!pid.ok()) {
      stop_children(children);
      return fail("servers", pid.error().detail());
    }
    children.push_back({s["id"].get<std::string>(), *pid});
    log::info("server started",
              {{"server", s["id"].get<std::string>()}, {"pid", *pid}, {"log", s["log"].get<std::string>()}});
  }
  {
    std::ofstream pidfile(dir / "testbed.pid", std::ios::trunc);
    pidfile << ::getpid() << "\n";
  }
  log::info("testbed is up", {{"instance", j["instance"].get<std::string>()},
                              {"management", management ? j["central"]["auth_cert_reg_url"].get<std::string>() : ""},
                              {"globalconf_url", j["globalconf_url"].get<std::string>()},
                              {"ocsp_url", authorities.ocsp_url()},
                              {"tsa_url", authorities.tsa_url()},
                              {"services", "http://127.0.0.1:" + std::to_string(services.port())},
                              {"servers", children.size()}});

  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log::info("testbed stopping", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
    io.stop();
  });
  // Report a server that exits on its own; when every one has failed (a non-zero exit), the
  // testbed ends too (exit 1): an instance without servers serves nobody, and a caller waiting
  // on it would wait forever. (Servers that exit 0 were stopped, as by `testbed down`.)
  asio::steady_timer watch(io);
  int exit_code = 0;
  std::size_t failed = 0;
  std::function<void()> check = [&] {
    watch.expires_after(std::chrono::milliseconds(500));
    watch.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      for (auto& c : children) {
        int status = 0;
        if (c.pid > 0 && ::waitpid(c.pid, &status, WNOHANG) == c.pid) {
          const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
          log::error("server exited", {{"server", c.name}, {"exit", code}});
          c.pid = -1;
          if (code != 0) ++failed;
        }
      }
      if (!children.empty() && failed == children.size()) {
        log::error("every server exited; the testbed stops (the servers' logs say why)", {{"instance", dir.string()}});
        exit_code = 1;
        io.stop();
        return;
      }
      check();
    });
  };
  check();
  asio::steady_timer republish(io);
  std::function<void()> watch_shared = [&] {
    republish.expires_after(std::chrono::seconds(1));
    republish.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      if (std::string stamp = stamp_of(); stamp != shared_stamp) {
        auto text = read_file_limited(shared_file, 64 << 20);
        auto parsed =
            text.ok() ? globalconf::SharedParameters::parse(*text) : Result<globalconf::SharedParameters>(text.error());
        if (!parsed.ok()) {
          log::error("shared-params.xml changed but cannot be read; publishing the previous one",
                     {{"error", parsed.error().detail()}});
        } else {
          publisher.set_parts(parts(*text));
          if (auto st = publisher.publish(std::chrono::system_clock::now()); st.ok()) {
            log::info("configuration republished", {{"reason", "shared-params.xml changed"}});
          } else {
            log::error("republishing failed", {{"error", st.error().detail()}});
          }
        }
        shared_stamp = std::move(stamp);
      }
      watch_shared();
    });
  };
  watch_shared();
  std::thread helper([&] { io.run(); });
  io.run();
  helper.join();

  stop_children(children);
  io.restart();
  std::thread stopper([&] { io.run_for(std::chrono::seconds(3)); });
  services.stop_blocking(std::chrono::seconds(1));
  if (management) management->stop_blocking(std::chrono::seconds(1));
  central.stop_blocking(std::chrono::seconds(1));
  authorities.stop_blocking(std::chrono::seconds(1));
  io.stop();
  stopper.join();
  std::error_code ec;
  fs::remove(dir / "testbed.pid", ec);
  log::info("testbed stopped");
  return exit_code;
}

int stop_instance(const fs::path& dir) {
  auto text = read_file_limited(dir / "testbed.pid", 64);
  if (!text.ok()) {
    std::cerr << "roadside: no testbed is running from " << dir.string() << " (no testbed.pid)\n";
    return 1;
  }
  const pid_t pid = std::atoi(text->c_str());
  if (pid <= 0 || ::kill(pid, SIGTERM) != 0) {
    std::cerr << "roadside: the testbed (pid " << pid << ") is not running; removing its stale testbed.pid\n";
    std::error_code ec;
    fs::remove(dir / "testbed.pid", ec);
    return 1;
  }
  // Stopped: the process is gone, or has removed its pid file (it may linger as a zombie
  // until its parent reaps it).
  auto running = [&] { return ::kill(pid, 0) == 0 && fs::exists(dir / "testbed.pid"); };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (running()) {
    std::cerr << "roadside: the testbed (pid " << pid << ") did not stop within 30 s\n";
    return 1;
  }
  std::cout << "testbed stopped (pid " << pid << ")\n";
  return 0;
}

}  // namespace roadside::testbed
