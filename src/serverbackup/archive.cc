#include "serverbackup/archive.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "backup/tar.h"
#include "base/clock.h"
#include "base/errc.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "crypto/signature.h"

namespace roadside::serverbackup {

const FaultCategory& serverbackup_category() noexcept {
  static const TableCategory<errc> c(
      "serverbackup", {
                          {errc::malformed, "backup_malformed", "not a Roadside backup, or one that was changed"},
                          {errc::untrusted_signer, "backup_signer_unknown", "nothing vouches for the backup's signer"},
                          {errc::other_server, "backup_of_other_server", "the backup is of another server"},
                          {errc::not_restorable, "backup_not_restorable", "the target cannot take the backup"},
                      });
  return c;
}

namespace {

using nlohmann::json;

constexpr std::string_view kLabelPrefix = "roadside_backup_1_";
constexpr std::string_view kManifest = "manifest.json", kDatabase = "database.jsonl", kSignature = "signature.json";
constexpr std::uint32_t kMode = 0600;

Error malformed(const std::string& what) {
  return Error(errc::malformed, "not an intact Roadside backup: " + what);
}

std::string manifest_json(const Manifest& m) {
  return json{{"format", "roadside-backup"},
              {"version", 1},
              {"server", m.server.to_string()},
              {"instance_id", m.instance_id},
              {"created_at", m.created_at},
              {"roadside", m.roadside_version},
              {"schema", m.schema_version},
              {"dialect", std::string(storage::to_string(m.dialect))},
              {"files", {{std::string(kDatabase), {{"sha256", m.database_sha256}, {"size", m.database_size}}}}},
              {"signer", m.signer_sha256}}
             .dump(2) +
         "\n";
}

Result<Manifest> parse_manifest(std::string_view text) {
  const json j = json::parse(text, nullptr, false);
  // (json::value() throws on a value of another type: only what was checked is read.)
  if (!j.is_object() || !j.contains("format") || j["format"] != "roadside-backup" || !j.contains("version") ||
      j["version"] != 1)
    return malformed("manifest.json is not a version 1 Roadside backup manifest");
  Manifest m;
  try {
    auto server = XRoadId::parse(j.at("server").get<std::string>());
    if (!server.ok() || server->type() != ObjectType::server) return malformed("manifest.json names no server");
    m.server = *server;
    m.instance_id = j.at("instance_id").get<std::string>();
    m.created_at = j.at("created_at").get<std::string>();
    m.roadside_version = j.at("roadside").get<std::string>();
    m.schema_version = j.at("schema").get<int>();
    const std::string dialect = j.at("dialect").get<std::string>();
    if (dialect != "sqlite" && dialect != "postgresql") return malformed("manifest.json's dialect");
    m.dialect = dialect == "sqlite" ? storage::Dialect::sqlite : storage::Dialect::postgresql;
    const json& db = j.at("files").at(std::string(kDatabase));
    m.database_sha256 = db.at("sha256").get<std::string>();
    m.database_size = db.at("size").get<std::size_t>();
    m.signer_sha256 = j.at("signer").get<std::string>();
  } catch (const json::exception& e) {
    return malformed(std::string("manifest.json: ") + e.what());
  }
  if (!parse_rfc3339(m.created_at)) return malformed("manifest.json's created_at");
  return m;
}

std::string signature_json(std::string_view algorithm, const crypto::Certificate& cert, std::string_view signature) {
  return json{{"algorithm", algorithm},
              {"certificate", crypto::base64_encode(cert.to_der())},
              {"signature", crypto::base64_encode(signature)}}
             .dump(2) +
         "\n";
}

std::string algorithm_for(bool ec) {
  return std::string(ec ? crypto::kEcdsaSha256Uri : crypto::kRsaSha256Uri);
}

// The archive of these parts, as write_backup makes it (and read_backup compares with).
Result<std::string> assemble(const std::string& label, std::int64_t mtime, std::string_view manifest,
                             std::string_view database, std::string_view signature) {
  std::ostringstream out;
  backup::TarWriter tar(out);
  ROADSIDE_TRY_STATUS(tar.label(label, mtime));
  ROADSIDE_TRY_STATUS(tar.file(std::string(kManifest), manifest, kMode, mtime));
  ROADSIDE_TRY_STATUS(tar.file(std::string(kDatabase), database, kMode, mtime));
  ROADSIDE_TRY_STATUS(tar.file(std::string(kSignature), signature, kMode, mtime));
  ROADSIDE_TRY_STATUS(tar.finish());
  return out.str();
}

}  // namespace

std::string backup_label(const XRoadId& server) {
  const std::string text = server.to_string();  // "SERVER:INSTANCE/CLASS/CODE/SERVER"
  return (std::string(kLabelPrefix) + text.substr(text.find(':') + 1)).substr(0, backup::kMaxLabelBytes);
}

Result<std::string> write_backup(Manifest m, std::string_view database, const crypto::PrivateKey& key,
                                 const crypto::Certificate& cert) {
  m.database_sha256 = crypto::to_hex(crypto::sha256(database));
  m.database_size = database.size();
  m.signer_sha256 = cert.sha256_hex();
  const std::string manifest = manifest_json(m);
  const std::string algorithm = algorithm_for(key.is_ec_key());
  ROADSIDE_TRY(std::string signature, crypto::sign(key, algorithm, manifest));
  ROADSIDE_TRY_STATUS(crypto::verify_signature(cert, algorithm, manifest, signature));  // the key is the certificate's
  const auto created = parse_rfc3339(m.created_at);
  const std::int64_t mtime =
      created ? std::chrono::duration_cast<std::chrono::seconds>(created->time_since_epoch()).count() : 0;
  return assemble(backup_label(m.server), mtime, manifest, database, signature_json(algorithm, cert, signature));
}

Result<OpenedBackup> read_backup(std::string_view bytes, const ReadLimits& limits) {
  std::istringstream in{std::string(bytes)};
  backup::TarReader reader(in, {.max_members = 4, .max_member_bytes = limits.max_database, .max_name_bytes = 64});
  std::string parts[3];
  const std::string_view names[3] = {kManifest, kDatabase, kSignature};
  std::int64_t mtime = 0;
  for (int i = 0; i < 3; ++i) {
    auto header = reader.next();
    if (!header.ok()) return malformed(header.error().detail());
    if (!*header || (*header)->name != names[i] || (*header)->type != backup::TarType::file)
      return malformed("its members are not manifest.json, database.jsonl and signature.json in order");
    if (i == 0) mtime = (*header)->mtime;
    auto data = reader.read(i == 1 ? limits.max_database : limits.max_small);
    if (!data.ok()) return malformed(data.error().detail());
    parts[i] = std::move(data).value();
  }
  ROADSIDE_TRY(Manifest m, parse_manifest(parts[0]));
  if (reader.label() != backup_label(m.server))
    return malformed("its label '" + reader.label().substr(0, 100) + "' is not that of " + m.server.to_string());

  // Every byte: the archive is exactly what writing makes of these parts.
  ROADSIDE_TRY(std::string again, assemble(reader.label(), mtime, parts[0], parts[1], parts[2]));
  if (again != bytes) {
    std::size_t at = 0;
    while (at < again.size() && at < bytes.size() && again[at] == bytes[at]) ++at;
    return malformed("byte " + std::to_string(at) + " of " + std::to_string(bytes.size()) +
                     " is not what a backup of these contents has (changed, or added to)");
  }

  json sig = json::parse(parts[2], nullptr, false);  // (not const: a missing key reads as null)
  if (!sig.is_object() || !sig["algorithm"].is_string() || !sig["certificate"].is_string() ||
      !sig["signature"].is_string())
    return malformed("signature.json is not a signature");
  auto der = crypto::base64_decode(sig["certificate"].get<std::string>());
  auto signature = crypto::base64_decode(sig["signature"].get<std::string>());
  if (!der.ok() || !signature.ok()) return malformed("signature.json's base64");
  auto cert = crypto::Certificate::from_der(*der);
  if (!cert.ok()) return malformed("signature.json's certificate: " + cert.error().detail());
  const std::string algorithm = sig["algorithm"].get<std::string>();
  if (algorithm != algorithm_for(cert->is_ec_key())) return malformed("signature.json's algorithm");
  // (Written as writing writes it: base64 has spare bits a changed byte could hide in.)
  if (signature_json(algorithm, *cert, *signature) != parts[2]) return malformed("signature.json is not as written");
  if (auto st = crypto::verify_signature(*cert, algorithm, parts[0], *signature); !st.ok())
    return malformed("the signature over manifest.json does not hold: " + st.error().detail());
  if (cert->sha256_hex() != m.signer_sha256)
    return malformed("the signer's certificate is not the one the manifest names");
  if (parts[1].size() != m.database_size || crypto::to_hex(crypto::sha256(parts[1])) != m.database_sha256)
    return malformed("database.jsonl is not the one the manifest names");
  return OpenedBackup{std::move(m), std::move(cert).value(), std::move(parts[1])};
}

}  // namespace roadside::serverbackup
