#include "messagelog/log_store.h"

#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "messagelog/batch_tree.h"
#include "messagelog/zip.h"

namespace roadside::messagelog {
namespace {

using storage::Blob;
using storage::Value;
using Clock = std::chrono::system_clock;

std::int64_t ms_of(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
Clock::time_point time_of(std::int64_t ms) {
  return Clock::time_point(std::chrono::milliseconds(ms));
}

Value opt(const std::optional<std::string>& s) {
  return s ? Value(*s) : Value(nullptr);
}
std::optional<std::string> opt_text(const Value& v) {
  if (std::holds_alternative<std::nullptr_t>(v)) return std::nullopt;
  return storage::as_text(v);
}

// What a sealed value is bound to: the same bytes cannot be moved to another record's place.
std::string context_of(std::string_view query_id, bool response, std::string_view owner,
                       std::string_view signature_hash, const std::optional<std::string>& hash_chain, int attachment,
                       std::int64_t seq) {
  // The signature is shared by the records of a batch; its hash chain is each one's own.
  const std::string chain = hash_chain ? crypto::to_hex(crypto::sha256(*hash_chain)) : "-";
  return std::string(query_id) + (response ? "/response/" : "/request/") + std::string(owner) + "/" +
         std::string(signature_hash) + "/" + chain + "/" + std::to_string(attachment) + "/" + std::to_string(seq);
}

// A record's row and its payload (from_row reads them in this order).
constexpr std::string_view kRecordColumns =
    "r.id, r.time_ms, r.query_id, r.x_request_id, r.response, r.client, r.member_group, r.subsystem_group, "
    "r.body_logged, r.key_id, p.message, r.attachments, p.signature, r.signature_hash, p.hash_chain_result, "
    "p.hash_chain, r.timestamp_id, r.ts_hash_chain, r.archived, r.ts_position";
constexpr std::string_view kRecordTables =
    " FROM messagelog_records r JOIN messagelog_payloads p ON p.record_id = r.id ";

Status as_status(const Result<std::vector<storage::Row>>& r) {
  if (!r.ok()) return r.error();
  return {};
}

// The head of a record from a row that starts with id, time_ms, query_id, x_request_id,
// response, client (kRecordColumns and the summaries' columns do).
RecordHead head_of(const storage::Row& row) {
  RecordHead h;
  h.id = storage::as_int(row[0]).value_or(0);
  h.time = time_of(storage::as_int(row[1]).value_or(0));
  h.query_id = storage::as_text(row[2]).value_or("");
  h.x_request_id = storage::as_text(row[3]).value_or("");
  h.response = storage::as_int(row[4]).value_or(0) != 0;
  h.client = storage::as_text(row[5]).value_or("");
  return h;
}

std::string in_list(std::size_t n) {
  std::string s = "(";
  for (std::size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
  return s + ")";
}

}  // namespace

std::string signature_hash(std::string_view signature) {
  return crypto::base64_encode(crypto::sha512(signature));
}

std::string member_group_of(const XRoadId& c) {
  return std::string(c.instance()) + "/" + std::string(c.member_class()) + "/" + std::string(c.member_code());
}
std::string subsystem_group_of(const XRoadId& c) {
  std::string s = member_group_of(c);
  if (!c.subsystem_code().empty()) s += "/" + std::string(c.subsystem_code());
  return s;
}

LogStore::LogStore(std::unique_ptr<storage::Connection> connection, const Sealer* sealer)
    : conn_(std::move(connection)), sealer_(sealer) {}

Result<std::vector<std::int64_t>> LogStore::insert(const std::vector<const MessageRecordInput*>& records,
                                                   Clock::time_point time) {
  std::vector<std::int64_t> ids;
  ROADSIDE_TRY_STATUS(conn_->begin());
  auto body = [&]() -> Status {
    for (const MessageRecordInput* r : records) {
      const std::optional<std::string> key_id = sealer_ ? std::optional(sealer_->current_key_id()) : std::nullopt;
      const std::string owner = r->client.to_string();
      const std::string sig_hash = signature_hash(r->signature);
      auto sealed = [&](std::string_view plain, int attachment, std::int64_t seq) -> Result<std::string> {
        if (!sealer_) return std::string(plain);
        return sealer_->seal(plain,
                             context_of(r->query_id, r->response, owner, sig_hash, r->hash_chain, attachment, seq));
      };
      ROADSIDE_TRY(std::string message, sealed(r->message, 0, 0));
      const Value params[] = {ms_of(time),
                              r->query_id,
                              r->x_request_id,
                              std::int64_t{r->response ? 1 : 0},
                              owner,
                              member_group_of(r->client),
                              subsystem_group_of(r->client),
                              std::int64_t{r->body_logged ? 1 : 0},
                              opt(key_id),
                              static_cast<std::int64_t>(r->attachments.size()),
                              sig_hash};
      ROADSIDE_TRY(auto rows,
                   conn_->query("INSERT INTO messagelog_records (time_ms, query_id, x_request_id, response, client, "
                                "member_group, subsystem_group, body_logged, key_id, attachments, signature_hash) "
                                "VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                                params));
      const auto id = rows.empty() ? std::nullopt : storage::as_int(rows[0][0]);
      if (!id) return Error(make_error_code(storage::errc::query_failed), "the message log's INSERT returned no id");
      ids.push_back(*id);
      const Value payload[] = {*id, Blob{std::move(message)}, r->signature, opt(r->hash_chain_result),
                               opt(r->hash_chain)};
      ROADSIDE_TRY_STATUS(conn_->query("INSERT INTO messagelog_payloads (record_id, message, signature, "
                                       "hash_chain_result, hash_chain) VALUES (?,?,?,?,?)",
                                       payload));
      for (std::size_t a = 0; a < r->attachments.size(); ++a) {
        std::int64_t seq = 0;
        std::string piece;
        auto flush = [&]() -> Status {
          ROADSIDE_TRY(std::string data, sealed(piece, static_cast<int>(a + 1), seq));
          const Value p[] = {*id, static_cast<std::int64_t>(a + 1), seq, Blob{std::move(data)}};
          ROADSIDE_TRY_STATUS(
              conn_->query("INSERT INTO messagelog_pieces (record_id, attachment, seq, data) VALUES (?,?,?,?)", p));
          ++seq;
          piece.clear();
          return {};
        };
        auto streamed = r->attachments[a].for_each_piece([&](std::string_view bytes) -> Status {
          while (!bytes.empty()) {
            const std::size_t take = std::min(bytes.size(), kPieceBytes - piece.size());
            piece.append(bytes.substr(0, take));
            bytes.remove_prefix(take);
            if (piece.size() == kPieceBytes) {
              if (auto st = flush(); !st.ok()) return st;
            }
          }
          return {};
        });
        if (!streamed.ok()) return streamed;
        if (!piece.empty() || seq == 0) ROADSIDE_TRY_STATUS(flush());
      }
    }
    return {};
  };
  if (auto st = body(); !st.ok()) {
    (void)conn_->rollback();
    return st.error();
  }
  ROADSIDE_TRY_STATUS(conn_->commit());
  return ids;
}

Result<std::vector<PendingRecord>> LogStore::pending(std::size_t limit) {
  const Value p[] = {static_cast<std::int64_t>(limit)};
  ROADSIDE_TRY(auto rows,
               conn_->query("SELECT id, time_ms, signature_hash FROM messagelog_records WHERE timestamp_id IS NULL "
                            "ORDER BY id LIMIT ?",
                            p));
  std::vector<PendingRecord> out;
  for (const auto& r : rows)
    out.push_back({storage::as_int(r[0]).value_or(0), time_of(storage::as_int(r[1]).value_or(0)),
                   storage::as_text(r[2]).value_or("")});
  return out;
}

Result<std::optional<std::string>> LogStore::signature(std::int64_t record_id) {
  const Value p[] = {record_id};
  ROADSIDE_TRY(auto rows, conn_->query("SELECT signature FROM messagelog_payloads WHERE record_id = ?", p));
  if (rows.empty()) return std::optional<std::string>();
  return storage::as_text(rows[0][0]);
}

Result<std::int64_t> LogStore::pending_count() {
  ROADSIDE_TRY(auto rows, conn_->query("SELECT COUNT(*) FROM messagelog_records WHERE timestamp_id IS NULL"));
  return rows.empty() ? 0 : storage::as_int(rows[0][0]).value_or(0);
}

Result<std::optional<Clock::time_point>> LogStore::oldest_pending() {
  ROADSIDE_TRY(auto rows, conn_->query("SELECT MIN(time_ms) FROM messagelog_records WHERE timestamp_id IS NULL"));
  if (rows.empty()) return std::optional<Clock::time_point>();
  auto ms = storage::as_int(rows[0][0]);
  return ms ? std::optional(time_of(*ms)) : std::nullopt;
}

Result<std::int64_t> LogStore::add_timestamp(const NewTimestamp& ts, const std::vector<std::int64_t>& record_ids) {
  const bool batch = ts.hash_chain_result.has_value();
  if (batch && ts.leaves.size() != record_ids.size() * kLeafBytes) {
    return Error(make_error_code(storage::errc::query_failed),
                 "a batch time-stamp of " + std::to_string(record_ids.size()) + " records with " +
                     std::to_string(ts.leaves.size()) + " bytes of leaves");
  }
  ROADSIDE_TRY_STATUS(conn_->begin());
  auto body = [&]() -> Result<std::int64_t> {
    const Value p[] = {ms_of(ts.time), Blob{ts.token}, opt(ts.hash_chain_result), ts.tsa_url,
                       batch ? Value(Blob{ts.leaves}) : Value(nullptr)};
    ROADSIDE_TRY(auto rows,
                 conn_->query("INSERT INTO messagelog_timestamps (time_ms, token, hash_chain_result, tsa_url, leaves) "
                              "VALUES (?,?,?,?,?) RETURNING id",
                              p));
    const auto id = rows.empty() ? std::nullopt : storage::as_int(rows[0][0]);
    if (!id) return Error(make_error_code(storage::errc::query_failed), "the time-stamp's INSERT returned no id");
    std::size_t covered = 0;
    for (std::size_t i = 0; i < record_ids.size(); ++i) {
      const Value q[] = {*id, batch ? Value(static_cast<std::int64_t>(i)) : Value(nullptr), record_ids[i]};
      ROADSIDE_TRY(auto updated,
                   conn_->query("UPDATE messagelog_records SET timestamp_id = ?, ts_position = ? WHERE id = ? AND "
                                "timestamp_id IS NULL RETURNING id",
                                q));
      covered += updated.size();
    }
    return covered ? *id : std::int64_t{0};
  };
  auto id = body();
  if (!id.ok() || *id == 0) {
    // Nothing covered (another node time-stamped them all meanwhile): nothing kept either.
    (void)conn_->rollback();
    if (!id.ok()) return id.error();
    return std::int64_t{0};
  }
  ROADSIDE_TRY_STATUS(conn_->commit());
  return id;
}

Result<const xml::HashTree*> LogStore::batch(std::int64_t timestamp_id) {
  if (tree_ && tree_timestamp_id_ == timestamp_id) return &*tree_;
  tree_.reset();
  const Value p[] = {timestamp_id};
  ROADSIDE_TRY(auto rows, conn_->query("SELECT leaves, hash_chain_result FROM messagelog_timestamps WHERE id = ?", p));
  if (rows.empty()) {
    return Error(make_error_code(errc::unreadable), "time-stamp " + std::to_string(timestamp_id) + " is missing");
  }
  ROADSIDE_TRY(xml::HashTree tree, batch_tree(storage::as_text(rows[0][0]).value_or("")));
  // The stored leaves must give the time-stamped result: else no chain would verify.
  if (tree.result() != storage::as_text(rows[0][1]).value_or("")) {
    return Error(make_error_code(errc::unreadable),
                 "time-stamp " + std::to_string(timestamp_id) + "'s leaves do not give its hash chain result");
  }
  tree_ = std::move(tree);
  tree_timestamp_id_ = timestamp_id;
  return &*tree_;
}

void LogStore::release_batch() {
  tree_.reset();
}

Result<std::optional<std::string>> LogStore::ts_hash_chain(const StoredRecord& record) {
  if (record.ts_hash_chain) return record.ts_hash_chain;
  if (!record.timestamp_id || !record.ts_position) return std::optional<std::string>();
  const std::string who = "record " + std::to_string(record.id);
  ROADSIDE_TRY(const xml::HashTree* tree, batch(*record.timestamp_id));
  const std::int64_t position = *record.ts_position;
  if (position < 0 || static_cast<std::size_t>(position) >= tree->size()) {
    return Error(make_error_code(errc::unreadable), who + "'s place " + std::to_string(position) +
                                                        " is outside its time-stamp's batch");
  }
  // The leaf there must be the record's own signature, or its chain would prove another's.
  const auto leaf = crypto::base64_decode(record.signature_hash);
  if (!leaf.ok() || *leaf != tree->leaf_value(static_cast<std::size_t>(position))) {
    return Error(make_error_code(errc::unreadable),
                 who + "'s signature is not the leaf at its place in its time-stamp's batch");
  }
  return std::optional(tree->chain(static_cast<std::size_t>(position)));
}

Result<StoredRecord> LogStore::from_row(const storage::Row& row) {
  StoredRecord r;
  static_cast<RecordHead&>(r) = head_of(row);
  r.member_group = storage::as_text(row[6]).value_or("");
  r.subsystem_group = storage::as_text(row[7]).value_or("");
  r.body_logged = storage::as_int(row[8]).value_or(0) != 0;
  r.key_id = opt_text(row[9]);
  r.attachments = static_cast<int>(storage::as_int(row[11]).value_or(0));
  r.signature = storage::as_text(row[12]).value_or("");
  r.signature_hash = storage::as_text(row[13]).value_or("");
  r.hash_chain_result = opt_text(row[14]);
  r.hash_chain = opt_text(row[15]);
  if (!std::holds_alternative<std::nullptr_t>(row[16])) r.timestamp_id = storage::as_int(row[16]);
  r.ts_hash_chain = opt_text(row[17]);
  r.archived = storage::as_int(row[18]).value_or(0) != 0;
  if (!std::holds_alternative<std::nullptr_t>(row[19])) r.ts_position = storage::as_int(row[19]);
  const std::string stored = storage::as_text(row[10]).value_or("");
  if (!r.key_id) {
    r.message = stored;
    return r;
  }
  if (!sealer_) {
    return Error(make_error_code(errc::unreadable), "record " + std::to_string(r.id) +
                                                        " is sealed with message-log key " + *r.key_id +
                                                        ", and no key file is configured");
  }
  ROADSIDE_TRY(r.message,
               sealer_->open(*r.key_id, stored,
                             context_of(r.query_id, r.response, r.client, r.signature_hash, r.hash_chain, 0, 0)));
  return r;
}

Result<std::vector<StoredRecord>> LogStore::archivable(std::int64_t after_id, std::size_t limit) {
  const Value p[] = {after_id, static_cast<std::int64_t>(limit)};
  ROADSIDE_TRY(auto rows,
               conn_->query("SELECT " + std::string(kRecordColumns) + std::string(kRecordTables) +
                                "WHERE r.archived = 0 AND r.timestamp_id IS NOT NULL AND r.id > ? "
                                "ORDER BY r.id LIMIT ?",
                            p));
  std::vector<StoredRecord> out;
  for (const auto& row : rows) {
    ROADSIDE_TRY(StoredRecord r, from_row(row));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<RecordSummary>> LogStore::summaries_by_query_id(std::string_view query_id, std::size_t limit) {
  const Value p[] = {std::string(query_id), static_cast<std::int64_t>(limit)};
  ROADSIDE_TRY(auto rows, conn_->query("SELECT r.id, r.time_ms, r.query_id, r.x_request_id, r.response, r.client, "
                                       "r.body_logged, r.timestamp_id, r.archived FROM messagelog_records r "
                                       "WHERE r.query_id = ? ORDER BY r.id LIMIT ?",
                                       p));
  std::vector<RecordSummary> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    RecordSummary r;
    static_cast<RecordHead&>(r) = head_of(row);
    r.body_logged = storage::as_int(row[6]).value_or(0) != 0;
    r.timestamped = !std::holds_alternative<std::nullptr_t>(row[7]);
    r.archived = storage::as_int(row[8]).value_or(0) != 0;
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<StoredRecord>> LogStore::by_query_id(std::string_view query_id, std::size_t limit) {
  const Value p[] = {std::string(query_id), static_cast<std::int64_t>(limit)};
  ROADSIDE_TRY(auto rows, conn_->query("SELECT " + std::string(kRecordColumns) + std::string(kRecordTables) +
                                           "WHERE r.query_id = ? ORDER BY r.id LIMIT ?",
                                       p));
  std::vector<StoredRecord> out;
  for (const auto& row : rows) {
    ROADSIDE_TRY(StoredRecord r, from_row(row));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<StoredRecord>> LogStore::by_query_id(std::string_view query_id, const XRoadId& client,
                                                        std::optional<bool> response, std::size_t limit) {
  std::vector<Value> p = {std::string(query_id), client.to_string()};
  std::string sql =
      "SELECT " + std::string(kRecordColumns) + std::string(kRecordTables) + "WHERE r.query_id = ? AND r.client = ?";
  if (response) {
    sql += " AND r.response = ?";
    p.emplace_back(static_cast<std::int64_t>(*response ? 1 : 0));
  }
  sql += " ORDER BY r.id LIMIT ?";
  p.emplace_back(static_cast<std::int64_t>(limit));
  ROADSIDE_TRY(auto rows, conn_->query(sql, p));
  std::vector<StoredRecord> out;
  for (const auto& row : rows) {
    ROADSIDE_TRY(StoredRecord r, from_row(row));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<StoredRecord>> LogStore::record(std::int64_t id) {
  const Value p[] = {id};
  ROADSIDE_TRY(auto rows,
               conn_->query("SELECT " + std::string(kRecordColumns) + std::string(kRecordTables) + "WHERE r.id = ?", p));
  if (rows.empty()) return std::optional<StoredRecord>();
  ROADSIDE_TRY(StoredRecord r, from_row(rows[0]));
  return std::optional(std::move(r));
}

Result<std::optional<StoredTimestamp>> LogStore::timestamp(std::int64_t id) {
  const Value p[] = {id};
  ROADSIDE_TRY(
      auto rows,
      conn_->query("SELECT id, time_ms, token, hash_chain_result, tsa_url, archived FROM messagelog_timestamps "
                   "WHERE id = ?",
                   p));
  if (rows.empty()) return std::optional<StoredTimestamp>();
  const auto& r = rows[0];
  return std::optional(StoredTimestamp{storage::as_int(r[0]).value_or(0), time_of(storage::as_int(r[1]).value_or(0)),
                                       storage::as_text(r[2]).value_or(""), opt_text(r[3]),
                                       storage::as_text(r[4]).value_or(""), storage::as_int(r[5]).value_or(0) != 0});
}

Status LogStore::read_attachment(const StoredRecord& record, int number,
                                 const std::function<Status(std::string_view)>& piece) {
  // One piece per query: a body is never whole in memory.
  for (std::int64_t seq = 0;; ++seq) {
    const Value p[] = {record.id, std::int64_t{number}, seq};
    ROADSIDE_TRY(
        auto rows,
        conn_->query("SELECT data FROM messagelog_pieces WHERE record_id = ? AND attachment = ? AND seq = ?", p));
    if (rows.empty()) {
      if (seq == 0) {
        return Error(make_error_code(errc::unreadable),
                     "record " + std::to_string(record.id) + " has no attachment " + std::to_string(number));
      }
      return {};
    }
    std::string data = storage::as_text(rows[0][0]).value_or("");
    if (record.key_id) {
      if (!sealer_)
        return Error(make_error_code(errc::unreadable),
                     "record " + std::to_string(record.id) + " is sealed, and no key file is configured");
      ROADSIDE_TRY(data, sealer_->open(*record.key_id, data,
                                       context_of(record.query_id, record.response, record.client,
                                                  record.signature_hash, record.hash_chain, number, seq)));
    }
    ROADSIDE_TRY_STATUS(piece(data));
  }
}

Status LogStore::mark_archived(const std::vector<std::int64_t>& record_ids) {
  if (record_ids.empty()) return {};
  std::vector<Value> p(record_ids.begin(), record_ids.end());
  ROADSIDE_TRY_STATUS(conn_->begin());
  auto body = [&]() -> Status {
    ROADSIDE_TRY_STATUS(conn_->query("UPDATE messagelog_records SET archived = 1 WHERE id IN " + in_list(p.size()), p));
    ROADSIDE_TRY_STATUS(
        conn_->query("UPDATE messagelog_timestamps SET archived = 1 WHERE id IN (SELECT timestamp_id FROM "
                     "messagelog_records WHERE id IN " +
                         in_list(p.size()) + ")",
                     p));
    return {};
  };
  if (auto st = body(); !st.ok()) {
    (void)conn_->rollback();
    return st;
  }
  return conn_->commit();
}

Result<std::size_t> LogStore::delete_archived_before(Clock::time_point before, std::size_t limit) {
  const Value p[] = {ms_of(before), static_cast<std::int64_t>(limit)};
  ROADSIDE_TRY(
      auto rows,
      conn_->query("SELECT id FROM messagelog_records WHERE archived = 1 AND time_ms < ? ORDER BY id LIMIT ?", p));
  if (rows.empty()) return std::size_t{0};
  std::vector<Value> ids;
  for (const auto& r : rows) ids.emplace_back(storage::as_int(r[0]).value_or(0));
  ROADSIDE_TRY_STATUS(conn_->begin());
  auto body = [&]() -> Status {
    ROADSIDE_TRY_STATUS(conn_->query("DELETE FROM messagelog_pieces WHERE record_id IN " + in_list(ids.size()), ids));
    ROADSIDE_TRY_STATUS(conn_->query("DELETE FROM messagelog_payloads WHERE record_id IN " + in_list(ids.size()), ids));
    ROADSIDE_TRY_STATUS(conn_->query("DELETE FROM messagelog_records WHERE id IN " + in_list(ids.size()), ids));
    ROADSIDE_TRY_STATUS(
        conn_->query("DELETE FROM messagelog_timestamps WHERE archived = 1 AND NOT EXISTS (SELECT 1 FROM "
                     "messagelog_records r WHERE r.timestamp_id = messagelog_timestamps.id)"));
    return {};
  };
  if (auto st = body(); !st.ok()) {
    (void)conn_->rollback();
    return st.error();
  }
  ROADSIDE_TRY_STATUS(conn_->commit());
  return ids.size();
}

Result<std::optional<LogStore::ArchiveLink>> LogStore::archive_link(std::string_view group) {
  const Value p[] = {std::string(group)};
  ROADSIDE_TRY(auto rows,
               conn_->query("SELECT digest, file_name FROM messagelog_archive_links WHERE group_name = ?", p));
  if (rows.empty()) return std::optional<ArchiveLink>();
  return std::optional(
      ArchiveLink{storage::as_text(rows[0][0]).value_or(""), storage::as_text(rows[0][1]).value_or("")});
}

Status LogStore::set_archive_link(std::string_view group, const ArchiveLink& link) {
  const Value p[] = {std::string(group), link.digest, link.file_name};
  return as_status(conn_->query(
      "INSERT INTO messagelog_archive_links (group_name, digest, file_name) VALUES (?,?,?) ON CONFLICT (group_name) "
      "DO UPDATE SET digest = excluded.digest, file_name = excluded.file_name",
      p));
}

Result<bool> LogStore::commit_archive(std::string_view group, const std::optional<ArchiveLink>& previous,
                                      const ArchiveLink& next, const std::vector<std::int64_t>& record_ids) {
  ROADSIDE_TRY_STATUS(conn_->begin());
  auto body = [&]() -> Result<bool> {
    // Compare and set: the chain never forks in the database, whichever node commits first.
    std::vector<storage::Row> moved;
    if (previous) {
      const Value p[] = {next.digest, next.file_name, std::string(group), previous->digest};
      ROADSIDE_TRY(
          moved, conn_->query("UPDATE messagelog_archive_links SET digest = ?, file_name = ? WHERE group_name = ? AND "
                              "digest = ? RETURNING group_name",
                              p));
    } else {
      const Value p[] = {std::string(group), next.digest, next.file_name};
      ROADSIDE_TRY(moved,
                   conn_->query("INSERT INTO messagelog_archive_links (group_name, digest, file_name) VALUES (?,?,?) "
                                "ON CONFLICT (group_name) DO NOTHING RETURNING group_name",
                                p));
    }
    if (moved.empty()) return false;
    // In slices: SQLite and PostgreSQL both limit the parameters of one statement.
    constexpr std::size_t kSlice = 500;
    for (std::size_t at = 0; at < record_ids.size(); at += kSlice) {
      const std::size_t n = std::min(kSlice, record_ids.size() - at);
      const std::vector<Value> p(record_ids.begin() + static_cast<std::ptrdiff_t>(at),
                                 record_ids.begin() + static_cast<std::ptrdiff_t>(at + n));
      ROADSIDE_TRY_STATUS(conn_->query("UPDATE messagelog_records SET archived = 1 WHERE id IN " + in_list(n), p));
      ROADSIDE_TRY_STATUS(
          conn_->query("UPDATE messagelog_timestamps SET archived = 1 WHERE archived = 0 AND id IN (SELECT "
                       "timestamp_id FROM messagelog_records WHERE id IN " +
                           in_list(n) +
                           ") AND NOT EXISTS (SELECT 1 FROM messagelog_records r WHERE r.timestamp_id = "
                           "messagelog_timestamps.id AND r.archived = 0)",
                       p));
    }
    return true;
  };
  auto done = body();
  if (!done.ok() || !*done) {
    (void)conn_->rollback();
    return done;
  }
  ROADSIDE_TRY_STATUS(conn_->commit());
  return true;
}

Result<std::optional<Clock::time_point>> LogStore::oldest_unarchived() {
  ROADSIDE_TRY(
      auto rows,
      conn_->query("SELECT MIN(time_ms) FROM messagelog_records WHERE archived = 0 AND timestamp_id IS NOT NULL"));
  if (rows.empty()) return std::optional<Clock::time_point>();
  auto ms = storage::as_int(rows[0][0]);
  return ms ? std::optional(time_of(*ms)) : std::nullopt;
}

Result<std::optional<std::string>> LogStore::state(std::string_view key) {
  const Value p[] = {std::string(key)};
  ROADSIDE_TRY(auto rows, conn_->query("SELECT value FROM messagelog_state WHERE key = ?", p));
  if (rows.empty()) return std::optional<std::string>();
  return storage::as_text(rows[0][0]);
}

Status LogStore::set_state(std::string_view key, std::string_view value) {
  const Value p[] = {std::string(key), std::string(value)};
  return as_status(conn_->query(
      "INSERT INTO messagelog_state (key, value) VALUES (?,?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      p));
}

Status LogStore::clear_state(std::string_view key) {
  const Value p[] = {std::string(key)};
  return as_status(conn_->query("DELETE FROM messagelog_state WHERE key = ?", p));
}

}  // namespace roadside::messagelog
