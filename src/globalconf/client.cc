#include "globalconf/client.h"

#include "base/files.h"
#include "base/log.h"
#include "globalconf/parameters.h"
#include "globalconf/parts.h"

namespace roadside::globalconf {
namespace fs = std::filesystem;
namespace http = boost::beast::http;

namespace {

Error unreadable(std::string detail) {
  return Error(make_error_code(errc::unreadable), std::move(detail));
}

constexpr std::string_view kLearnedCerts = "learned-verification-certs.pem";

// URI.resolve for the forms the central server uses: an absolute path keeps the scheme and
// authority of the download URL; an absolute URL stays as it is.
std::string resolve(const net::Url& base, const std::string& location) {
  if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) return location;
  if (!location.empty() && location[0] == '/') return base.scheme + "://" + base.authority() + location;
  std::string dir = base.target.substr(0, base.target.find('?'));
  dir = dir.substr(0, dir.rfind('/') + 1);
  return base.scheme + "://" + base.authority() + dir + location;
}

}  // namespace

Result<std::string> Snapshot::part(std::string_view content_identifier) const {
  for (const auto& p : directory.parts) {
    if (p.content_identifier != content_identifier) continue;
    ROADSIDE_TRY(fs::path rel, part_path(p.content_location));
    return read_conf_file(parts_root / rel, kMaxPartBytes);
  }
  return Error(make_error_code(errc::malformed), "configuration has no " + std::string(content_identifier) + " part");
}

ConfigurationClient::ConfigurationClient(net::HttpClient& http, Anchor anchor, fs::path cache_dir, const Clock& clock)
    : http_(http), anchor_(std::move(anchor)), cache_(std::move(cache_dir)), clock_(clock) {
  if (auto pem = read_conf_file(cache_ / kLearnedCerts, 16 << 20); pem.ok()) {
    if (auto certs = crypto::Certificate::all_from_pem(*pem); certs.ok()) learned_ = std::move(certs).value();
  }
}

std::vector<crypto::Certificate> ConfigurationClient::trusted_certs() const {
  auto certs = anchor_.verification_certs();
  certs.insert(certs.end(), learned_.begin(), learned_.end());
  return certs;
}

void ConfigurationClient::learn_sources(const Snapshot& snapshot) {
  auto bytes = snapshot.part("SHARED-PARAMETERS");
  if (!bytes.ok()) return;
  auto params = SharedParameters::parse(*bytes);
  if (!params.ok() || params->instance != anchor_.instance) return;
  std::vector<crypto::Certificate> certs;
  std::string pem;
  for (const auto& source : params->sources) {
    for (const auto& c : source.internal_verification_certs) {
      certs.push_back(c);
      pem += c.to_pem();
    }
  }
  auto same = [](const std::vector<crypto::Certificate>& a, const std::vector<crypto::Certificate>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (a[i].to_der() != b[i].to_der()) return false;
    }
    return true;
  };
  if (same(certs, learned_)) return;
  if (auto st = write_file_atomically(cache_ / kLearnedCerts, pem); !st.ok()) {
    log::warn("cannot store the configuration's verification certificates", {{"error", st.error().to_string()}});
  }
  learned_ = std::move(certs);
  log::info("global configuration verification certificates updated",
            {{"instance", anchor_.instance}, {"certificates", learned_.size()}});
}

boost::asio::awaitable<Result<std::pair<std::string, int>>> ConfigurationClient::fetch_directory(
    const std::string& url) {
  for (int v = kNewestVersion; v >= kOldestVersion; --v) {
    const std::string versioned =
        url + (url.find('?') == std::string::npos ? "?" : "&") + "version=" + std::to_string(v);
    auto r = co_await http_.get(versioned);
    if (!r.ok()) co_return std::move(r).error().context(versioned);
    if (r->message.result() == http::status::not_found) continue;
    if (r->message.result() != http::status::ok) {
      co_return unreadable(versioned + " answered " + std::to_string(r->message.result_int()));
    }
    co_return std::pair{std::move(r->message.body()), v};
  }
  co_return unreadable(url + " offers no configuration version from " + std::to_string(kNewestVersion) + " down to " +
                       std::to_string(kOldestVersion));
}

