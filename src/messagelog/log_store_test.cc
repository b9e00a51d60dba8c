// The message log's tables on both databases: records with attachments streamed in pieces,
// sealed bodies, time-stamps, archiving marks, cleanup; and the group-commit writer.
#include "messagelog/log_store.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "messagelog/batch_tree.h"
#include "messagelog/container.h"
#include "messagelog/group_writer.h"
#include "messagelog/sealer.h"
#include "messagelog/zip.h"
#include "support/messagelog_batch.h"
#include "support/test_databases.h"

namespace roadside::messagelog {
namespace {

using Clock = std::chrono::system_clock;
using storage::Dialect;

const std::string kKeys =
    "k2 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n# an older key\nk1 "
    "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=\n";

MessageRecordInput record(std::string query_id, bool response, std::vector<net::Payload> attachments = {}) {
  MessageRecordInput r;
  r.query_id = std::move(query_id);
  r.x_request_id = "request-1";
  r.response = response;
  r.client = XRoadId::parse("SUBSYSTEM:EE/COM/1/CLIENT").value();
  r.message = "<message>MARKER-" + r.query_id + "</message>";
  r.attachments = std::move(attachments);
  r.signature = "<signature " + r.query_id + (response ? "/response" : "/request") + "/>";
  return r;
}

// A payload in a spool file: `size` bytes of a pattern.
net::Payload spooled(const std::filesystem::path& dir, std::size_t size) {
  net::PayloadBuilder b(dir, 0);
  std::string chunk(64 * 1024, 'x');
  for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>('a' + i % 26);
  for (std::size_t done = 0; done < size; done += chunk.size())
    EXPECT_TRUE(b.append(std::string_view(chunk).substr(0, std::min(chunk.size(), size - done))).ok());
  return std::move(b).finish();
}

std::string read_attachment(LogStore& store, const StoredRecord& r, int n) {
  std::string out;
  auto st = store.read_attachment(r, n, [&](std::string_view piece) -> Status {
    EXPECT_LE(piece.size(), kPieceBytes);
    out.append(piece);
    return {};
  });
  EXPECT_TRUE(st.ok()) << st.error().to_string();
  return out;
}

class LogStoreTest : public roadside::testing::BothDatabases {};

TEST_P(LogStoreTest, ARecordAndItsAttachmentsComeBackAsWritten) {
  LogStore store(open_migrated());
  const net::Payload big = spooled(dir_ / "spool", 2 * kPieceBytes + 12345);  // three pieces
  const auto a = record("q1", false, {big, net::Payload(std::string("small body"))});
  const auto b = record("q1", true);
  auto ids = store.insert({&a, &b}, Clock::now());
  ASSERT_TRUE(ids.ok()) << ids.error().to_string();
  ASSERT_EQ(ids->size(), 2u);
  auto found = store.by_query_id("q1", 10);
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  ASSERT_EQ(found->size(), 2u);
  const StoredRecord& r = (*found)[0];
  EXPECT_EQ(r.message, a.message);
  EXPECT_EQ(r.signature, a.signature);
  EXPECT_EQ(r.signature_hash, signature_hash(a.signature));
  EXPECT_EQ(r.client, "SUBSYSTEM:EE/COM/1/CLIENT");
  EXPECT_EQ(r.member_group, "EE/COM/1");
  EXPECT_EQ(r.subsystem_group, "EE/COM/1/CLIENT");
  EXPECT_EQ(r.attachments, 2);
  EXPECT_FALSE(r.response);
  EXPECT_TRUE((*found)[1].response);
  EXPECT_EQ(read_attachment(store, r, 1), big.read_all(1 << 30).value());
  EXPECT_EQ(read_attachment(store, r, 2), "small body");
  auto pieces = store.connection().query("SELECT COUNT(*) FROM messagelog_pieces WHERE record_id = ?",
                                         std::vector<storage::Value>{r.id});
  ASSERT_TRUE(pieces.ok());
  EXPECT_EQ(storage::as_int((*pieces)[0][0]), 4);  // 3 + 1: never more than a piece per row
}

TEST_P(LogStoreTest, SealedBodiesAreNotReadableInTheDatabaseAndOpenWithTheirKey) {
  auto sealer = Sealer::from_text(kKeys);
  ASSERT_TRUE(sealer.ok()) << sealer.error().to_string();
  LogStore store(open_migrated(), &*sealer);
  const auto a = record("sealed", false, {net::Payload(std::string("BODY-MARKER"))});
  ASSERT_TRUE(store.insert({&a}, Clock::now()).ok());
  auto raw = store.connection().query(
      "SELECT p.message, r.key_id FROM messagelog_records r JOIN messagelog_payloads p ON p.record_id = r.id");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(storage::as_text((*raw)[0][0])->find("MARKER"), std::string::npos);
  EXPECT_EQ(storage::as_text((*raw)[0][1]), "k2");
  auto piece = store.connection().query("SELECT data FROM messagelog_pieces");
  ASSERT_TRUE(piece.ok());
  EXPECT_EQ(storage::as_text((*piece)[0][0])->find("BODY-MARKER"), std::string::npos);
  auto found = store.by_query_id("sealed", 1);
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  EXPECT_EQ((*found)[0].message, a.message);
  EXPECT_EQ(read_attachment(store, (*found)[0], 1), "BODY-MARKER");

  // Without the key file, or with another key, a sealed record is not readable: said, not garbage.
  LogStore keyless(open());
  auto refused = keyless.by_query_id("sealed", 1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), make_error_code(errc::unreadable));
  auto other = Sealer::from_text("k2 " + std::string("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"));
  ASSERT_TRUE(other.ok());
  LogStore wrong(open(), &*other);
  EXPECT_EQ(wrong.by_query_id("sealed", 1).error().code(), make_error_code(errc::unreadable));
}

TEST_P(LogStoreTest, SummariesListARecordWithoutReadingOrOpeningItsContent) {
  auto sealer = Sealer::from_text(kKeys);
  ASSERT_TRUE(sealer.ok());
  LogStore store(open_migrated(), &*sealer);
  const auto a = record("listed", false);
  const auto b = record("listed", true);
  auto ids = store.insert({&a, &b}, Clock::now());
  ASSERT_TRUE(ids.ok());
  ASSERT_NE(store.add_timestamp({"token", "http://tsa", Clock::now(), std::nullopt, ""}, {(*ids)[0]}).value_or(0), 0);
  // A store without the key lists them all the same: nothing is decrypted.
  LogStore keyless(open());
  ASSERT_FALSE(keyless.by_query_id("listed", 10).ok());
  auto listed = keyless.summaries_by_query_id("listed", 10);
  ASSERT_TRUE(listed.ok()) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, (*ids)[0]);
  EXPECT_FALSE((*listed)[0].response);
  EXPECT_TRUE((*listed)[0].timestamped);
  EXPECT_TRUE((*listed)[1].response);
  EXPECT_FALSE((*listed)[1].timestamped);
  EXPECT_EQ((*listed)[1].client, "SUBSYSTEM:EE/COM/1/CLIENT");
  EXPECT_EQ((*listed)[1].x_request_id, "request-1");
  EXPECT_EQ(keyless.summaries_by_query_id("listed", 1)->size(), 1u);
  EXPECT_TRUE(keyless.summaries_by_query_id("other", 10)->empty());
}

