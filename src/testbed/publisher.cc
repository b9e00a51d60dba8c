#include "testbed/publisher.h"

#include "base/errors.h"
#include "base/files.h"
#include "base/log.h"
#include "globalconf/directory.h"
#include "globalconf/parts.h"
#include "testbed/publish.h"

namespace roadside::testbed {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;

Error io(std::string detail) {
  return Error(make_error_code(base::errc::io_error), std::move(detail));
}

// "20251110170000548026000": UTC date and time, then nanoseconds, as Central Servers name
// their generations.
std::string generation_name(std::chrono::system_clock::time_point now) {
  const auto t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count() % 1'000'000'000;
  char nanos[16];
  std::snprintf(nanos, sizeof nanos, "%09lld", static_cast<long long>(ns));
  return std::string(buf) + nanos;
}

}  // namespace

ConfigurationPublisher::ConfigurationPublisher(PublisherConfig config, crypto::PrivateKey key, crypto::Certificate cert)
    : config_(std::move(config)), key_(std::move(key)), cert_(std::move(cert)) {}

void ConfigurationPublisher::set_parts(std::vector<ConfigurationPart> parts) {
  std::lock_guard lock(mu_);
  config_.parts = std::move(parts);
  signed_at_.reset();  // publish the new parts at the next chance
}

bool ConfigurationPublisher::due(std::chrono::system_clock::time_point now) const {
  std::lock_guard lock(mu_);
  return !signed_at_ || now >= *signed_at_ + config_.validity / 2;
}

Status ConfigurationPublisher::publish(std::chrono::system_clock::time_point now) {
  std::lock_guard lock(mu_);
  const std::string gen = generation_name(now);
  const std::string algorithm(cert_.is_ec_key() ? crypto::kEcdsaSha512Uri : crypto::kRsaSha512Uri);
  for (int version : config_.versions) {
    if (version < 2 || version > 6) return io("configuration version " + std::to_string(version) + " is not 2 to 6");
    const fs::path vdir = config_.public_dir / ("V" + std::to_string(version));
    DirectorySpec spec{{}, now + config_.validity, version, algorithm};
    for (const auto& p : config_.parts) {
      const std::string location = "/V" + std::to_string(version) + "/" + gen + "/" + p.file_name;
      ROADSIDE_TRY(fs::path rel, globalconf::part_path(location));
      ROADSIDE_TRY_STATUS(write_file_atomically(config_.public_dir / rel, p.bytes));
      spec.parts.push_back({p.content_identifier, config_.instance, location, p.bytes});
    }
    ROADSIDE_TRY(std::string directory, build_signed_directory(spec, key_, cert_));
    ROADSIDE_TRY_STATUS(write_file_atomically(vdir / "internalconf", directory));
    // Keep this generation and the one before it; older ones go.
    std::vector<fs::path> gens;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(vdir, ec)) {
      if (e.is_directory()) gens.push_back(e.path());
    }
    std::sort(gens.begin(), gens.end());
    for (std::size_t i = 0; i + 2 < gens.size(); ++i) fs::remove_all(gens[i], ec);
  }
  signed_at_ = now;
  log::info("configuration published", {{"instance", config_.instance},
                                        {"generation", gen},
                                        {"expires_in_s", static_cast<std::int64_t>(config_.validity.count())}});
  return {};
}

PublisherServer::PublisherServer(boost::asio::io_context& io, ConfigurationPublisher& publisher,
                                 net::ServerOptions options, metrics::Registry& metrics, std::chrono::milliseconds tick)
    : publisher_(publisher),
      tick_(tick),
      timer_(io),
      server_(
          io, std::move(options), [this](net::ServerExchange& ex) { return handle(ex); }, metrics) {}

Status PublisherServer::start() {
  ROADSIDE_TRY_STATUS(publisher_.publish(std::chrono::system_clock::now()));
  ++publications_;
  ROADSIDE_TRY_STATUS(server_.start());
  schedule();
  return {};
}

void PublisherServer::schedule() {
  timer_.expires_after(tick_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    const auto now = std::chrono::system_clock::now();
    if (publisher_.due(now)) {
      if (auto st = publisher_.publish(now); st.ok()) {
        ++publications_;
      } else {
        log::error("configuration publishing failed", {{"error", st.error().to_string()}});
      }
    }
    schedule();
  });
}

void PublisherServer::stop_blocking(std::chrono::milliseconds grace) {
  stopped_ = true;
  boost::asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
  server_.stop_blocking(grace);
}

unsigned short PublisherServer::port() const {
  return server_.port();
}
std::string PublisherServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port()) + "/internalconf";
}

boost::asio::awaitable<void> PublisherServer::handle(net::ServerExchange& ex) {
  const std::string target(ex.request().target());
  const fs::path& root = publisher_.config().public_dir;
  std::optional<fs::path> file;
  if (ex.request().method() == http::verb::get) {
    if (target == "/internalconf") {
      file = root / "V2" / "internalconf";
    } else if (target.rfind("/internalconf?version=", 0) == 0) {
      const std::string v = target.substr(22);
      if (v.size() == 1 && v[0] >= '2' && v[0] <= '9') file = root / ("V" + v) / "internalconf";
    } else if (target.rfind("/V", 0) == 0) {
      if (auto rel = globalconf::part_path(target); rel.ok()) file = root / *rel;
    }
  }
  std::optional<std::string> body;
  if (file && fs::is_regular_file(*file)) {
    if (auto b = read_file_limited(*file, globalconf::kMaxPartBytes); b.ok()) body = std::move(b).value();
  }
  if (!body) {
    (void)co_await ex.respond(net::make_response(http::status::not_found, "not found\n"));
    co_return;
  }
  (void)co_await ex.respond(net::make_response(http::status::ok, std::move(*body), "application/octet-stream"));
}

}  // namespace roadside::testbed
