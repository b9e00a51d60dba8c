// Roadside's own backups (`roadside backup create | list | verify | restore`, the daily backup):
// the database's configuration and keys (database_dump.h) in a signed archive (archive.h),
// optionally encrypted with gpg, in one folder.
//
// Names are X-Road's with Roadside's extensions: conf_backup_<yyyyMMdd-HHmmss>.tar made on
// request, ss-automatic-backup-<yyyy_MM_dd_HHmmss>.tar made daily (UTC), ".tar.gpg" when
// encrypted (X-Road's own end in ".gpg" alone; those are import-xroad's). Only automatic ones
// are deleted when older than the days kept.
//
// Verifying checks every byte (archive.h) and then who signed: the signer's certificate must be
// an authentication certificate of the server the backup names, as global configuration lists
// it, or one of this database's own, or the one the operator names by its hash. Restoring
// replaces the configuration and keys of the target database with the backup's, in one
// transaction, after the backup was verified; a backup of another server than the one the
// database holds is refused unless forced.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backup/gpg.h"
#include "base/identifiers.h"
#include "base/result.h"
#include "crypto/certificate.h"
#include "crypto/keys.h"
#include "globalconf/parameters.h"
#include "serverbackup/archive.h"
#include "serverbackup/database_dump.h"
#include "signer/token.h"
#include "storage/store.h"

namespace roadside::serverbackup {

struct BackupOptions {
  std::filesystem::path dir;            // backup.dir
  std::vector<std::string> encrypt_to;  // gpg recipients (backup.encrypt_to); empty: not encrypted
  backup::GpgOptions gpg;               // its home holds their public keys (and, to restore, a secret key)
};

enum class BackupKind { manual, automatic };
// X-Road's file name for a backup made at `at`.
std::string backup_name(BackupKind kind, std::chrono::system_clock::time_point at, bool encrypted);
// Whether `name` is a backup's name: X-Road's admin API's pattern (`^(?!\.)[\w.\-]+`), ending
// in .tar or .tar.gpg here, no "..". No path is made of anything else.
bool valid_backup_name(std::string_view name);

// Who the backup is of, and the key that signs it (the server's authentication key).
struct Signer {
  XRoadId server;
  std::string instance_id;
  const crypto::PrivateKey& key;
  const crypto::Certificate& cert;
};

// Makes `dir` (0700) when it is missing; an existing folder is left as the operator made it.
Status ensure_backup_dir(const std::filesystem::path& dir);

// Writes a backup of `store` into options.dir (ensure_backup_dir) under `name` (0600), atomically
// (a file of its own, renamed). Returns its path.
Result<std::filesystem::path> create_backup(storage::Store& store, const Signer& signer, const BackupOptions& options,
                                            const std::string& name);

// A backup of the server `store` holds, named by `kind` and the time: its id from the newest
// server configuration, its instance id from the settings, signed with `keys`' authentication
// key. errc::not_restorable's sibling errors: base::errc::invalid_argument before the server
// is initialized; the token's error (token_not_active, key_not_found) when the key cannot sign.
Result<std::filesystem::path> back_up(storage::Store& store, const signer::KeySource& keys,
                                      const BackupOptions& options, BackupKind kind);

struct ListedBackup {
  std::string name;
  std::uintmax_t size = 0;
  std::chrono::system_clock::time_point modified;
  BackupKind kind = BackupKind::manual;
  bool encrypted = false;
};
// The backups in `dir` (files with a backup's name), newest first; none when it does not exist.
Result<std::vector<ListedBackup>> list_backups(const std::filesystem::path& dir);
// Deletes the automatic backups in `dir` last written more than `keep` ago; how many.
Result<int> prune_automatic(const std::filesystem::path& dir, std::chrono::hours keep,
                            std::chrono::system_clock::time_point now);

// What vouches for a backup's signer.
struct Trust {
  std::shared_ptr<const globalconf::SharedParameters> shared;  // the global configuration at hand; may be null
  std::vector<crypto::Certificate> own_auth_certs;             // the target database's authentication certificates
  std::string trusted_signer;  // an authentication certificate's hash the operator names (hex, any case); "" none
};

// The certificates of `token`'s authentication keys (what Trust::own_auth_certs takes).
Result<std::vector<crypto::Certificate>> authentication_certificates(const signer::SoftToken& token);

struct VerifiedBackup {
  OpenedBackup backup;
  std::string vouched_by;  // how the signer was found to be the server's, for the operator
};

// Reads `file` (decrypting a .tar.gpg with `gpg`'s home) and checks it. errc::malformed for a
// changed byte (the detail says where), errc::untrusted_signer when nothing in `trust` vouches
// for the signature's certificate being the named server's, errc::not_restorable for an
// encrypted one without a keyring; gpg's and the file system's errors as they come.
Result<VerifiedBackup> verify_backup(const std::filesystem::path& file, const Trust& trust,
                                     const backup::GpgOptions& gpg);

struct RestoreOptions {
  std::optional<XRoadId> target_server;  // the server the target database holds, if any
  bool force = false;                    // restore another server's backup
};
struct Restored {
  std::size_t rows = 0;
  int schema_from = 0, schema_to = 0;
};
// Replaces the configuration and keys of `store` (migrated to the newest schema) with the
// backup's. errc::other_server for another server's backup without `force`;
// errc::not_restorable for a backup of a PostgreSQL database into SQLite (its timestamps are
// PostgreSQL's) or of a newer Roadside.
Result<Restored> restore_backup(storage::Store& store, const VerifiedBackup& verified, const RestoreOptions& options);

}  // namespace roadside::serverbackup
