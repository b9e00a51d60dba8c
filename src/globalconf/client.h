// The global configuration client: downloads the signed directory from the anchor's
// sources (probing versions 6 down to 2, first that is not 404), verifies it, fetches
// only the parts whose hash changed, and keeps the last valid configuration on disk so a
// restart works offline until it expires.
//
// On-disk layout under the cache folder:
//   current -> gen-<n>           symlink, swapped atomically after a complete download
//   gen-<n>/directory            the verified directory file
//   gen-<n>/parts/<location>     each part at its Content-location path
//   learned-verification-certs.pem   see below
//
// Signing-key rollover: a Central Server announces its next signing key by listing its
// certificate among its sources' internalVerificationCert in the instance's shared
// parameters. The client trusts, besides the anchor's certificates, those listed in the
// last configuration of its own instance that verified, and keeps them on disk, so a
// directory signed with the new key verifies (also after a restart) without a new anchor.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "base/clock.h"
#include "globalconf/directory.h"
#include "net/http_client.h"

namespace roadside::globalconf {

inline constexpr int kNewestVersion = 6;
inline constexpr int kOldestVersion = 2;

struct Snapshot {
  SignedDirectory directory;
  std::string source_url;   // where it came from ("" when loaded from the cache)
  int version = 0;
  std::filesystem::path parts_root;  // Content-location paths are relative to this folder
  std::vector<std::string> downloaded_parts;  // locations fetched this time (unchanged ones were reused)
  // The bytes of a part by content identifier (SHARED-PARAMETERS, PRIVATE-PARAMETERS, ...).
  Result<std::string> part(std::string_view content_identifier) const;
};

class ConfigurationClient {
 public:
  ConfigurationClient(net::HttpClient& http, Anchor anchor, std::filesystem::path cache_dir, const Clock& clock = Clock::system());

  // One refresh: download, verify, store. On failure the previous snapshot stays. When the
  // directory is unchanged (the usual case) nothing is fetched beyond it and nothing written.
  boost::asio::awaitable<Result<Snapshot>> update();
  // The last stored configuration, verified again (signature, expiry, parts).
  Result<Snapshot> load_cached() const;
  // The anchor's verification certificates and those learned from the configuration.
  std::vector<crypto::Certificate> trusted_certs() const;

 private:
  // Takes the verification certificates the snapshot's shared parameters list (own instance).
  void learn_sources(const Snapshot& snapshot);

  boost::asio::awaitable<Result<std::pair<std::string, int>>> fetch_directory(const std::string& url);

  net::HttpClient& http_;
  Anchor anchor_;
  std::filesystem::path cache_;
  const Clock& clock_;
  std::optional<Snapshot> current_;  // the configuration in use
  std::vector<crypto::Certificate> learned_;
};

}  // namespace roadside::globalconf