TEST_P(LogStoreTest, TimeStampsArchivingAndCleanup) {
  LogStore store(open_migrated());
  const auto t0 = Clock::now() - std::chrono::hours(24 * 40);
  const auto a = record("old", false), b = record("old", true), c = record("new", false);
  ASSERT_TRUE(store.insert({&a, &b}, t0).ok());
  ASSERT_TRUE(store.insert({&c}, Clock::now()).ok());
  EXPECT_EQ(store.pending_count().value(), 3);
  EXPECT_EQ(store.oldest_pending().value(), std::optional(std::chrono::time_point_cast<std::chrono::milliseconds>(t0)));
  auto pending = store.pending(2);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].signature_hash, signature_hash(a.signature));
  EXPECT_EQ(store.signature((*pending)[0].id).value(), a.signature);
  auto ts = testing::stamp_as_batch(store, {(*pending)[0].id, (*pending)[1].id}, "TOKEN");
  ASSERT_TRUE(ts.ok()) << ts.error().to_string();
  EXPECT_EQ(store.pending_count().value(), 1);

  auto archivable = store.archivable(0, 10);
  ASSERT_TRUE(archivable.ok());
  ASSERT_EQ(archivable->size(), 2u);  // time-stamped only
  // Each record's chain, written from the leaves the time-stamp keeps, verifies against the
  // time-stamped result and covers the record's signature.
  EXPECT_EQ(store.ts_hash_chain((*archivable)[0]).value(), ts->chains[0]);
  EXPECT_EQ(store.ts_hash_chain((*archivable)[1]).value(), ts->chains[1]);
  xml::HashChainCheck check;
  check.resolve = [&](std::string_view uri) -> std::optional<std::string> {
    if (uri != "/META-INF/signatures.xml") return std::nullopt;
    return b.signature;
  };
  check.all_inputs = {"/META-INF/signatures.xml"};
  EXPECT_TRUE(xml::verify_hash_chain(ts->result, *store.ts_hash_chain((*archivable)[1]).value(), check).ok());
  auto container = container_of(store, (*archivable)[0]);
  ASSERT_TRUE(container.ok()) << container.error().to_string();
  EXPECT_EQ(container->parts.timestamp, "TOKEN");
  EXPECT_EQ(container->parts.ts_hash_chain_result, ts->result);
  EXPECT_EQ(container->parts.ts_hash_chain, ts->chains[0]);

  // Only what is archived and older than the keep period goes.
  EXPECT_EQ(store.delete_archived_before(Clock::now() - std::chrono::hours(24 * 30), 100).value(), 0u);
  ASSERT_TRUE(store.mark_archived({(*archivable)[0].id, (*archivable)[1].id}).ok());
  EXPECT_EQ(store.archivable(0, 10)->size(), 0u);
  EXPECT_EQ(store.delete_archived_before(Clock::now() - std::chrono::hours(24 * 30), 1).value(),
            1u);  // the limit holds
  EXPECT_EQ(store.delete_archived_before(Clock::now() - std::chrono::hours(24 * 30), 100).value(), 1u);
  EXPECT_EQ(store.by_query_id("old", 10)->size(), 0u);
  EXPECT_EQ(store.by_query_id("new", 10)->size(), 1u);
  EXPECT_FALSE(store.timestamp(ts->timestamp_id).value().has_value());  // no record uses it any more

  ASSERT_TRUE(store.set_archive_link("EE/COM/1", {"abc", "mlog-1.zip"}).ok());
  ASSERT_TRUE(store.set_archive_link("EE/COM/1", {"def", "mlog-2.zip"}).ok());
  EXPECT_EQ(store.archive_link("EE/COM/1").value()->digest, "def");
  EXPECT_FALSE(store.archive_link("EE/COM/2").value().has_value());
  ASSERT_TRUE(store.set_state("failing_since", "123").ok());
  EXPECT_EQ(store.state("failing_since").value(), "123");
  ASSERT_TRUE(store.clear_state("failing_since").ok());
  EXPECT_FALSE(store.state("failing_since").value().has_value());
}

