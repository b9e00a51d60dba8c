#include "server/globalconf_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/clock.h"
#include "base/log.h"

namespace roadside::server {

namespace asio = boost::asio;

GlobalconfService::GlobalconfService(asio::io_context& io, globalconf::Anchor anchor, std::filesystem::path cache_dir,
                                     std::chrono::seconds interval, metrics::Registry& metrics)
    : http_(io.get_executor()),
      client_(http_, std::move(anchor), std::move(cache_dir)),
      interval_(interval),
      timer_(io),
      ok_(metrics.counter("roadside_globalconf_updates_total", "Global configuration downloads by result", {{"result", "ok"}})),
      failed_(metrics.counter("roadside_globalconf_updates_total", "Global configuration downloads by result",
                              {{"result", "failed"}})),
      expires_gauge_(metrics.gauge("roadside_globalconf_expires_timestamp_seconds",
                                   "Expiry of the global configuration in use (Unix time; 0: none)")),
      version_gauge_(metrics.gauge("roadside_globalconf_version", "Version of the global configuration in use (0: none)")) {}

void GlobalconfService::take(const globalconf::Snapshot& snap) {
  // Read the shared parameters again only when their hash in the directory changed: most
  // refreshes bring the same ones, and what was verified against them stays valid.
  std::string hash;
  for (const auto& p : snap.directory.parts) {
    if (p.content_identifier == "SHARED-PARAMETERS") hash = p.hash;
  }
  bool unchanged = false;
  {
    std::lock_guard lock(mu_);
    unchanged = shared_ && !hash.empty() && hash == shared_hash_;
  }
  if (!unchanged) {
    auto xml = snap.part("SHARED-PARAMETERS");
    auto parsed = xml.ok() ? globalconf::SharedParameters::parse(*xml) : Result<globalconf::SharedParameters>(xml.error());
    if (!parsed.ok()) {
      // The parameters in use keep the expiry of the configuration they came from: a newer
      // directory whose parameters cannot be read must not make old trust look fresh.
      log::error("global configuration without usable shared parameters; the previous ones stay until they expire",
                 {{"error", parsed.error().to_string()}});
      std::lock_guard lock(mu_);
      last_error_ = "the newest configuration's shared parameters are unusable: " + parsed.error().detail();
      return;
    }
    std::lock_guard lock(mu_);
    shared_ = std::make_shared<const globalconf::SharedParameters>(std::move(parsed).value());
    shared_hash_ = hash;
  }
  const auto expires = std::chrono::duration_cast<std::chrono::seconds>(snap.directory.expires.time_since_epoch()).count();
  expires_ = expires;
  expires_gauge_.set(expires);
  version_gauge_.set(snap.version);
}

void GlobalconfService::start() {
  if (auto cached = client_.load_cached(); cached.ok()) {
    take(*cached);
    log::info("global configuration loaded from the cache", {{"expires", format_rfc3339(cached->directory.expires)}});
  }
  asio::co_spawn(timer_.get_executor(), loop(), asio::detached);
}

void GlobalconfService::stop() {
  stopped_ = true;
  asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

asio::awaitable<void> GlobalconfService::loop() {
  while (!stopped_) {
    auto snap = co_await client_.update();
    if (snap.ok()) {
      ok_.inc();
      {
        std::lock_guard lock(mu_);
        last_error_.clear();
      }
      take(*snap);
    } else {
      failed_.inc();
      log::warn("global configuration download failed",
                {{"error", snap.error().to_string()}, {"code", std::string(snap.error().fault_code())}});
      std::lock_guard lock(mu_);
      last_error_ = snap.error().detail();
    }
    if (stopped_) break;
    timer_.expires_after(interval_);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

std::shared_ptr<const globalconf::SharedParameters> GlobalconfService::shared() const {
  if (not_ready()) return nullptr;
  std::lock_guard lock(mu_);
  return shared_;
}

std::optional<std::string> GlobalconfService::not_ready() const {
  const auto expires = expires_.load();
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (expires != 0 && now < expires) return std::nullopt;
  std::lock_guard lock(mu_);
  std::string why = expires == 0 ? "no valid global configuration loaded yet" : "the global configuration has expired";
  if (!last_error_.empty()) why += " (last download: " + last_error_ + ")";
  return why;
}

}  // namespace roadside::server
