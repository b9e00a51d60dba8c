// A Roadside backup file: a GNU tar (`tar tf` lists it, `tar xf` unpacks it) labelled
// `roadside_backup_1_<instance>/<class>/<code>/<server>`, holding in this order
//   manifest.json   what the backup is: format, server, instance id, time, Roadside version,
//                   the database's schema and dialect, the SHA-256 and size of database.jsonl,
//                   and the hash of the signer's certificate
//   database.jsonl  the configuration and keys (database_dump.h)
//   signature.json  the manifest's bytes signed by the server's authentication key, with its
//                   certificate: {"algorithm": <XML-DSig URI>, "certificate": <base64 DER>,
//                   "signature": <base64>}
// Reading checks every byte: the archive must be exactly what writing makes of its parts (no
// other member, header field, padding or trailer), the signature must hold for the manifest
// with the certificate the manifest names, and database.jsonl must have the manifest's hash and
// size. So any one changed byte is an error; the only other file that reads is the same backup
// with an ECDSA signature value in its equivalent form (s and n - s), which changes nothing it
// says.
// Whom the certificate belongs to is the caller's question (backups.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/identifiers.h"
#include "base/result.h"
#include "crypto/certificate.h"
#include "crypto/keys.h"
#include "storage/store.h"

namespace roadside::serverbackup {

enum class errc {
  malformed = 1,     // not a Roadside backup, or one with a byte changed (the detail says where)
  untrusted_signer,  // the signature holds, but nothing vouches for its certificate
  other_server,      // the backup is of another server than the target's
  not_restorable,    // the target cannot take it (a server runs, a newer schema, another dialect)
};
const FaultCategory& serverbackup_category() noexcept;
inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), serverbackup_category()};
}

struct Manifest {
  XRoadId server;  // SERVER
  std::string instance_id;
  std::string created_at;  // RFC 3339
  std::string roadside_version;
  int schema_version = 0;
  storage::Dialect dialect = storage::Dialect::sqlite;
  std::string database_sha256;  // hex
  std::size_t database_size = 0;
  std::string signer_sha256;  // X-Road's hash of the signer's certificate: the signature binds it
};

struct OpenedBackup {
  Manifest manifest;
  crypto::Certificate signer;
  std::string database;  // database.jsonl
};

// The volume label of a backup of `server`: "roadside_backup_1_INSTANCE/CLASS/CODE/SERVER", the
// parts as they are (as X-Road labels its own backups), cut to what a tar label holds.
std::string backup_label(const XRoadId& server);

// The backup file's bytes; `manifest`'s hashes and size are those of `database` and `cert` (set here).
Result<std::string> write_backup(Manifest manifest, std::string_view database, const crypto::PrivateKey& key,
                                 const crypto::Certificate& cert);

struct ReadLimits {
  std::size_t max_database = 1u << 30;
  std::size_t max_small = 1 << 20;  // manifest.json, signature.json
};
// The backup in `bytes`, every byte checked as the file comment says; errc::malformed otherwise.
Result<OpenedBackup> read_backup(std::string_view bytes, const ReadLimits& limits = {});

}  // namespace roadside::serverbackup

ROADSIDE_ERRC_ENUM(roadside::serverbackup::errc)