// Many writers at once share commits: every record is written, with its own id, in fewer
// transactions than records.
TEST_P(LogStoreTest, TheWriterCommitsConcurrentRecordsInGroups) {
  metrics::Registry metrics;
  constexpr int kRecords = 200;
  std::vector<MessageRecordInput> records;
  for (int i = 0; i < kRecords; ++i) records.push_back(record("g" + std::to_string(i), false));
  std::vector<std::int64_t> ids(kRecords, 0);
  {
    boost::asio::io_context io;  // outlives the writer, whose thread posts to it
    GroupWriter writer(std::make_unique<LogStore>(open_migrated()), metrics);
    for (int i = 0; i < kRecords; ++i) {
      boost::asio::co_spawn(
          io,
          [&, i]() -> boost::asio::awaitable<void> {
            auto id = co_await writer.write(records[static_cast<std::size_t>(i)]);
            EXPECT_TRUE(id.ok()) << id.error().to_string();
            if (id.ok()) ids[static_cast<std::size_t>(i)] = *id;
          },
          boost::asio::detached);
    }
    io.run();
  }
  std::set<std::int64_t> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kRecords));
  EXPECT_FALSE(distinct.contains(0));
  const std::string text = metrics.render();
  EXPECT_NE(text.find("roadside_messagelog_records_written_total 200"), std::string::npos) << text;
  LogStore check(open());
  EXPECT_EQ(check.pending_count().value(), kRecords);
}

