// Message-log archives: zips of ASiC-E containers chained by "linkinginfo".
//
//   linkinginfo line 1:  <previous digest hex | -> <previous archive file | -> SHA-512
//   then per container:  <chain digest hex> <file name>
//   D_i = hex(SHA-512( D_(i-1) hex || hex(SHA-512(file_i)) )), D_0 = the previous digest ("" if none)
//
// Reference: xroad-protocols.md §7 (LogArchiveWriter, LinkingInfoBuilder).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "messagelog/zip.h"

namespace roadside::messagelog {

struct LinkingInfo {
  std::string previous_digest;   // hex, "" for the first archive
  std::string previous_archive;  // file name, "" for the first archive
  std::string algorithm;         // "SHA-512"
  struct Entry {
    std::string digest;  // hex
    std::string file;
  };
  std::vector<Entry> entries;

  static Result<LinkingInfo> parse(std::string_view text);
};

struct ArchiveCheck {
  LinkingInfo linking;
  std::string last_digest;  // hex: what the next archive must start from
};

// Verifies the linking chain of `archive`: every container listed, every listed container
// present, every chain digest right. When `previous_digest` is given it must equal the
// archive's first line.
Result<ArchiveCheck> verify_archive_linking(const ZipFile& archive, const std::optional<std::string>& previous_digest = {});

struct ArchivedContainer {
  std::string name;   // "<queryId>-request-<seq>.asice"
  std::string bytes;  // the container
  // Its zip entry's time (X-Road's: the record's time); linkinginfo gets the latest of them.
  std::optional<std::chrono::system_clock::time_point> time{};
};

struct WrittenArchive {
  std::string zip;
  std::string last_digest;  // hex: the next archive's previous digest
};

// Writes an archive as X-Road's LogArchiveWriter does: the containers, then linkinginfo
// chaining them to the previous archive (none for the first).
Result<WrittenArchive> write_archive(const std::vector<ArchivedContainer>& containers,
                                     const std::string& previous_digest = {}, const std::string& previous_archive = {});

// D_i from D_(i-1) and a container's bytes.
std::string chain_digest(const std::string& previous_hex, std::string_view file);

}  // namespace roadside::messagelog
