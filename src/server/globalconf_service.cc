#include "server/globalconf_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/clock.h"
#include "base/errors.h"
#include "base/log.h"
#include "globalconf/parts.h"

namespace roadside::server {

namespace asio = boost::asio;

namespace {

// The directory's hash of a part ("" when the configuration has none).
std::string part_hash(const globalconf::Snapshot& snap, std::string_view content_identifier) {
  for (const auto& p : snap.directory.parts) {
    if (p.content_identifier == content_identifier) return p.hash;
  }
  return {};
}

// A part of the snapshot read as T (T::parse), or why not.
template <typename T>
Result<T> parse_part(const globalconf::Snapshot& snap, std::string_view content_identifier) {
  ROADSIDE_TRY(std::string xml, snap.part(content_identifier));
  return T::parse(xml);
}

}  // namespace

GlobalconfOptions GlobalconfOptions::from(const config::Config& c) {
  return {c.str("globalconf.anchor"), std::filesystem::path(c.str("data_dir")) / "globalconf",
          std::chrono::seconds(c.integer("globalconf.refresh_interval_s"))};
}

GlobalconfService::GlobalconfService(asio::io_context& io, GlobalconfOptions options, metrics::Registry& metrics,
                                     Readiness& readiness, const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      http_(io.get_executor()),
      timer_(asio::make_strand(io)),  // the loop and stop()'s cancel never run side by side
      metrics_{metrics.counter("roadside_globalconf_updates_total", "Global configuration downloads by result",
                               {{"result", "ok"}}),
               metrics.counter("roadside_globalconf_updates_total", "Global configuration downloads by result",
                               {{"result", "failed"}}),
               metrics.gauge("roadside_globalconf_expires_timestamp_seconds",
                             "Expiry of the global configuration in use (Unix time; 0: none)"),
               metrics.gauge("roadside_globalconf_version", "Version of the global configuration in use (0: none)")} {
  readiness.add("globalconf", [this] { return not_ready(); });
}

void GlobalconfService::take(const globalconf::Snapshot& snap) {
  // Read the shared parameters again only when their hash in the directory changed: most
  // refreshes bring the same ones, and what was verified against them stays valid.
  const std::string hash = part_hash(snap, "SHARED-PARAMETERS");
  bool unchanged = false;
  {
    MutexLock lock(mu_);
    unchanged = in_use_.shared && !hash.empty() && hash == in_use_.shared_hash;
  }
  if (!unchanged) {
    auto parsed = parse_part<globalconf::SharedParameters>(snap, "SHARED-PARAMETERS");
    if (!parsed.ok()) {
      // The parameters in use keep the expiry of the configuration they came from: a newer
      // directory whose parameters cannot be read must not make old trust look fresh.
      log::error("global configuration without usable shared parameters; the previous ones stay until they expire",
                 {{"error", parsed.error().to_string()}});
      MutexLock lock(mu_);
      in_use_.last_error = "the newest configuration's shared parameters are unusable: " + parsed.error().detail();
      return;
    }
    MutexLock lock(mu_);
    in_use_.shared = std::make_shared<const globalconf::SharedParameters>(std::move(parsed).value());
    in_use_.shared_hash = hash;
  }
  // The private parameters likewise, read again only when their hash changed.
  const std::string private_hash = part_hash(snap, "PRIVATE-PARAMETERS");
  bool private_unchanged = false;
  {
    MutexLock lock(mu_);
    private_unchanged = in_use_.private_params && !private_hash.empty() && private_hash == in_use_.private_hash;
  }
  if (!private_unchanged) {
    auto parsed = parse_part<globalconf::PrivateParameters>(snap, "PRIVATE-PARAMETERS");
    MutexLock lock(mu_);
    in_use_.private_params =
        parsed.ok() ? std::make_shared<const globalconf::PrivateParameters>(std::move(parsed).value()) : nullptr;
    in_use_.private_hash = private_hash;
  }
  take_monitoring(snap);
  const auto expires =
      std::chrono::duration_cast<std::chrono::seconds>(snap.directory.expires.time_since_epoch()).count();
  expires_ = expires;
  metrics_.expires.set(expires);
  metrics_.version.set(snap.version);
}

void GlobalconfService::take_monitoring(const globalconf::Snapshot& snap) {
  const std::string hash = part_hash(snap, "MONITORING");
  {
    MutexLock lock(mu_);
    if (hash == in_use_.monitoring_hash) return;
  }
  std::optional<XRoadId> client;
  if (!hash.empty()) {
    auto parsed = parse_part<globalconf::MonitoringParameters>(snap, "MONITORING");
    if (parsed.ok()) {
      client = parsed->monitoring_client;
    } else {
      log::error("the global configuration's monitoring parameters are unusable: no monitoring client",
                 {{"error", parsed.error().to_string()}});
    }
  }
  if (client) log::info("monitoring client", {{"client", client->to_string()}});
  MutexLock lock(mu_);
  in_use_.monitoring_client = std::move(client);
  in_use_.monitoring_hash = hash;
}

std::optional<XRoadId> GlobalconfService::monitoring_client() const {
  if (not_ready()) return std::nullopt;
  MutexLock lock(mu_);
  return in_use_.monitoring_client;
}

Status GlobalconfService::start() {
  ROADSIDE_TRY_STATUS(open_cached());
  if (client_) asio::co_spawn(timer_.get_executor(), loop(), asio::detached);
  return {};
}

Result<globalconf::Anchor> GlobalconfService::read_anchor() const {
  auto xml = globalconf::read_conf_file(options_.anchor_file, 1024 * 1024);
  auto anchor = xml.ok() ? globalconf::Anchor::parse(*xml) : Result<globalconf::Anchor>(xml.error());
  if (!anchor.ok())
    return Error(anchor.error().code(),
                 "configuration anchor " + options_.anchor_file + ": " + anchor.error().detail());
  log::info("configuration anchor", {{"instance", anchor->instance}, {"sources", anchor->sources.size()}});
  return anchor;
}

Status GlobalconfService::open_cached() {
  if (options_.anchor_file.empty()) {
    log::warn(
        "no configuration anchor (set globalconf.anchor or ROADSIDE_GLOBALCONF_ANCHOR): no global configuration, "
        "nothing is trusted");
    return {};
  }
  ROADSIDE_TRY(auto anchor, read_anchor());
  instance_ = anchor.instance;
  client_ = std::make_unique<globalconf::ConfigurationClient>(http_, std::move(anchor), options_.cache_dir, clock_);
  if (auto cached = client_->load_cached(); cached.ok()) {
    take(*cached);
    log::info("global configuration loaded from the cache", {{"expires", format_rfc3339(cached->directory.expires)}});
  }
  return {};
}

Status GlobalconfService::download_once() {
  if (!client_)
    return Error(make_error_code(base::errc::invalid_argument), "no configuration anchor (globalconf.anchor)");
  std::optional<Result<globalconf::Snapshot>> got;
  auto& io = static_cast<asio::io_context&>(timer_.get_executor().context());
  asio::co_spawn(io, client_->update(), [&](std::exception_ptr e, Result<globalconf::Snapshot> r) {
    got = e ? Result<globalconf::Snapshot>(Error(make_error_code(base::errc::io_error), "the download failed"))
            : std::move(r);
  });
  io.run();
  io.restart();
  if (!got || !got->ok()) return got ? got->error() : Error(make_error_code(base::errc::io_error), "no download");
  take(**got);
  return {};
}

void GlobalconfService::reload_anchor() {
  reload_anchor_ = true;
  asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

void GlobalconfService::use_new_anchor() {
  auto anchor = read_anchor();
  if (!anchor.ok()) {
    log::error("the new configuration anchor cannot be used; the previous one stays",
               {{"error", anchor.error().to_string()}});
    return;
  }
  if (anchor->instance != instance_) {
    // instance() is read without a lock: it never changes while the server runs.
    log::error("the new configuration anchor is of another instance; the previous one stays until a restart",
               {{"instance", anchor->instance}});
    return;
  }
  client_ =
      std::make_unique<globalconf::ConfigurationClient>(http_, std::move(anchor).value(), options_.cache_dir, clock_);
}

GlobalconfService::Round GlobalconfService::last_round() const {
  MutexLock lock(mu_);
  return {in_use_.last_attempt, in_use_.next_attempt, in_use_.last_error};
}

asio::awaitable<void> GlobalconfService::stop() {
  stopped_ = true;
  asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
  co_return;
}

asio::awaitable<void> GlobalconfService::loop() {
  while (!stopped_) {
    // Between downloads only: no update() of the client in use is in flight.
    if (reload_anchor_.exchange(false)) use_new_anchor();
    {
      MutexLock lock(mu_);
      in_use_.last_attempt = clock_.now();
      in_use_.next_attempt = clock_.now() + options_.refresh_interval;
    }
    auto snap = co_await client_->update();
    if (snap.ok()) {
      metrics_.ok.inc();
      {
        MutexLock lock(mu_);
        in_use_.last_error.clear();
      }
      take(*snap);
    } else {
      metrics_.failed.inc();
      log::warn("global configuration download failed",
                {{"error", snap.error().to_string()}, {"code", std::string(snap.error().fault_code())}});
      MutexLock lock(mu_);
      in_use_.last_error = snap.error().detail();
    }
    if (stopped_) break;
    if (reload_anchor_) continue;  // replaced during the download: the timer's cancel woke nothing
    timer_.expires_after(options_.refresh_interval);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

std::shared_ptr<const globalconf::SharedParameters> GlobalconfService::shared() const {
  if (not_ready()) return nullptr;
  MutexLock lock(mu_);
  return in_use_.shared;
}

std::shared_ptr<const globalconf::PrivateParameters> GlobalconfService::private_params() const {
  if (not_ready()) return nullptr;
  MutexLock lock(mu_);
  return in_use_.private_params;
}

std::optional<std::string> GlobalconfService::not_ready() const {
  if (options_.anchor_file.empty())
    return std::string("no configuration anchor (set globalconf.anchor or ROADSIDE_GLOBALCONF_ANCHOR)");
  const auto expires = expires_.load();
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  if (expires != 0 && now < expires) return std::nullopt;
  MutexLock lock(mu_);
  std::string why = expires == 0 ? "no valid global configuration loaded yet" : "the global configuration has expired";
  if (!in_use_.last_error.empty()) why += " (last download: " + in_use_.last_error + ")";
  return why;
}

}  // namespace roadside::server
