// What a Java Security Server leaves behind that a takeover reads, from its backup archive
// (X-Road's format: a GNU tar labelled `security_XROAD_7.1_<server id>` holding etc/xroad/ and
// var/lib/xroad/dbdump.dat, wrapped by gpg or, after gpg --decrypt, plain) or from a copy of
// its /etc/xroad folder and, apart, its database dump. Only the files named below are read,
// each up to a limit; everything else in the archive is passed over.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "backup/gpg.h"
#include "base/result.h"

namespace roadside::xroadimport {

// The files of etc/xroad a takeover reads (paths under etc/xroad):
//   signer/keyconf.xml, signer/softtoken/*.p12 (with .softtoken.p12, the PIN's check),
//   configuration-anchor.xml, ssl/internal.p12 | ssl/internal.key + ssl/internal.crt,
//   autologin (the token PIN, when X-Road's autologin add-on was used),
//   signer/devices.ini, conf.d/local.ini (reported, not imported).
bool wanted_file(std::string_view path_under_etc_xroad);

struct XRoadFiles {
  std::string label;                       // the archive's volume label; "" for a folder
  std::map<std::string, std::string> etc;  // the wanted files, by their path under etc/xroad
  std::optional<std::string> db_dump;      // var/lib/xroad/dbdump.dat
  std::string source;                      // the file or folder, for messages
  bool signature_checked = false;          // a gpg message whose signature a given keyring vouched for
};

struct ReadLimits {
  std::size_t max_file = 4 << 20;     // one wanted file
  std::size_t max_files = 10'000;     // wanted files in all
  std::size_t max_dump = 512u << 20;  // the database dump
};

// A backup file: gpg's message (unwrapped with `gpg`; with a keyring its signature must be good)
// or a tar (refused with a keyring: nothing could be checked). errc::not_xroad when its label is
// not a Security Server backup's.
Result<XRoadFiles> read_backup(const std::filesystem::path& file, const backup::GpgOptions& gpg,
                               const ReadLimits& limits = {});
// A tar archive's bytes (what read_backup reads after gpg).
Result<XRoadFiles> read_backup_tar(std::string_view tar, const ReadLimits& limits = {});
// A copy of /etc/xroad, and the database dump if there is one.
Result<XRoadFiles> read_folder(const std::filesystem::path& etc_xroad, const std::filesystem::path& db_dump,
                               const ReadLimits& limits = {});

// The server id a backup's label names ("security_XROAD_7.1_DEV/COM/1234/SS0" gives
// "DEV/COM/1234/SS0"), or std::nullopt when it is not a Security Server backup's label.
std::optional<std::string> server_of_label(std::string_view label);

}  // namespace roadside::xroadimport
