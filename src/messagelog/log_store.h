// The message log's tables (migrations 8 and 9): what the logger writes, the time-stamper
// covers, the archiver packs and cleans up, and the client proxy's /asic reads.
//
//   messagelog_records        one small row per logged request or response (X-Road's
//                             LOGRECORD "m"): what time-stamping and archiving update
//   messagelog_payloads       its message, signature and hash chain, written once
//   messagelog_pieces         its attachments (REST body, SOAP attachments) in pieces of at
//                             most kPieceBytes, so a body streams between a spool file and
//                             the database and is never whole in memory
//   messagelog_timestamps     RFC 3161 tokens, each covering one or more records (LOGRECORD "t");
//                             a batch's with its leaves (batch_tree.h)
//   messagelog_archive_links  the last digest and file of each archive group's chain
//                             (X-Road's LAST_ARCHIVE_DIGEST)
//   messagelog_state          small values every node reads (the time-stamper's state)
//
// A LogStore owns one connection and is not thread-safe: each job (the writer's thread, the
// time-stamper, the archiver, a retrieval) opens its own. With a Sealer, message bytes and
// pieces are written sealed (AES-256-GCM under the sealer's current key) and read back with
// whichever of its keys a record names.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/identifiers.h"
#include "base/result.h"
#include "messagelog/sealer.h"
#include "net/payload.h"
#include "storage/store.h"
#include "xml/hashchain.h"

namespace roadside::messagelog {

inline constexpr std::size_t kPieceBytes = 1 << 20;

// What the proxies hand to the log: a signed message as it was sent or received.
struct MessageRecordInput {
  std::string query_id;      // SOAP id / X-Road-Id
  std::string x_request_id;  // X-Road-Request-Id (shared by a request and its response)
  bool response = false;
  // X-Road's record owner: the client at the client proxy, the service provider at the
  // server proxy (archive grouping and /asic retrieval go by it).
  XRoadId client;
  std::string message;                                       // message.xml: the SOAP message or REST header part
  std::vector<net::Payload> attachments;                     // attachment1..N: REST body or SOAP attachments
  std::string signature;                                     // META-INF/signatures.xml
  std::optional<std::string> hash_chain_result, hash_chain;  // a batch signature's
  bool body_logged = true;                                   // false: message and attachments are metadata only
};

// What every read of a record has: which record it is.
struct RecordHead {
  std::int64_t id = 0;
  std::chrono::system_clock::time_point time;
  std::string query_id;
  std::string x_request_id;
  bool response = false;
  std::string client;  // XRoadId::to_string()
};

// A record as stored (message decrypted; attachments read separately).
struct StoredRecord : RecordHead {
  std::string member_group;     // "INSTANCE/CLASS/CODE" of the client's member
  std::string subsystem_group;  // the client's id as "INSTANCE/CLASS/CODE[/SUBSYSTEM]"
  bool body_logged = true;
  std::optional<std::string> key_id;  // the Sealer key of message and pieces; none: stored plain
  std::string message;
  int attachments = 0;
  std::string signature;
  std::string signature_hash;  // base64 SHA-512 of the signature (X-Road's signaturehash)
  std::optional<std::string> hash_chain_result, hash_chain;
  std::optional<std::int64_t> timestamp_id;
  // Its ts-hashchain.xml in a batch time-stamp: stored whole by records time-stamped before
  // migration 9; else its leaf in the batch, from which LogStore::ts_hash_chain() writes it.
  std::optional<std::string> ts_hash_chain;
  std::optional<std::int64_t> ts_position;
  bool archived = false;
};

struct StoredTimestamp {
  std::int64_t id = 0;
  std::chrono::system_clock::time_point time;
  std::string token;                             // DER TimeStampToken
  std::optional<std::string> hash_chain_result;  // ts-hashchainresult.xml of a batch; none for a single record
  std::string tsa_url;
  bool archived = false;
};

// A record as a listing shows it: what it is, never its content.
struct RecordSummary : RecordHead {
  bool body_logged = true;
  bool timestamped = false;
  bool archived = false;
};

// A record waiting for a time-stamp.
struct PendingRecord {
  std::int64_t id = 0;
  std::chrono::system_clock::time_point time;
  std::string signature_hash;  // as StoredRecord's: a batch time-stamp's leaf
};

// A time-stamp to store. A batch's (hash_chain_result set) covers record i with leaf i:
// `leaves` are kLeafBytes digests end to end (batch_tree.h), kept so each record's
// ts-hashchain.xml can be written when it is read. A single record's has neither.
struct NewTimestamp {
  std::string token;  // DER TimeStampToken
  std::string tsa_url;
  std::chrono::system_clock::time_point time;
  std::optional<std::string> hash_chain_result;
  std::string leaves;
};

// base64(SHA-512(signature)), X-Road's LogManager.signatureHash.
std::string signature_hash(std::string_view signature);
// "INSTANCE/CLASS/CODE" and "INSTANCE/CLASS/CODE[/SUBSYSTEM]" of a client id.
std::string member_group_of(const XRoadId& client);
std::string subsystem_group_of(const XRoadId& client);

class LogStore {
 public:
  // `sealer` may be null (bodies stored plain); it must outlive the store.
  LogStore(std::unique_ptr<storage::Connection> connection, const Sealer* sealer = nullptr);