// A database that refuses the write fails every record of the group, with the cause.
TEST_P(LogStoreTest, AFailedCommitFailsItsRecords) {
  metrics::Registry metrics;
  auto conn = open_migrated();
  ASSERT_TRUE(conn->execute_script("DROP TABLE messagelog_pieces").ok());
  boost::asio::io_context io;  // outlives the writer, whose thread posts to it
  GroupWriter writer(std::make_unique<LogStore>(std::move(conn)), metrics);
  const auto r = record("fails", false, {net::Payload(std::string("body"))});
  auto done = boost::asio::co_spawn(io, writer.write(r), boost::asio::use_future);
  io.run();
  auto id = done.get();
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code(), make_error_code(errc::log_failed));
  LogStore check(open());
  EXPECT_EQ(check.pending_count().value(), 0);  // nothing half-written
}

// A record the database refuses (PostgreSQL takes no invalid UTF-8 in a text column) fails
// alone; the records committed with it in its group are written all the same.
TEST_P(LogStoreTest, ARecordTheDatabaseRefusesFailsAlone) {
  if (GetParam() == Dialect::sqlite) GTEST_SKIP() << "SQLite stores any bytes in a text column";
  metrics::Registry metrics;
  std::vector<MessageRecordInput> records = {record("good-1", false), record("bad-\xff", false), record("good-2", false)};
  std::vector<Result<std::int64_t>> results(records.size(), Result<std::int64_t>(Error()));
  {
    boost::asio::io_context io;  // outlives the writer, whose thread posts to it
    GroupWriter writer(std::make_unique<LogStore>(open_migrated()), metrics);
    for (std::size_t i = 0; i < records.size(); ++i) {
      boost::asio::co_spawn(
          io, [&, i]() -> boost::asio::awaitable<void> { results[i] = co_await writer.write(records[i]); },
          boost::asio::detached);
    }
    io.run();
  }
  EXPECT_TRUE(results[0].ok()) << results[0].error().to_string();
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].error().code(), make_error_code(errc::log_failed));
  EXPECT_TRUE(results[2].ok()) << results[2].error().to_string();
  LogStore check(open());
  EXPECT_EQ(check.pending_count().value(), 2);
}

// A batch's leaves stay with its time-stamp: a record whose batch-mates are archived and
// cleaned up still gets its chain. A chain is written only for the record at its own leaf.
TEST_P(LogStoreTest, BatchChainsOutliveTheirBatchMatesAndBelongToTheirRecord) {
  LogStore store(open_migrated());
  const auto a = record("gone", false), b = record("kept", false);
  auto ids = store.insert({&a}, Clock::now() - std::chrono::hours(24 * 40));
  auto more = store.insert({&b}, Clock::now());
  ASSERT_TRUE(ids.ok() && more.ok());
  auto ts = testing::stamp_as_batch(store, {ids->front(), more->front()});
  ASSERT_TRUE(ts.ok()) << ts.error().to_string();
  ASSERT_TRUE(store.mark_archived({ids->front(), more->front()}).ok());
  ASSERT_EQ(store.delete_archived_before(Clock::now() - std::chrono::hours(24), 100).value(), 1u);
  auto kept = store.record(more->front());
  ASSERT_TRUE(kept.ok() && *kept);
  EXPECT_EQ(store.ts_hash_chain(**kept).value(), ts->chains[1]);

  // A record moved to another leaf of the batch gets no chain, and says why.
  const storage::Value p[] = {std::int64_t{0}, more->front()};
  ASSERT_TRUE(store.connection().query("UPDATE messagelog_records SET ts_position = ? WHERE id = ?", p).ok());
  auto moved = store.record(more->front());
  ASSERT_TRUE(moved.ok() && *moved) << "reading the record needs no chain";
  auto chain = store.ts_hash_chain(**moved);
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.error().code(), make_error_code(errc::unreadable));
  EXPECT_NE(chain.error().detail().find("not the leaf at its place"), std::string::npos) << chain.error().detail();
  EXPECT_FALSE(container_of(store, **moved).ok());
}

