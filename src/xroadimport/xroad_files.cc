#include "xroadimport/xroad_files.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "backup/tar.h"
#include "base/errors.h"
#include "base/files.h"
#include "xroadimport/serverconf_dump.h"

namespace roadside::xroadimport {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kEtc = "etc/xroad/";
constexpr std::string_view kDump = "var/lib/xroad/dbdump.dat";
constexpr std::string_view kLabelPrefix = "security_XROAD_7.1_";
// The wanted files with fixed names (and, besides them, the software token's .p12 files).
constexpr std::string_view kNamedFiles[] = {
    "signer/keyconf.xml", "configuration-anchor.xml", "ssl/internal.p12", "ssl/internal.key", "ssl/internal.crt",
    "autologin",          "signer/devices.ini",       "devices.ini",      "conf.d/local.ini"};
constexpr std::string_view kTokenDir = "signer/softtoken/";

Status add(XRoadFiles& files, const std::string& path, std::string bytes, const ReadLimits& limits) {
  if (files.etc.size() >= limits.max_files)
    return Error(errc::unreadable, files.source + " has more than " + std::to_string(limits.max_files) + " key files");
  files.etc[path] = std::move(bytes);
  return {};
}

}  // namespace

bool wanted_file(std::string_view p) {
  if (std::find(std::begin(kNamedFiles), std::end(kNamedFiles), p) != std::end(kNamedFiles)) return true;
  if (!p.starts_with(kTokenDir)) return false;
  const auto name = p.substr(kTokenDir.size());
  return name.ends_with(".p12") && name.find('/') == std::string_view::npos && name.size() > 4;
}

std::optional<std::string> server_of_label(std::string_view label) {
  if (!label.starts_with(kLabelPrefix) || label.size() == kLabelPrefix.size()) return std::nullopt;
  return std::string(label.substr(kLabelPrefix.size()));
}

Result<XRoadFiles> read_backup_tar(std::string_view tar, const ReadLimits& limits) {
  std::istringstream in{std::string(tar)};
  backup::TarReader reader(in);
  XRoadFiles files;
  files.source = "the archive";
  while (true) {
    auto next = reader.next();
    if (!next.ok()) return Error(errc::not_xroad, "not a readable tar archive: " + next.error().detail());
    if (!*next) break;
    const backup::TarHeader& h = **next;
    if (h.type != backup::TarType::file) continue;
    if (h.name == kDump) {
      auto bytes = reader.read(limits.max_dump);
      if (!bytes.ok()) return Error(errc::unreadable, "the database dump: " + bytes.error().detail());
      files.db_dump = std::move(bytes).value();
    } else if (h.name.starts_with(kEtc) && wanted_file(std::string_view(h.name).substr(kEtc.size()))) {
      auto bytes = reader.read(limits.max_file);
      if (!bytes.ok()) return Error(errc::unreadable, h.name + ": " + bytes.error().detail());
      ROADSIDE_TRY_STATUS(add(files, h.name.substr(kEtc.size()), std::move(bytes).value(), limits));
    }
  }
  files.label = reader.label();
  if (!server_of_label(files.label))
    return Error(errc::not_xroad, "the archive's label is '" + files.label.substr(0, 100) +
                                      "', not a Security Server backup's (security_XROAD_7.1_<server id>)" +
                                      (files.label.starts_with("central_") ? ": it is a Central Server's" : ""));
  return files;
}

Result<XRoadFiles> read_backup(const fs::path& file, const backup::GpgOptions& gpg, const ReadLimits& limits) {
  std::string head;
  {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Error(make_error_code(base::errc::io_error), "cannot open " + file.string());
    head.resize(512);
    in.read(head.data(), 512);
    head.resize(static_cast<std::size_t>(in.gcount()));
  }
  Result<XRoadFiles> files = Error(errc::not_xroad, "");
  bool checked = false;
  if (backup::looks_like_tar(head)) {
    if (!gpg.home.empty())
      return Error(errc::unreadable, file.string() +
                                         " is a plain tar, not a gpg message: its signature cannot be "
                                         "checked with " +
                                         gpg.home.string() +
                                         " (leave --gpg-home out to "
                                         "import it unchecked)");
    auto bytes = read_file_limited(file, limits.max_dump + (std::uintmax_t{64} << 20));
    if (!bytes.ok()) return bytes.error();
    files = read_backup_tar(*bytes, limits);
  } else {
    auto unwrapped = backup::gpg_unwrap(file, gpg);
    if (!unwrapped.ok()) return unwrapped.error();
    checked = unwrapped->signed_by.has_value();
    files = read_backup_tar(unwrapped->content, limits);
  }
  if (!files.ok()) return Error(files.error().code(), file.string() + ": " + files.error().detail());
  files->source = file.string();
  files->signature_checked = checked;
  return files;
}

Result<XRoadFiles> read_folder(const fs::path& etc_xroad, const fs::path& db_dump, const ReadLimits& limits) {
  XRoadFiles files;
  files.source = etc_xroad.string();
  std::error_code ec;
  if (!fs::is_directory(etc_xroad, ec)) return Error(errc::not_xroad, etc_xroad.string() + " is not a folder");
  auto take = [&](const std::string& rel) -> Status {
    auto bytes = read_file_limited(etc_xroad / rel, limits.max_file);
    if (!bytes.ok()) return Error(errc::unreadable, bytes.error().detail());
    return add(files, rel, std::move(bytes).value(), limits);
  };
  for (std::string_view rel : kNamedFiles) {
    if (fs::is_regular_file(etc_xroad / rel, ec)) ROADSIDE_TRY_STATUS(take(std::string(rel)));
  }
  const fs::path token = etc_xroad / kTokenDir;
  if (fs::is_directory(token, ec)) {
    for (const auto& entry : fs::directory_iterator(token, ec)) {
      const std::string rel = std::string(kTokenDir) + entry.path().filename().string();
      if (entry.is_regular_file(ec) && wanted_file(rel)) ROADSIDE_TRY_STATUS(take(rel));
    }
  }
  if (!db_dump.empty()) {
    auto bytes = read_file_limited(db_dump, limits.max_dump);
    if (!bytes.ok()) return Error(errc::unreadable, "the database dump: " + bytes.error().detail());
    files.db_dump = std::move(bytes).value();
  }
  return files;
}

}  // namespace roadside::xroadimport