  storage::Connection& connection() { return *conn_; }

  // --- the logger ---
  // Writes `records` in one transaction (group commit), each at `time`, attachments streamed
  // piece by piece from their payloads. Returns their ids in order. Nothing is written when
  // it fails.
  Result<std::vector<std::int64_t>> insert(const std::vector<const MessageRecordInput*>& records,
                                           std::chrono::system_clock::time_point time);

  // --- the time-stamper ---
  // Records without a time-stamp, oldest first, at most `limit`.
  Result<std::vector<PendingRecord>> pending(std::size_t limit);
  // A record's signature document, if the record exists.
  Result<std::optional<std::string>> signature(std::int64_t record_id);
  Result<std::int64_t> pending_count();
  // The oldest pending record's time, if any.
  Result<std::optional<std::chrono::system_clock::time_point>> oldest_pending();
  // Stores a time-stamp and marks the records it covers (`record_ids`, in leaf order for a
  // batch) in one transaction; a record another node time-stamped meanwhile keeps its own.
  // Returns its id; 0, storing nothing, when it covers none of them any more.
  Result<std::int64_t> add_timestamp(const NewTimestamp& timestamp, const std::vector<std::int64_t>& record_ids);

  // --- the archiver, cleanup and retrieval ---
  // Time-stamped records not archived yet, in id order, with ids above `after_id`, at most `limit`.
  Result<std::vector<StoredRecord>> archivable(std::int64_t after_id, std::size_t limit);
  Result<std::vector<StoredRecord>> by_query_id(std::string_view query_id, std::size_t limit);
  // The same records without their content: no payload is read and nothing decrypted (a
  // listing costs the same whatever the messages' size or their keys).
  Result<std::vector<RecordSummary>> summaries_by_query_id(std::string_view query_id, std::size_t limit);
  // The records of `query_id` that `client` owns (X-Road's LogRecordManager.getByQueryId), only
  // requests or only responses when `response` says so, in id order, at most `limit`.
  Result<std::vector<StoredRecord>> by_query_id(std::string_view query_id, const XRoadId& client,
                                                std::optional<bool> response, std::size_t limit);
  Result<std::optional<StoredRecord>> record(std::int64_t id);
  // The record's ts-hashchain.xml when a batch time-stamp covers it (none otherwise): the one
  // it stored, or written from the batch's leaves once they are shown to give the
  // time-stamped result and to hold the record's signature hash at its place.
  Result<std::optional<std::string>> ts_hash_chain(const StoredRecord& record);
  // Frees the batch's tree that ts_hash_chain() keeps for the next record (5 MB for a batch of
  // 10,000): for a store that lives on once it has read a batch, as the archiver's does.
  void release_batch();
  Result<std::optional<StoredTimestamp>> timestamp(std::int64_t id);
  // Attachment `number` (1..N) of a record, piece by piece in order, decrypted.
  Status read_attachment(const StoredRecord& record, int number, const std::function<Status(std::string_view)>& piece);
  // Marks records, and the time-stamps they use, as archived.
  Status mark_archived(const std::vector<std::int64_t>& record_ids);
  // Deletes archived records older than `before` (and their pieces; time-stamps no record
  // uses any more), at most `limit` records. Returns how many were deleted.
  Result<std::size_t> delete_archived_before(std::chrono::system_clock::time_point before, std::size_t limit);
  struct ArchiveLink {
    std::string digest;
    std::string file_name;
  };
  Result<std::optional<ArchiveLink>> archive_link(std::string_view group);
  Status set_archive_link(std::string_view group, const ArchiveLink& link);
  // An archive file is written: in one transaction, marks `record_ids` archived (and the
  // time-stamps no unarchived record uses any more) and moves `group`'s link from `previous`
  // (none: the group has no link yet) to `next`. Returns false, changing nothing, when the
  // link is no longer `previous` (another node archived the group meanwhile).
  Result<bool> commit_archive(std::string_view group, const std::optional<ArchiveLink>& previous,
                              const ArchiveLink& next, const std::vector<std::int64_t>& record_ids);
  // Oldest time-stamped, unarchived record's time, if any (archive lag).
  Result<std::optional<std::chrono::system_clock::time_point>> oldest_unarchived();

  // --- shared state ---
  Result<std::optional<std::string>> state(std::string_view key);
  Status set_state(std::string_view key, std::string_view value);
  Status clear_state(std::string_view key);

 private:
  Result<StoredRecord> from_row(const storage::Row& row);
  // Batch time-stamp `timestamp_id`'s tree, checked against its result; the last one is kept.
  Result<const xml::HashTree*> batch(std::int64_t timestamp_id);

  std::unique_ptr<storage::Connection> conn_;
  const Sealer* sealer_;
  // The tree of the last batch a chain was written from: the archiver and /asic read a
  // batch's records one after another.
  std::int64_t tree_timestamp_id_ = 0;
  std::optional<xml::HashTree> tree_;
};

}  // namespace roadside::messagelog
