#include "server/serverconf_follower.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/files.h"
#include "base/log.h"

namespace roadside::server {

namespace asio = boost::asio;

namespace {

Error start_error(const Error& cause, const std::string& what) {
  return Error(cause.code(), what + ": " + cause.detail());
}

}  // namespace

ServerConfOptions ServerConfOptions::from(const config::Config& c) {
  return {c.str("server_conf.file"), std::chrono::seconds(c.integer("server_conf.poll_interval_s")),
          c.str("node.role") == "secondary"};
}

ServerConfFollower::ServerConfFollower(storage::Store& store, asio::io_context& db_io, ServerConfOptions options,
                                       std::unique_ptr<storage::ChangeListener> changes, metrics::Registry& metrics,
                                       Readiness& readiness)
    : store_(store), options_(std::move(options)), timer_(db_io), changes_(std::move(changes)) {
  if (changes_) {
    notifications_ = &metrics.counter("roadside_config_notifications_total",
                                      "Configuration change notifications received from the database");
  }
  metrics.gauge_fn("roadside_server_conf_revision", "Revision of the server configuration in use", [this] {
    MutexLock lock(mu_);
    return static_cast<double>(revision_);
  });
  readiness.add("serverconf", [this]() -> std::optional<std::string> {
    MutexLock lock(mu_);
    if (conf_) return std::nullopt;
    return std::string("no server configuration applied (roadside apply FILE, or serve --server-conf FILE)");
  });
}

ServerConfFollower::~ServerConfFollower() {
  stopped_ = true;
  if (listen_thread_.joinable()) listen_thread_.join();
}

Status ServerConfFollower::start() {
  if (const std::string& file = options_.file; !file.empty() && options_.secondary) {
    log::info("server_conf.file is applied by the primary; this secondary follows the database", {{"file", file}});
  } else if (!file.empty()) {
    auto text = read_file_limited(file, 16 << 20);
    if (!text.ok()) return start_error(text.error(), "server_conf.file");
    auto conf = serverconf::ServerConf::parse_yaml(*text);
    if (!conf.ok()) return start_error(conf.error(), "server configuration " + file);
    auto applied = serverconf::apply(store_, *conf, file);
    if (!applied.ok()) return start_error(applied.error(), "server configuration " + file);
    if (applied->second)
      log::audit("Apply server configuration", "system", {{"file", file}, {"revision", applied->first}});
  }
  reload();
  if (changes_) {
    log::info("following configuration changes", {{"channel", std::string(storage::kConfigChannel)}});
    listen_thread_ = std::thread([this] { follow_notifications(); });
  }
  asio::co_spawn(timer_.get_executor(), poll(), asio::detached);
  return {};
}

asio::awaitable<void> ServerConfFollower::stop() {
  stopped_ = true;
  asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
  // The LISTEN thread notices after its current wait: 0.5 s, or a reconnect that takes up to
  // database.connect_timeout_s while the database is away.
  if (listen_thread_.joinable()) listen_thread_.join();
  co_return;
}

std::shared_ptr<const serverconf::ServerConf> ServerConfFollower::current() const {
  MutexLock lock(mu_);
  return conf_;
}

void ServerConfFollower::reload() {
  if (stopped_) return;  // stopping: no new wait on the database
  auto latest = serverconf::latest_revision(store_);
  if (!latest.ok()) {
    log::warn("cannot read the server configuration", {{"error", latest.error().to_string()}});
    return;
  }
  {
    MutexLock lock(mu_);
    if (*latest == revision_) return;
  }
  auto rev = serverconf::load_latest(store_);
  if (!rev.ok()) {
    log::error("cannot load the server configuration", {{"error", rev.error().to_string()}});
    return;
  }
  {
    MutexLock lock(mu_);
    conf_ = rev->conf;
    revision_ = rev->number;
  }
  // Logged once requests see it, so a reader of the log (an operator, a test) may rely on it.
  log::info("server configuration in use", {{"revision", rev->number},
                                            {"server", rev->conf->server_id().to_string()},
                                            {"clients", rev->conf->clients.size()},
                                            {"services", rev->conf->services.size()},
                                            {"access_rights", rev->conf->access.size()}});
}

asio::awaitable<void> ServerConfFollower::poll() {
  while (!stopped_) {
    timer_.expires_after(options_.poll_interval);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    reload();
  }
}

void ServerConfFollower::follow_notifications() {
  bool reported = false;
  while (!stopped_) {
    auto got = changes_->wait(std::chrono::milliseconds(500));
    if (!got.ok()) {
      if (!reported)
        log::warn("configuration change listener lost its connection; polling until it is back",
                  {{"error", got.error().detail()}});
      reported = true;
      for (int i = 0; i < 20 && !stopped_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (reported) log::info("configuration change listener connected again");
    reported = false;
    if (*got) {
      log::debug("configuration change notified");
      notifications_->inc();
      asio::post(timer_.get_executor(), [this] { reload(); });
    }
  }
}

}  // namespace roadside::server
