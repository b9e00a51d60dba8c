// `roadside backup verify` and `roadside backup restore`: on a backup file, in this process
// (`backup create`, `list` and `delete` are admin API calls, answered by the running server).
//
// Who signed is checked against the global configuration this server has cached or, on a new
// host without one, downloads once with globalconf.anchor; against the database's own
// authentication certificates; or against --trusted-signer. Restoring needs the server stopped
// (no answer on its control socket): it replaces the database's configuration and keys in one
// transaction; the next `roadside serve` runs on them.
#pragma once

#include <filesystem>
#include <string>

#include "config/config.h"

namespace roadside::server {

struct BackupFileOptions {
  std::filesystem::path file;  // a path, or the name of a file in backup.dir
  std::string trusted_signer;  // an authentication certificate's hash that vouches for the signer
  bool force = false;          // restore: another server's backup too
};

// Prints what the backup is and who vouches for it; exit code 0 when it is intact and its
// signer vouched for, 1 otherwise (the reason and its fault code on stderr).
int verify_backup_file(const config::Config& config, const BackupFileOptions& options);
// Prints what was restored; exit code 0, or 1 with the reason (nothing changed).
int restore_backup_file(const config::Config& config, const BackupFileOptions& options);

}  // namespace roadside::server