// The batch's tree is kept for the next record of the batch until it is released; then it is
// read again, and checked again, from the database.
TEST_P(LogStoreTest, AReleasedBatchIsReadAgain) {
  LogStore store(open_migrated());
  const auto a = record("q", false), b = record("q", true);
  auto ids = store.insert({&a, &b}, Clock::now());
  ASSERT_TRUE(ids.ok());
  auto ts = testing::stamp_as_batch(store, *ids);
  ASSERT_TRUE(ts.ok()) << ts.error().to_string();
  auto first = store.record(ids->front()), second = store.record(ids->back());
  ASSERT_TRUE(first.ok() && *first && second.ok() && *second);
  ASSERT_EQ(store.ts_hash_chain(**first).value(), ts->chains[0]);
  const storage::Value p[] = {storage::Blob{std::string(2 * kLeafBytes, 'x')}, *(*first)->timestamp_id};
  ASSERT_TRUE(store.connection().query("UPDATE messagelog_timestamps SET leaves = ? WHERE id = ?", p).ok());
  EXPECT_EQ(store.ts_hash_chain(**second).value(), ts->chains[1]) << "the kept tree";
  store.release_batch();
  auto chain = store.ts_hash_chain(**second);
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.error().code(), make_error_code(errc::unreadable));
  EXPECT_NE(chain.error().detail().find("do not give its hash chain result"), std::string::npos)
      << chain.error().detail();
}

// Two nodes time-stamp overlapping records (a lease handover): each record keeps the first
// time-stamp that covered it, and every record's chain, from whichever batch, verifies.
TEST_P(LogStoreTest, OverlappingBatchesOfTwoNodesEachGiveVerifiableChains) {
  LogStore a(open_migrated()), b(open());
  const auto r1 = record("n1", false), r2 = record("n2", false), r3 = record("n3", false);
  auto ids = a.insert({&r1, &r2, &r3}, Clock::now());
  ASSERT_TRUE(ids.ok());
  auto first = testing::stamp_as_batch(a, {(*ids)[0], (*ids)[1]});
  auto second = testing::stamp_as_batch(b, *ids);  // the other node's view was older
  ASSERT_TRUE(first.ok() && second.ok());
  const std::vector<const MessageRecordInput*> inputs = {&r1, &r2, &r3};
  for (std::size_t i = 0; i < 3; ++i) {
    auto r = a.record((*ids)[i]);
    ASSERT_TRUE(r.ok() && *r);
    const auto& batch = i < 2 ? *first : *second;
    EXPECT_EQ((*r)->timestamp_id, batch.timestamp_id) << i;
    auto chain = a.ts_hash_chain(**r);
    ASSERT_TRUE(chain.ok()) << chain.error().to_string();
    xml::HashChainCheck check;
    check.resolve = [&](std::string_view uri) -> std::optional<std::string> {
      if (uri != "/META-INF/signatures.xml") return std::nullopt;
      return inputs[i]->signature;
    };
    check.all_inputs = {"/META-INF/signatures.xml"};
    EXPECT_TRUE(xml::verify_hash_chain(batch.result, chain->value(), check).ok()) << i;
  }
}

// A time-stamp that covers nothing any more (another node's covered its records) is not kept.
TEST_P(LogStoreTest, ATimestampCoveringNothingIsNotKept) {
  LogStore store(open_migrated());
  const auto a = record("twice", false);
  auto ids = store.insert({&a}, Clock::now());
  ASSERT_TRUE(ids.ok());
  auto first = testing::stamp_as_batch(store, *ids);
  ASSERT_TRUE(first.ok());
  EXPECT_GT(first->timestamp_id, 0);
  auto second = store.add_timestamp({"other token", "http://tsa", Clock::now(), std::nullopt, {}}, *ids);
  ASSERT_TRUE(second.ok()) << second.error().to_string();
  EXPECT_EQ(*second, 0);
  auto count = store.connection().query("SELECT COUNT(*) FROM messagelog_timestamps");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(storage::as_int((*count)[0][0]), 1);
  EXPECT_EQ(store.record(ids->front()).value()->timestamp_id, first->timestamp_id);
}

