#include "server/import_xroad.h"

#include <cstdio>

#include "base/files.h"
#include "base/log.h"
#include "base/utf8.h"
#include "server/database.h"
#include "server/proxies.h"
#include "serverconf/revisions.h"
#include "signer/token.h"
#include "xroadimport/serverconf_dump.h"
#include "xroadimport/takeover.h"

namespace roadside::server {
namespace {

namespace fs = std::filesystem;

int fail(const std::string& why) {
  std::fprintf(stderr, "roadside: import-xroad: %s\n", why.c_str());
  return 1;
}

// Why the target cannot take the import, or "" when it has nothing yet.
Result<std::string> occupied(storage::Store& store, signer::SoftToken& token) {
  auto latest = serverconf::load_latest(store);
  if (latest.ok())
    return "the database (" + store.describe() + ") already has a server configuration, of server " +
           latest->conf->server_id().to_string();
  if (latest.error().code() != serverconf::errc::no_conf) return latest.error();
  ROADSIDE_TRY(bool initialized, token.initialized());
  if (initialized) return "the database (" + store.describe() + ") already has a token PIN or keys";
  return std::string();
}

}  // namespace

int import_xroad(const config::Config& config, const ImportXRoadOptions& options) {
  // Read and check everything before anything is stored.
  if (!is_utf8(options.source.string()))
    return fail("the source's path is not UTF-8 (the configuration's history names it): rename it");
  std::error_code ec;
  auto files = fs::is_directory(options.source, ec)
                   ? xroadimport::read_folder(options.source, options.db_dump)
                   : xroadimport::read_backup(options.source, {options.gpg, options.gpg_home});
  if (!files.ok()) return fail(files.error().detail() + "\n" + files.error().fault_code());
  auto takeover = xroadimport::read_takeover(*files);
  if (!takeover.ok()) return fail(takeover.error().detail() + "\n" + takeover.error().fault_code());
  xroadimport::Takeover& t = *takeover;

  std::string pin = config.str("token.pin");
  const char* pin_source = "XROAD_TOKEN_PIN";
  if (pin.empty()) {
    pin = t.autologin_pin;
    pin_source = "etc/xroad/autologin";
  }
  if (!pin.empty() && xroadimport::pin_opens_token(t.token_files, pin) == false)
    return fail(std::string("the PIN from ") + pin_source + " does not open the software token's keys");

  const DatabaseOptions db = DatabaseOptions::from(config);
  if (db.secondary()) {
    std::fprintf(stderr, "roadside: this node is a secondary (node.role): import on the primary\n");
    return 3;
  }
  fs::path anchor_path = config.str("globalconf.anchor");
  const bool anchor_configured = !anchor_path.empty();
  if (!anchor_configured) anchor_path = fs::path(db.data_dir) / "configuration-anchor.xml";
  if (fs::exists(anchor_path, ec)) {
    auto present = read_file_limited(anchor_path, 1 << 20);
    if (!present.ok() || *present != t.anchor_xml)
      return fail(anchor_path.string() + " holds another configuration anchor: import into a server that has none");
  }
  auto opened = open_store(db);
  if (!opened.ok()) return fail(opened.error().detail());
  storage::Store& store = **opened;
  signer::SoftToken token(store);
  auto busy = occupied(store, token);
  if (!busy.ok()) return fail(busy.error().detail());
  if (!busy->empty()) {
    const Error e(xroadimport::errc::not_empty, *busy + ": import into a new data directory or database");
    return fail(e.detail() + "\n" + e.fault_code());
  }

  // The token's files go through a private folder for SoftToken::import_folder.
  {
    auto folder = PrivateTempDir::make("roadside-import");
    if (!folder.ok()) return fail(folder.error().detail());
    for (const auto& [name, bytes] : t.token_files) {
      if (auto st = write_file_atomically(folder->path() / name, bytes, FileMode::secret); !st.ok())
        return fail(st.error().detail());
    }
    auto added = token.import_folder(folder->path(), pin);
    if (!added.ok()) return fail("the token's keys: " + added.error().detail() + " (nothing else was stored)");
  }
  auto applied = serverconf::apply(store, t.conf, "import-xroad " + options.source.string());
  if (!applied.ok())
    return fail("the server configuration: " + applied.error().detail() +
                " (the keys were stored: remove the database before trying again)");
  if (!t.internal_tls_pem.empty()) {
    if (auto st = store_internal_tls(store, t.internal_tls_pem); !st.ok())
      return fail("the internal TLS key: " + st.error().detail() +
                  " (the keys and the configuration were stored: remove the database before trying again)");
  }
  if (auto st = write_file_atomically(anchor_path, t.anchor_xml); !st.ok())
    return fail("the configuration anchor: " + st.error().detail() +
                " (everything else was stored; write configuration-anchor.xml there by hand)");

  log::audit("Import X-Road Security Server", "system",
             {{"source", options.source.string()},
              {"server", t.server.to_string()},
              {"keys", t.token_keys},
              {"signatureChecked", files->signature_checked}});
  std::printf("imported %s from %s into %s\n", t.server.to_string().c_str(), options.source.string().c_str(),
              store.describe().c_str());
  if (!options.source.empty() && !fs::is_directory(options.source, ec))
    t.report.took(files->signature_checked ? "the archive's signature, checked with " + options.gpg_home.string()
                                           : std::string("the archive (its signature not checked: give --gpg-home)"));
  for (const auto& line : t.report.imported) std::printf("  imported: %s\n", line.c_str());
  if (pin.empty())
    t.report.left(
        "no PIN was given (XROAD_TOKEN_PIN): the keys stay as X-Road stored them until the first login, "
        "which seals them");
  std::printf("  configuration anchor: %s%s\n", anchor_path.string().c_str(),
              anchor_configured ? "" : " (set globalconf.anchor to it)");
  for (const auto& line : t.report.not_imported) std::printf("  not imported: %s\n", line.c_str());
  return 0;
}

}  // namespace roadside::server
