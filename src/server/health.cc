#include "server/health.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/thread_annotations.h"

namespace roadside::server {
namespace http = boost::beast::http;

namespace {

net::StringResponse json_response(http::status status, const nlohmann::json& body) {
  auto res = net::make_response(status, body.dump() + "\n", "application/json");
  res.set(http::field::cache_control, "no-store");
  return res;
}

// X-Road's answer; like xroad-proxy's, it has no Content-Type.
net::StringResponse xroad_response(XRoadHealthCheck::Answer answer) {
  net::StringResponse res{answer.status, 11};
  res.body() = std::move(answer.body);
  res.prepare_payload();
  return res;
}

}  // namespace

net::Handler make_health_handler(const Readiness& readiness, const metrics::Registry& metrics,
                                 XRoadHealthCheck& xroad) {
  return [&readiness, &metrics, &xroad](net::ServerExchange& ex) -> boost::asio::awaitable<void> {
    const auto& req = ex.request();
    const std::string_view path = std::string_view(req.target()).substr(0, req.target().find('?'));
    const bool head = req.method() == http::verb::head;
    net::StringResponse res;
    if (path != "/livez" && path != "/readyz" && path != "/metrics") {
      res = xroad_response(xroad.answer());
    } else if (req.method() != http::verb::get && !head) {
      res = json_response(http::status::method_not_allowed, {{"error", "method not allowed"}});
      res.set(http::field::allow, "GET, HEAD");
    } else if (path == "/livez") {
      res = json_response(http::status::ok, {{"status", "alive"}});
    } else if (path == "/readyz") {
      const auto reasons = readiness.reasons();
      if (reasons.empty()) {
        res = json_response(http::status::ok, {{"status", "ready"}});
      } else {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& r : reasons) list.push_back({{"component", r.component}, {"reason", r.reason}});
        res = json_response(http::status::service_unavailable, {{"status", "not_ready"}, {"reasons", list}});
      }
    } else {
      res = net::make_response(http::status::ok, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
    }
    if (head) {
      res.prepare_payload();
      const auto length = res.body().size();
      res.body().clear();
      res.content_length(length);
    }
    (void)co_await ex.respond(std::move(res));  // a failed write closes the connection; nothing else to do
  };
}

net::ServerOptions health_listener_options(const config::Config& config) {
  net::ServerOptions o;
  o.name = "health";
  o.address = config.str("health.address");
  o.port = static_cast<unsigned short>(config.integer("health.port"));
  return o;
}

Health::Health(net::ServerOptions options, XRoadHealthCheckOptions xroad, Listeners& listeners,
               const Readiness& readiness, metrics::Registry& metrics)
    : options_(std::move(options)),
      listeners_(listeners),
      readiness_(readiness),
      metrics_(metrics),
      xroad_(readiness, xroad) {}

Status Health::start() {
  register_process_metrics(metrics_);
  ROADSIDE_TRY_STATUS(listeners_.add(options_, make_health_handler(readiness_, metrics_, xroad_)));
  return {};
}

Readiness::Check database_check(std::function<Status()> ping) {
  struct Last {
    Mutex mu;
    std::string error GUARDED_BY(mu);
  };
  auto last = std::make_shared<Last>();
  return [ping = std::move(ping), last]() -> std::optional<std::string> {
    const Status st = ping();
    MutexLock lock(last->mu);
    if (st.ok()) {
      last->error.clear();
      return std::nullopt;
    }
    if (st.error().detail() != last->error) {
      last->error = st.error().detail();
      log::warn("the database does not answer", {{"component", "storage"}, {"error", last->error}});
    }
    return "database unreachable (" + st.error().code().message() + "; the cause is in the server's log)";
  };
}

void register_process_metrics(metrics::Registry& m) {
  static const auto start = std::chrono::system_clock::now();
  const double start_s = std::chrono::duration<double>(start.time_since_epoch()).count();
  m.gauge_fn("process_start_time_seconds", "Start time of the process since the epoch, in seconds",
             [start_s] { return start_s; });
  m.gauge_fn("process_resident_memory_bytes", "Resident memory size in bytes", [] {
    std::ifstream statm("/proc/self/statm");
    long pages_total = 0, pages_resident = 0;
    statm >> pages_total >> pages_resident;
    return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
  });
  m.gauge_fn("process_cpu_seconds_total", "User and system CPU time spent, in seconds", [] {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  });
  m.gauge_fn("process_open_fds", "Open file descriptors", [] {
    std::error_code ec;
    double n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++n;
    }
    return n;
  });
  m.gauge_fn("roadside_build_info", "Roadside version (always 1)", [] { return 1.0; }, {{"version", ROADSIDE_VERSION}});
}

}  // namespace roadside::server
