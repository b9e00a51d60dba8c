// `roadside import-xroad`: a Java Security Server taken over into this server's database
// (xroadimport/takeover.h reads and checks it all first). Then, in order: the software token's
// keys with their certificates (sealed under the PIN when one is given: XROAD_TOKEN_PIN, or
// X-Road's autologin file from the archive; else kept as PKCS#12 until the first login), the
// server configuration as its first revision, the internal TLS key, and the configuration
// anchor written to globalconf.anchor (or beside the database, to be named there).
//
// Only into a server that has nothing yet: no server configuration, no keys, and no other
// anchor at globalconf.anchor. A started `roadside serve` on the same configuration then is the
// Java server: the same identity, clients, services and access rights.
#pragma once

#include <filesystem>
#include <string>

#include "config/config.h"

namespace roadside::server {

struct ImportXRoadOptions {
  std::filesystem::path source;    // a backup (.gpg or .tar) or a copy of /etc/xroad
  std::filesystem::path db_dump;   // with a folder: its database dump (pg_dump -F c of serverconf)
  std::filesystem::path gpg_home;  // the keyring that checks (and opens) a .gpg backup; empty: unchecked
  std::filesystem::path gpg = "/usr/bin/gpg";
};

// Prints what was imported and what was not; exit code 0 on success, 1 on an error (named on
// stderr, nothing stored unless the error says so), 3 on a secondary node.
int import_xroad(const config::Config& config, const ImportXRoadOptions& options);

}  // namespace roadside::server