// Records written before migration 9 moved payloads apart, one time-stamped with its chain
// stored whole, read back after it: nothing is lost, and the stored chain is the one given.
TEST_P(LogStoreTest, RecordsOfTheSchemaBeforePayloadsMovedApartSurviveTheMigration) {
  {
    storage::Store s(open());
    const auto all = storage::migrations();
    ASSERT_TRUE(s.migrate(all.first(8)).ok());
  }
  {
    auto conn = open();
    const storage::Value ts[] = {std::int64_t{1000}, storage::Blob{"TOKEN"}, std::string("<result/>"),
                                 std::string("http://tsa")};
    ASSERT_TRUE(conn->query("INSERT INTO messagelog_timestamps (time_ms, token, hash_chain_result, tsa_url) VALUES "
                            "(?,?,?,?)",
                            ts)
                    .ok());
    const storage::Value rec[] = {std::int64_t{1000}, std::string("old query"), storage::Blob{"<old message/>"},
                                  std::string("<old signature/>"), std::string("<chain/>")};
    auto st = conn->query(
        "INSERT INTO messagelog_records (time_ms, query_id, x_request_id, response, client, member_group, "
        "subsystem_group, body_logged, message, attachments, signature, signature_hash, timestamp_id, ts_hash_chain) "
        "VALUES (?, ?, 'x', 0, 'SUBSYSTEM:EE/COM/1/CLIENT', 'EE/COM/1', 'EE/COM/1/CLIENT', 1, ?, 0, ?, 'hash', 1, ?)",
        rec);
    ASSERT_TRUE(st.ok()) << st.error().to_string();
  }
  LogStore store(open_migrated());
  auto found = store.by_query_id("old query", 10);
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].message, "<old message/>");
  EXPECT_EQ((*found)[0].signature, "<old signature/>");
  EXPECT_EQ((*found)[0].ts_hash_chain, "<chain/>");
  EXPECT_EQ((*found)[0].timestamp_id, 1);
  // And new records go in beside it.
  const auto a = record("new", false);
  ASSERT_TRUE(store.insert({&a}, Clock::now()).ok());
  EXPECT_EQ(store.pending_count().value(), 1);
}

INSTANTIATE_TEST_SUITE_P(Databases, LogStoreTest, ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         roadside::testing::dialect_name);

TEST(Sealer, KeyFilesAreCheckedLineByLine) {
  EXPECT_TRUE(Sealer::from_text(kKeys).ok());
  EXPECT_EQ(Sealer::from_text(kKeys)->current_key_id(), "k2");
  for (const char* bad :
       {"", "# only a comment\n", "k1\n", "k1 not-base64!\n", "k1 AAEC\n",
        "k1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\nk1 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"}) {
    auto s = Sealer::from_text(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code(), make_error_code(errc::malformed)) << bad;
  }
  auto s = Sealer::from_text(kKeys);
  auto sealed = s->seal("plain", "record 1");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(s->open("k2", *sealed, "record 1").value(), "plain");
  EXPECT_FALSE(s->open("k2", *sealed, "record 2").ok());  // bound to its place
  EXPECT_FALSE(s->open("k1", *sealed, "record 1").ok());
  EXPECT_FALSE(s->open("k9", *sealed, "record 1").ok());
}

TEST(Sealer, AKeyFileOthersMayReadIsRefused) {
  roadside::testing::TempDir dir;
  const auto file = dir / "keys";
  roadside::testing::write_file(file, kKeys);
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                         std::filesystem::perms::group_read);
  auto refused = Sealer::from_file(file);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().detail().find("chmod 600"), std::string::npos);
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_TRUE(Sealer::from_file(file).ok());
}

}  // namespace
}  // namespace roadside::messagelog
