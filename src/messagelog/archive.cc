#include "messagelog/archive.h"

#include <set>
#include <sstream>

#include "crypto/crypto.h"

namespace roadside::messagelog {
namespace {

Error invalid(std::string detail) { return Error(make_error_code(errc::invalid_linking), std::move(detail)); }

}  // namespace

Result<LinkingInfo> LinkingInfo::parse(std::string_view text) {
  LinkingInfo li;
  std::istringstream in{std::string(text)};
  std::string line;
  if (!std::getline(in, line)) return Error(make_error_code(errc::malformed), "linkinginfo is empty");
  {
    std::istringstream first(line);
    std::string prev, file, alg, extra;
    if (!(first >> prev >> file >> alg) || (first >> extra)) {
      return Error(make_error_code(errc::malformed), "linkinginfo line 1 is not \"<digest|-> <file|-> <algorithm>\"");
    }
    li.previous_digest = prev == "-" ? "" : prev;
    li.previous_archive = file == "-" ? "" : file;
    li.algorithm = alg;
  }
  int n = 1;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto space = line.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == line.size()) {
      return Error(make_error_code(errc::malformed), "linkinginfo line " + std::to_string(n) + " is not \"<digest> <file>\"");
    }
    li.entries.push_back({line.substr(0, space), line.substr(space + 1)});
  }
  return li;
}

Result<ArchiveCheck> verify_archive_linking(const ZipFile& archive, const std::optional<std::string>& previous_digest) {
  const ZipEntry* info = archive.find("linkinginfo");
  if (!info) return Error(make_error_code(errc::malformed), "archive has no linkinginfo");
  ROADSIDE_TRY(LinkingInfo li, LinkingInfo::parse(info->data));
  if (li.algorithm != "SHA-512") return invalid("linkinginfo uses " + li.algorithm + "; only SHA-512 is known");
  if (previous_digest && *previous_digest != li.previous_digest) {
    return invalid("archive starts from digest " + (li.previous_digest.empty() ? "-" : li.previous_digest) +
                   ", not the given previous digest " + *previous_digest);
  }
  std::set<std::string> listed;
  std::string digest = li.previous_digest;
  for (const auto& e : li.entries) {
    const ZipEntry* file = archive.find(e.file);
    if (!file) return invalid("linkinginfo lists " + e.file + ", which the archive does not hold");
    digest = chain_digest(digest, file->data);
    if (digest != e.digest) return invalid("the chain digest of " + e.file + " does not match linkinginfo");
    listed.insert(e.file);
  }
  for (const auto& e : archive.entries) {
    if (e.name != "linkinginfo" && !listed.count(e.name)) return invalid("archive holds " + e.name + ", which linkinginfo does not list");
  }
  return ArchiveCheck{std::move(li), digest};
}

std::string chain_digest(const std::string& previous_hex, std::string_view file) {
  return crypto::to_hex(crypto::sha512(previous_hex + crypto::to_hex(crypto::sha512(file))));
}

Result<WrittenArchive> write_archive(const std::vector<ArchivedContainer>& containers, const std::string& previous_digest,
                                     const std::string& previous_archive) {
  if (previous_digest.empty() != previous_archive.empty()) {
    return Error(make_error_code(errc::malformed), "a previous archive needs both its digest and its name");
  }
  auto plain = [](const std::string& s) { return !s.empty() && s.find_first_of(" \r\n/") == std::string::npos && s != "linkinginfo"; };
  ZipFile zip;
  std::set<std::string> names;
  std::string info = (previous_digest.empty() ? "-" : previous_digest) + " " +
                     (previous_archive.empty() ? "-" : previous_archive) + " SHA-512\n";
  std::string digest = previous_digest;
  std::optional<std::chrono::system_clock::time_point> latest;
  for (const auto& c : containers) {
    if (!plain(c.name) || !names.insert(c.name).second) {
      return Error(make_error_code(errc::malformed), "container name \"" + c.name + "\" is empty, repeated or not a plain name");
    }
    digest = chain_digest(digest, c.bytes);
    info += digest + " " + c.name + "\n";
    zip.entries.push_back({c.name, c.bytes, true, c.time});
    if (c.time && (!latest || *c.time > *latest)) latest = c.time;
  }
  zip.entries.push_back({"linkinginfo", info, true, latest});
  ROADSIDE_TRY(std::string bytes, zip.write());
  return WrittenArchive{std::move(bytes), digest};
}

}  // namespace roadside::messagelog
