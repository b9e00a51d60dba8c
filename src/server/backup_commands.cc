#include "server/backup_commands.h"

#include <cerrno>
#include <cstdio>

#include <boost/asio/io_context.hpp>

#include "admin/context.h"
#include "base/log.h"
#include "metrics/metrics.h"
#include "server/backup_service.h"
#include "server/control.h"
#include "server/database.h"
#include "server/globalconf_service.h"
#include "server/readiness.h"
#include "serverbackup/backups.h"
#include "signer/token.h"

namespace roadside::server {
namespace {

namespace fs = std::filesystem;

int fail(const Error& e) {
  std::fprintf(stderr, "roadside: %s\n%s\n", e.detail().c_str(), e.fault_code().c_str());
  return 1;
}

// The backup file: a path, or a name in backup.dir.
fs::path backup_file(const BackupServiceOptions& options, const fs::path& given) {
  std::error_code ec;
  if (given.has_parent_path() || fs::exists(given, ec)) return given;
  return options.backups.dir / given;
}

// The global configuration this server has cached or, on a host without one, downloads once
// with its anchor; null when there is none. An anchor that cannot be read is an error.
Result<std::shared_ptr<const globalconf::SharedParameters>> shared_parameters(const config::Config& config) {
  boost::asio::io_context io;
  metrics::Registry metrics;
  Readiness readiness;
  GlobalconfService globalconf(io, GlobalconfOptions::from(config), metrics, readiness);
  ROADSIDE_TRY_STATUS(globalconf.open_cached());
  if (!globalconf.shared() && !config.str("globalconf.anchor").empty()) {
    if (auto st = globalconf.download_once(); !st.ok())
      log::warn("global configuration could not be downloaded to check the backup's signer",
                {{"error", st.error().detail()}});
  }
  return globalconf.shared();  // (shared: it outlives the service)
}

// What is at hand to vouch for a backup's signer, with the database that is opened for it.
struct Context {
  BackupServiceOptions options;
  std::unique_ptr<storage::Store> store;
  serverbackup::Trust trust;
};

Result<Context> open_context(const config::Config& config, const std::string& trusted_signer) {
  Context c;
  ROADSIDE_TRY(c.options, BackupServiceOptions::from(config));
  ROADSIDE_TRY(c.store, open_store(DatabaseOptions::from(config)));
  ROADSIDE_TRY(c.trust.own_auth_certs, serverbackup::authentication_certificates(signer::SoftToken(*c.store)));
  c.trust.trusted_signer = trusted_signer;
  ROADSIDE_TRY(c.trust.shared, shared_parameters(config));
  return c;
}

void print_backup(const serverbackup::VerifiedBackup& v) {
  const auto& m = v.backup.manifest;
  std::printf("  server: %s (instance id %s)\n  made: %s by Roadside %s, database schema %d (%s)\n",
              m.server.to_string().c_str(), m.instance_id.c_str(), m.created_at.c_str(), m.roadside_version.c_str(),
              m.schema_version, std::string(storage::to_string(m.dialect)).c_str());
  std::printf("  signed by: %s (%s): %s\n", v.backup.signer.sha256_hex().c_str(), v.backup.signer.subject().c_str(),
              v.vouched_by.c_str());
}

}  // namespace

int verify_backup_file(const config::Config& config, const BackupFileOptions& options) {
  auto c = open_context(config, options.trusted_signer);
  if (!c.ok()) return fail(c.error());
  const fs::path file = backup_file(c->options, options.file);
  auto verified = serverbackup::verify_backup(file, c->trust, c->options.backups.gpg);
  if (!verified.ok()) return fail(verified.error());
  std::printf("%s: intact, every byte as it was signed\n", file.string().c_str());
  print_backup(*verified);
  return 0;
}

int restore_backup_file(const config::Config& config, const BackupFileOptions& options) {
  const DatabaseOptions db = DatabaseOptions::from(config);
  if (db.secondary()) {
    std::fprintf(stderr, "roadside: this node is a secondary (node.role): restore on the primary\n");
    return 3;
  }
  // The running server keeps its state in memory: it must not be running.
  if (auto answer = control_request(db.data_dir / "control.sock", "ping", "", std::chrono::seconds(5)); answer.ok()) {
    return fail(Error(serverbackup::errc::not_restorable, "a server runs on " + db.data_dir.string() +
                                                              ": stop it first (or restore through its admin API)"));
  }
  auto c = open_context(config, options.trusted_signer);
  if (!c.ok()) return fail(c.error());
  const fs::path file = backup_file(c->options, options.file);
  auto verified = serverbackup::verify_backup(file, c->trust, c->options.backups.gpg);
  if (!verified.ok()) return fail(verified.error());
  const auto target = admin::stored_server_id(*c->store);
  auto restored = serverbackup::restore_backup(*c->store, *verified, {target, options.force});
  if (!restored.ok()) return fail(restored.error());
  log::audit("Restore configuration", "system",
             {{"backupFileName", file.string()},
              {"server", verified->backup.manifest.server.to_string()},
              {"forced", options.force && target && *target != verified->backup.manifest.server}});
  std::printf("restored %s into %s: %zu rows, schema %d brought to %d\n", file.string().c_str(),
              c->store->describe().c_str(), restored->rows, restored->schema_from, restored->schema_to);
  print_backup(*verified);
  std::printf("  start the server (roadside serve) with the token's PIN to use it\n");
  return 0;
}

}  // namespace roadside::server
