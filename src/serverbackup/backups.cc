#include "serverbackup/backups.h"

#include <algorithm>
#include <ctime>

#include <sys/stat.h>

#include "base/clock.h"
#include "base/errors.h"
#include "base/files.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "serverconf/revisions.h"

namespace roadside::serverbackup {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kManualPrefix = "conf_backup_", kAutomaticPrefix = "ss-automatic-backup-";
constexpr std::string_view kTar = ".tar", kGpg = ".tar.gpg";

std::string utc(std::chrono::system_clock::time_point at, const char* format) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

Error io(const std::string& what) {
  return Error(make_error_code(base::errc::io_error), what);
}

}  // namespace

std::string backup_name(BackupKind kind, std::chrono::system_clock::time_point at, bool encrypted) {
  const std::string stamp = kind == BackupKind::manual ? utc(at, "%Y%m%d-%H%M%S") : utc(at, "%Y_%m_%d_%H%M%S");
  return std::string(kind == BackupKind::manual ? kManualPrefix : kAutomaticPrefix) + stamp +
         std::string(encrypted ? kGpg : kTar);
}

bool valid_backup_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '.') return false;
  const bool word = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
  return word && (name.ends_with(kTar) || name.ends_with(kGpg)) && name.find("..") == std::string_view::npos;
}

Status ensure_backup_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return {};
  fs::create_directories(dir, ec);
  if (ec) return io("cannot make the backup folder " + dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return io("cannot make " + dir.string() + " the server's only");
  return {};
}

Result<fs::path> create_backup(storage::Store& store, const Signer& signer, const BackupOptions& options,
                               const std::string& name) {
  if (!valid_backup_name(name))
    return Error(make_error_code(base::errc::invalid_argument), "not a backup's name: " + name);
  if (name.ends_with(kGpg) != !options.encrypt_to.empty())
    return Error(make_error_code(base::errc::invalid_argument), name + ": .tar.gpg is for encrypted backups only");
  ROADSIDE_TRY(DatabaseDump dumped, store.with_connection([](storage::Connection& c) { return dump(c); }));
  Manifest m;
  m.server = signer.server;
  m.instance_id = signer.instance_id;
  m.created_at = format_rfc3339(Clock::system().now());
  m.roadside_version = ROADSIDE_VERSION;
  m.schema_version = dumped.schema_version;
  m.dialect = dumped.dialect;
  ROADSIDE_TRY(std::string bytes, write_backup(m, to_jsonl(dumped), signer.key, signer.cert));
  if (!options.encrypt_to.empty()) {
    ROADSIDE_TRY(bytes, backup::gpg_encrypt(bytes, options.encrypt_to, options.gpg));
  }
  ROADSIDE_TRY_STATUS(ensure_backup_dir(options.dir));
  std::error_code ec;
  const fs::path file = options.dir / name;
  if (fs::exists(file, ec)) return io(file.string() + " exists already");
  ROADSIDE_TRY_STATUS(write_file_atomically(file, bytes, FileMode::secret));
  return file;
}

Result<fs::path> back_up(storage::Store& store, const signer::KeySource& keys, const BackupOptions& options,
                         BackupKind kind) {
  auto latest = serverconf::load_latest(store);
  if (!latest.ok() || latest->conf->server_code.empty())
    return Error(make_error_code(base::errc::invalid_argument), "the server is not initialized: nothing to back up");
  ROADSIDE_TRY(auto instance, store.get_setting("instance.id"));
  ROADSIDE_TRY(auto auth, keys.auth_key());
  const Signer signer{latest->conf->server_id(), instance.value_or(""), auth->key, auth->info.cert};
  return create_backup(store, signer, options,
                       backup_name(kind, std::chrono::system_clock::now(), !options.encrypt_to.empty()));
}

Result<std::vector<ListedBackup>> list_backups(const fs::path& dir) {
  std::vector<ListedBackup> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!valid_backup_name(name) || !entry.is_regular_file(ec)) continue;
    ListedBackup b;
    b.name = name;
    b.size = entry.file_size(ec);
    b.modified = std::chrono::time_point_cast<std::chrono::system_clock::duration>(
        std::chrono::file_clock::to_sys(entry.last_write_time(ec)));
    b.kind = name.starts_with(kAutomaticPrefix) ? BackupKind::automatic : BackupKind::manual;
    b.encrypted = name.ends_with(kGpg);
    out.push_back(std::move(b));
  }
  if (ec) return io("cannot list " + dir.string() + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.modified > b.modified; });
  return out;
}

Result<int> prune_automatic(const fs::path& dir, std::chrono::hours keep, std::chrono::system_clock::time_point now) {
  ROADSIDE_TRY(auto listed, list_backups(dir));
  int removed = 0;
  for (const auto& b : listed) {
    if (b.kind != BackupKind::automatic || now - b.modified <= keep) continue;
    std::error_code ec;
    if (fs::remove(dir / b.name, ec)) ++removed;
    if (ec) return io("cannot delete " + (dir / b.name).string() + ": " + ec.message());
  }
  return removed;
}