boost::asio::awaitable<Result<Snapshot>> ConfigurationClient::update() {
  std::optional<Error> last_error;
  // The configuration in use, read from disk once (after a restart), then kept in memory.
  if (!current_) {
    if (auto cached = load_cached(); cached.ok()) current_ = std::move(cached).value();
  }
  const auto certs = trusted_certs();

  for (const auto& source : anchor_.sources) {
    auto fetched = co_await fetch_directory(source.download_url);
    if (!fetched.ok()) {
      last_error = std::move(fetched).error();
      continue;
    }
    auto dir = SignedDirectory::parse(fetched->first);
    if (!dir.ok()) {
      last_error = std::move(dir).error().context(source.download_url);
      continue;
    }
    if (auto st = dir->verify_signature(certs); !st.ok()) {
      last_error = std::move(st).error().context(source.download_url);
      continue;
    }
    if (auto st = dir->check_not_expired(clock_.now()); !st.ok()) {
      last_error = std::move(st).error().context(source.download_url);
      continue;
    }

    // The usual case every refresh: nothing changed, nothing to fetch or write.
    if (current_ && current_->directory.signed_bytes == dir->signed_bytes &&
        current_->directory.signature == dir->signature) {
      Snapshot same = *current_;
      same.source_url = source.download_url;
      same.version = fetched->second;
      same.downloaded_parts.clear();
      co_return same;
    }

    // A new generation: unchanged parts are copied from the previous one, others downloaded.
    const auto base = net::Url::parse(source.download_url);
    if (!base.ok()) co_return base.error();
    std::error_code ec;
    fs::create_directories(cache_, ec);
    const fs::path gen =
        cache_ /
        ("gen-" +
         std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch()).count()));
    fs::remove_all(gen, ec);
    Snapshot snap{*dir, source.download_url, fetched->second, gen / "parts", {}};
    bool ok = true;
    for (const auto& part : dir->parts) {
      auto rel = part_path(part.content_location);
      if (!rel.ok()) co_return rel.error();
      std::optional<std::string> bytes;
      if (current_) {
        for (const auto& old : current_->directory.parts) {
          if (old.content_location == part.content_location && old.hash == part.hash) {
            auto b = read_conf_file(current_->parts_root / *rel, kMaxPartBytes);
            if (b.ok() && SignedDirectory::verify_part(part, *b).ok()) bytes = std::move(b).value();
          }
        }
      }
      if (!bytes) {
        const std::string url = resolve(*base, part.content_location);
        auto r = co_await http_.get(url);
        if (!r.ok() || r->message.result() != http::status::ok) {
          last_error = r.ok() ? unreadable(url + " answered " + std::to_string(r->message.result_int()))
                              : std::move(r).error().context(url);
          ok = false;
          break;
        }
        if (auto st = SignedDirectory::verify_part(part, r->message.body()); !st.ok()) {
          last_error = std::move(st).error().context(url);
          ok = false;
          break;
        }
        bytes = std::move(r->message.body());
        snap.downloaded_parts.push_back(part.content_location);
      }
      if (auto st = write_file_atomically(snap.parts_root / *rel, *bytes); !st.ok()) co_return st.error();
    }
    if (!ok) {
      fs::remove_all(gen, ec);
      continue;
    }
    if (auto st = write_file_atomically(gen / "directory", fetched->first); !st.ok()) co_return st.error();

    // Swap the "current" link atomically; then remove older generations.
    const fs::path tmp_link = cache_ / "current.tmp";
    fs::remove(tmp_link, ec);
    fs::create_directory_symlink(gen.filename(), tmp_link, ec);
    if (ec) co_return unreadable("cannot create " + tmp_link.string() + ": " + ec.message());
    fs::rename(tmp_link, cache_ / "current", ec);
    if (ec) co_return unreadable("cannot replace " + (cache_ / "current").string() + ": " + ec.message());
    for (const auto& entry : fs::directory_iterator(cache_, ec)) {
      if (entry.path().filename().string().rfind("gen-", 0) == 0 && entry.path() != gen)
        fs::remove_all(entry.path(), ec);
    }
    current_ = snap;
    learn_sources(snap);
    log::info("global configuration updated", {{"instance", anchor_.instance},
                                               {"source", source.download_url},
                                               {"version", snap.version},
                                               {"expires", format_rfc3339(dir->expires)},
                                               {"downloaded_parts", snap.downloaded_parts.size()}});
    co_return snap;
  }
  co_return last_error ? *last_error : unreadable("the configuration anchor has no source");
}

Result<Snapshot> ConfigurationClient::load_cached() const {
  const fs::path current = cache_ / "current";
  ROADSIDE_TRY(std::string dir_bytes, read_conf_file(current / "directory", kMaxDirectoryBytes));
  ROADSIDE_TRY(SignedDirectory dir, SignedDirectory::parse(dir_bytes));
  const auto certs = trusted_certs();
  ROADSIDE_TRY_STATUS(dir.verify_signature(certs));
  ROADSIDE_TRY_STATUS(dir.check_not_expired(clock_.now()));
  std::error_code ec;
  const fs::path gen = fs::canonical(current, ec);
  if (ec) return unreadable("cannot resolve " + current.string() + ": " + ec.message());
  Snapshot snap{std::move(dir), "", 0, gen / "parts", {}};
  snap.version = snap.directory.version;
  for (const auto& part : snap.directory.parts) {
    ROADSIDE_TRY(fs::path rel, part_path(part.content_location));
    ROADSIDE_TRY(std::string bytes, read_conf_file(snap.parts_root / rel, kMaxPartBytes));
    ROADSIDE_TRY_STATUS(SignedDirectory::verify_part(part, bytes));
  }
  return snap;
}

}  // namespace roadside::globalconf
