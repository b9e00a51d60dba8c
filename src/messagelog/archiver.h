// The message log's archives and cleanup, as X-Road's LogArchiver and LogCleaner make them.
//
// An archive round takes the time-stamped records not archived yet (logged before the round
// began), in batches of `batch` records by id. A batch is split into archive groups
// (X-Road's archive-grouping: none, member, subsystem) in X-Road's order (member class,
// member code, subsystem code, then id), and each group's records go into zips of ASiC-E
// containers chained by linkinginfo from the group's last link in the database, so a
// restart or another node of a cluster continues the chain. A zip is closed once its
// containers pass `max_file_size` (X-Road's rotation, after the container that passed it),
// and at the end of a batch. Names are X-Road's:
//
//   archive    mlog-[<group>-]<first record yyyyMMddHHmmss>-<last>-<first 16 hex of last digest>.zip[.gpg]
//   container  <URL-encoded query id, at most 226 characters>-<request|response>-<record id in base 32>.asice
//
// Writing one archive, crash-safe:
//   1. the file's name is noted as the group's pending archive (messagelog_state)
//   2. the file is written whole or not at all: a temporary file beside it, fsync, rename,
//      fsync of the folder (optionally encrypted with gpg first)
//   3. one transaction marks its records archived and moves the group's link to it, unless
//      the link moved meanwhile (another node): then the file is removed again
//   4. the transfer command and the transfer hook run
// A crash between 1 and 3 leaves the file without its commit: the next round finds the
// pending name, and removes that file unless the group's link names it (the crash came
// after the commit), before it archives the same records again. An archive in the folder
// is therefore always one the chain in the database goes through.
//
// Cleanup (X-Road's LogCleaner) deletes archived records older than keep-records-for days,
// in transactions of at most clean-transaction-batch records, until none is left.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "messagelog/archive.h"
#include "messagelog/log_store.h"
#include "messagelog/retrieval.h"

namespace roadside::messagelog {

enum class ArchiveGrouping { none, member, subsystem };
// "none", "member", "subsystem" (case-insensitive); base::errc::invalid_argument otherwise.
Result<ArchiveGrouping> parse_archive_grouping(std::string_view text);

// X-Road's archive-encryption-keys-config: member identifier -> OpenPGP key ids.
//   # a comment (a line starting with #, after white space)
//   INSTANCE/CLASS/CODE = KEYID       (one mapping a line; a member may have several)
//   test/member\=class/\\=code = ...  (\= is "=", \# is "#" in the member identifier)
// Lines that are not a mapping are ignored and reported in `ignored` (line numbers).
struct EncryptionKeys {
  std::map<std::string, std::set<std::string>, std::less<>> members;
  std::vector<int> ignored;
};
EncryptionKeys parse_encryption_keys(std::string_view text);

struct ArchiveEncryption {
  std::filesystem::path gpg_home;     // X-Road's archive-gpg-home-directory: the signing key
  std::filesystem::path keys_config;  // archive-encryption-keys-config; empty: none
  std::string default_key;            // archive-default-encryption-key; empty: gpg's own key
  std::filesystem::path gpg = "/usr/bin/gpg";
  std::chrono::milliseconds timeout{600'000};
};

// The keys the archives of a member ("INSTANCE/CLASS/CODE") are encrypted to when archives are
// grouped, as the archiver chooses them: its keys in `keys_config` (read each time, as X-Road
// reads it, so an edit needs no restart), else the default key (`default_used`; no key when
// there is no default: gpg's own).
struct MemberArchiveKeys {
  std::vector<std::string> keys;
  bool default_used = true;
};
Result<MemberArchiveKeys> member_archive_keys(const ArchiveEncryption& encryption, std::string_view member);

// A transfer of a written archive (S3, ...): an error is counted, and the archive stays.
using ArchiveTransfer = std::function<Status(const std::filesystem::path& archive)>;

struct ArchiverOptions {
  std::filesystem::path directory;  // archive-path
  ArchiveGrouping grouping = ArchiveGrouping::none;
  std::uint64_t max_file_size = 33'554'432;          // archive-max-filesize
  std::size_t batch = 10'000;                        // archive-transaction-batch
  std::uint64_t max_container_bytes = 256ull << 20;  // one record's container, in memory
  std::optional<ArchiveEncryption> encryption;
  // archive-transfer-command: run as X-Road does, `/bin/bash -c <command>`, here in the
  // archive directory with ROADSIDE_ARCHIVE_FILE naming the archive just written.
  std::string transfer_command;
  std::filesystem::path shell = "/bin/bash";
  std::chrono::milliseconds transfer_timeout{3'600'000};
  ArchiveTransfer transfer;  // may be empty
  // Environment variables gpg and the transfer command do not get (the server's secrets).
  std::vector<std::string> secret_env;
  // When it is set, a round ends after the archive it is writing (a server that stops);
  // what it had not archived waits for the next round. May be null.
  const std::atomic<bool>* cancelled = nullptr;
};

struct ArchiveRound {
  std::vector<std::filesystem::path> files;  // archives written, in order
  std::size_t records = 0;                   // records archived
  // Groups that could not be archived (their records wait for the next round; the other
  // groups went on), and transfers that failed (their archives are written).
  std::vector<Error> failures;
  std::vector<Error> transfer_failures;
};

class Archiver {
 public:
  // `store` is the archiver's own connection and must outlive it.
  Archiver(LogStore& store, ArchiverOptions options, const Clock& clock = Clock::system());

  // One round (see the file comment). An error when it could not start or read the
  // database; failures of single groups and transfers are in the round.
  // The store keeps no batch tree afterwards.
  Result<ArchiveRound> run();

 private:
  Result<ArchiveRound> archive_all();
  // The archive being filled: its containers, their records, the records' first and last time.
  struct Open {
    std::vector<ArchivedContainer> containers;
    std::vector<std::int64_t> ids;
    std::uint64_t bytes = 0;
    std::optional<std::chrono::system_clock::time_point> first, last;
  };
  Status archive_group(const std::string& group, const std::vector<std::int64_t>& ids, ArchiveRound& round);
  Status write_one(const std::string& group, std::optional<LogStore::ArchiveLink>& link, Open& open,
                   ArchiveRound& round);
  Status resolve_pending(const std::string& group);
  Result<std::vector<std::string>> recipients(const std::string& group) const;
  Result<std::string> encrypt(const std::string& group, const std::string& zip) const;
  void transfer(const std::filesystem::path& file, ArchiveRound& round);

  LogStore& store_;
  const ArchiverOptions options_;
  const Clock& clock_;
};

// X-Road's archive file name (LogArchiveWriter.getArchiveFilename); its containers are named by
// asic_file_name (retrieval.h, X-Road's AsicContainerNameGenerator).
std::string archive_file_name(std::string_view group, std::chrono::system_clock::time_point first,
                              std::chrono::system_clock::time_point last, std::string_view last_digest, bool encrypted);

// Deletes archived records logged before `before`, `batch` at a time until none is left.
// Returns how many were deleted.
Result<std::size_t> clean_archived(LogStore& store, std::chrono::system_clock::time_point before, std::size_t batch);

}  // namespace roadside::messagelog