Result<std::vector<crypto::Certificate>> authentication_certificates(const signer::SoftToken& token) {
  ROADSIDE_TRY(auto contents, token.contents());
  std::vector<crypto::Certificate> out;
  for (const auto& key : contents) {
    if (key.usage != signer::KeyUsage::authentication) continue;
    for (const auto& c : key.certs) out.push_back(c.cert);
  }
  return out;
}

Result<VerifiedBackup> verify_backup(const fs::path& file, const Trust& trust, const backup::GpgOptions& gpg) {
  std::string bytes;
  if (file.string().ends_with(kGpg)) {
    if (gpg.home.empty())
      return Error(errc::not_restorable,
                   file.string() + " is encrypted: backup.gpg_home must name the keyring that opens it");
    backup::GpgOptions decrypt = gpg;
    decrypt.check_signature = false;  // signed inside
    auto unwrapped = backup::gpg_unwrap(file, decrypt);
    if (!unwrapped.ok()) {
      // A message gpg cannot open is the file's fault (or the keyring's); gpg not running is not.
      if (unwrapped.error().code() == std::make_error_code(std::errc::bad_message))
        return Error(errc::malformed, unwrapped.error().detail());
      return unwrapped.error();
    }
    bytes = std::move(unwrapped->content);
  } else {
    ROADSIDE_TRY(bytes, read_file_limited(file, std::uintmax_t{1} << 31));
  }
  auto opened = read_backup(bytes);
  if (!opened.ok()) return Error(opened.error().code(), file.string() + ": " + opened.error().detail());
  VerifiedBackup v{std::move(opened).value(), {}};
  const crypto::Certificate& cert = v.backup.signer;
  const std::string hash = cert.sha256_hex();
  const XRoadId& server = v.backup.manifest.server;
  const auto created = parse_rfc3339(v.backup.manifest.created_at);
  if (!created || *created < cert.not_before() || *created > cert.not_after())
    return Error(errc::untrusted_signer, "the backup was made when its signer's certificate was not valid");
  if (trust.shared) {
    if (const auto* listed = trust.shared->security_server(server)) {
      const std::string raw = crypto::sha256(cert.to_der());
      if (std::find(listed->auth_cert_hashes.begin(), listed->auth_cert_hashes.end(), raw) !=
          listed->auth_cert_hashes.end())
        v.vouched_by = "global configuration lists its signer's certificate as " + server.to_string() + "'s";
    }
  }
  if (v.vouched_by.empty()) {
    for (const auto& own : trust.own_auth_certs) {
      if (own.sha256_hex() == hash)
        v.vouched_by = "its signer's certificate is this server's authentication certificate";
    }
  }
  if (v.vouched_by.empty() && !trust.trusted_signer.empty() &&
      signer::normalized_cert_hash(trust.trusted_signer) == hash)
    v.vouched_by = "its signer's certificate is the one named (" + hash + ")";
  if (v.vouched_by.empty())
    return Error(errc::untrusted_signer,
                 file.string() + " is intact, but nothing here vouches for its signer, certificate " + hash + " (" +
                     cert.subject() + "): global configuration does not list it for " + server.to_string() +
                     (trust.shared ? "" : " (none is at hand)") +
                     " and it is not this server's; name it with --trusted-signer if it is the server's");
  return v;
}

Result<Restored> restore_backup(storage::Store& store, const VerifiedBackup& verified, const RestoreOptions& options) {
  const Manifest& m = verified.backup.manifest;
  if (options.target_server && *options.target_server != m.server && !options.force)
    return Error(errc::other_server, "the backup is of " + m.server.to_string() + ", this database is " +
                                         options.target_server->to_string() + "'s: --force restores it anyway");
  if (m.dialect == storage::Dialect::postgresql && store.dialect() == storage::Dialect::sqlite)
    return Error(errc::not_restorable, "the backup is of a PostgreSQL database; restore it into PostgreSQL");
  ROADSIDE_TRY(DatabaseDump dumped, from_jsonl(verified.backup.database));
  if (dumped.schema_version != m.schema_version || dumped.dialect != m.dialect)
    return Error(errc::malformed, "database.jsonl's header disagrees with the manifest");
  auto upgraded = upgrade(dumped);
  if (!upgraded.ok()) return Error(errc::not_restorable, upgraded.error().detail());
  ROADSIDE_TRY(auto schema, store.migrate());
  if (schema.version != upgraded->schema_version)
    return Error(errc::not_restorable, "the database is of schema " + std::to_string(schema.version) +
                                           ", the backup brought up to date of " +
                                           std::to_string(upgraded->schema_version));
  ROADSIDE_TRY_STATUS(store.transaction([&](storage::Connection& c) { return replace_rows(c, *upgraded); }));
  return Restored{upgraded->row_count(), dumped.schema_version, upgraded->schema_version};
}

}  // namespace roadside::serverbackup
