// Archive rounds and cleanup over a real database: every test runs on SQLite and on the
// PostgreSQL server ctest's "postgres" fixture starts (ROADSIDE_TEST_PG_INFO).
#include "messagelog/archiver.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "base/errors.h"
#include "base/subprocess.h"
#include "messagelog/archive.h"
#include "messagelog/batch_tree.h"
#include "messagelog/container.h"
#include "storage/store.h"
#include "support/messagelog_batch.h"
#include "support/test_databases.h"
#include "support/test_support.h"

namespace roadside::messagelog {
namespace {

using std::chrono::system_clock;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const system_clock::time_point kT0 = *parse_rfc3339("2026-11-02T10:00:01Z");

XRoadId client(std::string_view code, std::string_view subsystem = "SUB") {
  return *XRoadId::subsystem("DEV", "COM", code, subsystem);
}

std::string read(const fs::path& p) {
  return roadside::testing::read_file(p);
}

// The archive files of `dir`, by name.
std::vector<fs::path> archives_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().starts_with("mlog-")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

ArchiveCheck verify(const std::string& zip_bytes, const std::string& previous_digest) {
  auto zip = ZipFile::read(zip_bytes);
  EXPECT_TRUE(zip.ok()) << zip.error().to_string();
  if (!zip.ok()) return {};
  auto check = verify_archive_linking(*zip, previous_digest);
  EXPECT_TRUE(check.ok()) << check.error().to_string();
  return check.ok() ? *check : ArchiveCheck{};
}

}  // namespace
}  // namespace roadside::messagelog

namespace roadside::storage {
void PrintTo(Dialect d, std::ostream* os) {
  *os << to_string(d);
}
}  // namespace roadside::storage

namespace roadside::messagelog {
namespace {

class ArchiverTest : public roadside::testing::BothDatabases {
 protected:
  void SetUp() override {
    BothDatabases::SetUp();
    if (::testing::Test::IsSkipped() || HasFatalFailure()) return;
    storage::Store store(open());
    auto migrated = store.migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().to_string();
    log_ = std::make_unique<LogStore>(open());
    options_.directory = dir_ / "archive";
  }

  void TearDown() override {
    log_.reset();
    BothDatabases::TearDown();
  }

  // Logs `n` requests of `who` at `time` (a second apart) and time-stamps them in one batch;
  // returns their ids.
  std::vector<std::int64_t> log(int n, const XRoadId& who, system_clock::time_point time = kT0, bool stamp = true) {
    std::vector<MessageRecordInput> inputs(static_cast<std::size_t>(n));
    std::vector<std::int64_t> ids;
    for (int i = 0; i < n; ++i) {
      MessageRecordInput& r = inputs[static_cast<std::size_t>(i)];
      r.query_id = "query " + std::to_string(++serial_) + "/ä";
      r.x_request_id = "x" + std::to_string(serial_);
      r.response = i % 2 == 1;
      r.client = who;
      r.message = "<message n=\"" + std::to_string(serial_) + "\">" + std::string(200, 'm') + "</message>";
      r.signature = "<signature n=\"" + std::to_string(serial_) + "\"/>";
      auto id = log_->insert({&r}, time + std::chrono::seconds(i));
      EXPECT_TRUE(id.ok()) << id.error().to_string();
      if (id.ok()) ids.push_back(id->front());
    }
    if (stamp) {
      auto ts = testing::stamp_as_batch(*log_, ids, "token bytes", time + 1min);
      EXPECT_TRUE(ts.ok()) << ts.error().to_string();
      if (ts.ok()) batches_.push_back(std::move(ts).value());
    }
    return ids;
  }

  ArchiveRound round(const ArchiverOptions& options) {
    Archiver archiver(*log_, options, clock_);
    auto r = archiver.run();
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    if (!r.ok()) return {};
    for (const auto& f : r->failures) ADD_FAILURE() << f.to_string();
    return std::move(r).value();
  }

  std::size_t unarchived() {
    auto r = log_->archivable(0, 100'000);
    return r.ok() ? r->size() : 9999;
  }

  std::unique_ptr<LogStore> log_;
  ArchiverOptions options_;
  ManualClock clock_{kT0 + 24h};
  int serial_ = 0;
  std::vector<testing::StoredBatch> batches_;
};

TEST_P(ArchiverTest, ThreeRoundsGiveThreeChainedArchivesNamedAsXRoadNamesThem) {
  std::string previous_digest, previous_name;
  for (int r = 0; r < 3; ++r) {
    const auto ids = log(3, client("1234"), kT0 + std::chrono::hours(r));
    const ArchiveRound done = round(options_);
    ASSERT_EQ(done.files.size(), 1u) << r;
    EXPECT_EQ(done.records, 3u);
    EXPECT_EQ(unarchived(), 0u);
    const fs::path& file = done.files[0];
    const ArchiveCheck check = verify(read(file), previous_digest);
    EXPECT_EQ(check.linking.previous_archive, previous_name);
    ASSERT_EQ(check.linking.entries.size(), 3u);
    // mlog-<first>-<last>-<16 hex of the last digest>.zip, in UTC
    const std::string hour = std::to_string(10 + r);
    EXPECT_EQ(file.filename().string(),
              "mlog-20261102" + hour + "0001-20261102" + hour + "0003-" + check.last_digest.substr(0, 16) + ".zip");
    EXPECT_EQ(check.linking.entries[0].file,
              "query+" + std::to_string(3 * r + 1) + "%2F%C3%A4-request-" + std::to_string(ids[0]) + ".asice");
    // Each entry is stamped with its record's time (the DOS time has 2-second steps).
    auto zip = ZipFile::read(read(file));
    ASSERT_TRUE(zip.ok());
    ASSERT_TRUE(zip->entries[0].mtime.has_value());
    EXPECT_LE(std::chrono::abs(*zip->entries[0].mtime - (kT0 + std::chrono::hours(r))), 2s);
    auto stored = log_->archive_link("");
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ((*stored)->digest, check.last_digest);
    EXPECT_EQ((*stored)->file_name, file.filename().string());
    previous_digest = check.last_digest;
    previous_name = file.filename().string();
  }
  EXPECT_EQ(archives_in(options_.directory).size(), 3u);
  // Nothing left: a round writes nothing.
  EXPECT_TRUE(round(options_).files.empty());
}

TEST_P(ArchiverTest, ContainersAreTheRecordsContainersAndArchivesAreDeterministic) {
  log(2, client("1234"));
  const ArchiveRound done = round(options_);
  ASSERT_EQ(done.files.size(), 1u);
  auto zip = ZipFile::read(read(done.files[0]));
  ASSERT_TRUE(zip.ok());
  auto asic = AsicContainer::read(zip->entries[0].data);
  ASSERT_TRUE(asic.ok()) << asic.error().to_string();
  EXPECT_EQ(asic->parts.signature, "<signature n=\"1\"/>");
  EXPECT_EQ(asic->parts.timestamp, "token bytes");
  ASSERT_FALSE(batches_.empty());
  EXPECT_EQ(asic->parts.ts_hash_chain, batches_.front().chains.front());
  EXPECT_EQ(asic->parts.ts_hash_chain_result, batches_.front().result);
  // The same records from the same link give the same bytes (X-Road: "Creating archive
  // files is deterministic"), which a re-run after a crash relies on.
  auto record = log_->record(1);
  ASSERT_TRUE(record.ok() && record->has_value());
  auto again = container_of(*log_, **record);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->write().value_or(""), zip->entries[0].data);
}

TEST_P(ArchiverTest, ARoundLeavesTheStoreHoldingNoBatch) {
  log(2, client("1234"));
  ASSERT_EQ(round(options_).files.size(), 1u);
  auto record = log_->record(1);
  ASSERT_TRUE(record.ok() && record->has_value() && (*record)->timestamp_id);
  // Leaves changed behind the store's back are read: the round kept no tree of the batch.
  const storage::Value p[] = {storage::Blob{std::string(2 * kLeafBytes, 'x')}, *(*record)->timestamp_id};
  ASSERT_TRUE(log_->connection().query("UPDATE messagelog_timestamps SET leaves = ? WHERE id = ?", p).ok());
  auto chain = log_->ts_hash_chain(**record);
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.error().code(), make_error_code(errc::unreadable));
}

TEST_P(ArchiverTest, GroupingByMemberGivesEachMemberItsFilesAndChain) {
  options_.grouping = ArchiveGrouping::member;
  std::map<std::string, std::string> last;  // member -> last digest
  for (int r = 0; r < 2; ++r) {
    log(2, client("1234", "A"), kT0 + std::chrono::hours(r));
    log(2, client("5678"), kT0 + std::chrono::hours(r));
    log(1, client("1234", "B"), kT0 + std::chrono::hours(r));
    const ArchiveRound done = round(options_);
    ASSERT_EQ(done.files.size(), 2u);
    EXPECT_EQ(done.records, 5u);
    for (const auto& f : done.files) {
      const std::string name = f.filename().string();
      const std::string member = name.starts_with("mlog-DEV_COM_1234-") ? "DEV/COM/1234" : "DEV/COM/5678";
      ASSERT_TRUE(name.starts_with("mlog-" + std::string(member == "DEV/COM/1234" ? "DEV_COM_1234-" : "DEV_COM_5678-")))
          << name;
      const ArchiveCheck check = verify(read(f), last[member]);
      EXPECT_EQ(check.linking.entries.size(), member == "DEV/COM/1234" ? 3u : 2u);
      last[member] = check.last_digest;
      auto link = log_->archive_link(member);
      ASSERT_TRUE(link.ok() && link->has_value());
      EXPECT_EQ((*link)->file_name, name);
    }
  }
  EXPECT_EQ(archives_in(options_.directory).size(), 4u);

  options_.grouping = ArchiveGrouping::subsystem;
  log(1, client("1234", "A"));
  log(1, client("1234", "B"));
  const ArchiveRound done = round(options_);
  ASSERT_EQ(done.files.size(), 2u);
  EXPECT_TRUE(done.files[0].filename().string().starts_with("mlog-DEV_COM_1234_A-"));
  EXPECT_TRUE(done.files[1].filename().string().starts_with("mlog-DEV_COM_1234_B-"));
  verify(read(done.files[0]), "");  // a new group starts a chain of its own
}

TEST_P(ArchiverTest, RotatesPastTheMaximumSizeAndKeepsTheChainAcrossFiles) {
  log(5, client("1234"));
  // The size of one container: rotation comes after the container that passes the maximum.
  auto one = log_->record(1);
  ASSERT_TRUE(one.ok() && one->has_value());
  const std::size_t container = container_of(*log_, **one)->write().value_or("").size();
  options_.max_file_size = container * 2 + container / 2;
  const ArchiveRound done = round(options_);
  ASSERT_EQ(done.files.size(), 2u);
  const ArchiveCheck first = verify(read(done.files[0]), "");
  EXPECT_EQ(first.linking.entries.size(), 3u);
  const ArchiveCheck second = verify(read(done.files[1]), first.last_digest);
  EXPECT_EQ(second.linking.entries.size(), 2u);
  EXPECT_EQ(second.linking.previous_archive, done.files[0].filename().string());

  log(3, client("1234"));
  options_.max_file_size = 1;  // every container its own archive
  const ArchiveRound each = round(options_);
  ASSERT_EQ(each.files.size(), 3u);
  std::string digest = second.last_digest;
  for (const auto& f : each.files) digest = verify(read(f), digest).last_digest;
}

TEST_P(ArchiverTest, BatchesAreArchivedInTurnAndEachEndsItsArchive) {
  log(7, client("1234"));
  options_.batch = 3;
  const ArchiveRound done = round(options_);
  ASSERT_EQ(done.files.size(), 3u);  // 3 + 3 + 1
  EXPECT_EQ(done.records, 7u);
  std::string digest;
  for (const auto& f : done.files) digest = verify(read(f), digest).last_digest;
}

TEST_P(ArchiverTest, ARestartedArchiverContinuesTheChainFromTheDatabase) {
  log(2, client("1234"));
  const ArchiveRound first = round(options_);
  ASSERT_EQ(first.files.size(), 1u);
  const ArchiveCheck check = verify(read(first.files[0]), "");
  // A new process: its own connection, a new archiver.
  log_ = std::make_unique<LogStore>(open());
  log(2, client("1234"), kT0 + 1h);
  const ArchiveRound second = round(options_);
  ASSERT_EQ(second.files.size(), 1u);
  const ArchiveCheck next = verify(read(second.files[0]), check.last_digest);
  EXPECT_EQ(next.linking.previous_archive, first.files[0].filename().string());
}

TEST_P(ArchiverTest, LeavesRecordsLoggedAfterTheRoundBeganAndUnstampedOnes) {
  log(2, client("1234"));
  log(1, client("1234"), clock_.now() + 1s);     // after the round began
  log(1, client("1234"), kT0, /*stamp=*/false);  // not time-stamped yet
  const ArchiveRound done = round(options_);
  EXPECT_EQ(done.records, 2u);
  EXPECT_EQ(unarchived(), 1u);  // the late one; the unstamped one is not archivable at all
}

TEST_P(ArchiverTest, AnArchiveWrittenButNotCommittedIsRemovedAndWrittenAgain) {
  log(2, client("1234"));
  // What a crash between writing the file and the commit leaves: the pending name and the
  // file, with the records not archived.
  fs::create_directories(options_.directory);
  const std::string orphan = "mlog-20261102100001-20261102100002-0123456789abcdef.zip";
  roadside::testing::write_file(options_.directory / orphan, "half a story");
  ASSERT_TRUE(log_->set_state("archive_pending:", orphan).ok());
  roadside::testing::write_file(options_.directory / "mlog-20261102100001-20261102100002-0123456789abcdef.zip.Ab12Cd",
                                "temp");
  const ArchiveRound done = round(options_);
  ASSERT_EQ(done.files.size(), 1u);
  EXPECT_EQ(archives_in(options_.directory), done.files);  // the orphan and the temporary are gone
  verify(read(done.files[0]), "");
  EXPECT_FALSE(log_->state("archive_pending:").value_or(std::string("x")).has_value());

  // A crash after the commit, before the note was cleared: the file is the chain's, kept.
  ASSERT_TRUE(log_->set_state("archive_pending:", done.files[0].filename().string()).ok());
  log(1, client("1234"), kT0 + 1h);
  const ArchiveRound next = round(options_);
  ASSERT_EQ(next.files.size(), 1u);
  EXPECT_TRUE(fs::exists(done.files[0]));
  verify(read(next.files[0]), verify(read(done.files[0]), "").last_digest);
}

TEST_P(ArchiverTest, ALinkMovedByAnotherNodeIsNotOverwritten) {
  log(2, client("1234"));
  // The link moves between this node's read and its commit: commit_archive refuses.
  auto link = log_->archive_link("");
  ASSERT_TRUE(link.ok());
  ASSERT_TRUE(log_->set_archive_link("", {"aa", "mlog-other.zip"}).ok());
  auto moved = log_->commit_archive("", *link, {"bb", "mlog-mine.zip"}, {1, 2});
  ASSERT_TRUE(moved.ok()) << moved.error().to_string();
  EXPECT_FALSE(*moved);
  EXPECT_EQ(unarchived(), 2u);
  EXPECT_EQ(log_->archive_link("")->value().file_name, "mlog-other.zip");
  // From the link it read, it commits.
  auto ok = log_->commit_archive("", LogStore::ArchiveLink{"aa", "mlog-other.zip"}, {"bb", "mlog-mine.zip"}, {1, 2});
  ASSERT_TRUE(ok.ok() && *ok);
  EXPECT_EQ(unarchived(), 0u);
  auto ts = log_->timestamp(1);
  ASSERT_TRUE(ts.ok() && ts->has_value());
  EXPECT_TRUE((*ts)->archived);
}

TEST_P(ArchiverTest, TransferCommandAndHookRunAfterEachArchive) {
  log(2, client("1234"));
  log(2, client("5678"));
  options_.grouping = ArchiveGrouping::member;
  // The server's secrets stay out of the command's environment.
  options_.transfer_command =
      "echo \"$ROADSIDE_ARCHIVE_FILE ${ROADSIDE_ARCHIVER_TEST_PIN-no pin}\" >> \"$PWD/../transferred.txt\"";
  options_.secret_env = {"ROADSIDE_ARCHIVER_TEST_PIN"};
  ::setenv("ROADSIDE_ARCHIVER_TEST_PIN", "1234", 1);
  std::vector<fs::path> hooked;
  options_.transfer = [&](const fs::path& p) -> Status {
    hooked.push_back(p);
    return {};
  };
  const ArchiveRound done = round(options_);
  ASSERT_EQ(done.files.size(), 2u);
  EXPECT_EQ(hooked, done.files);
  ::unsetenv("ROADSIDE_ARCHIVER_TEST_PIN");
  EXPECT_EQ(read(dir_ / "transferred.txt"),
            done.files[0].string() + " no pin\n" + done.files[1].string() + " no pin\n");
  EXPECT_TRUE(done.transfer_failures.empty());

  // A failing transfer is reported with its stderr; the archive stays written and committed.
  log(1, client("1234"), kT0 + 1h);
  options_.transfer_command = "echo no route to archive host >&2; exit 7";
  options_.transfer = [](const fs::path&) -> Status {
    return Error(make_error_code(base::errc::io_error), "S3 said no");
  };
  const ArchiveRound failed = round(options_);
  ASSERT_EQ(failed.files.size(), 1u);
  ASSERT_EQ(failed.transfer_failures.size(), 2u);
  EXPECT_NE(failed.transfer_failures[0].detail().find("exited with status 7: no route to archive host"),
            std::string::npos)
      << failed.transfer_failures[0].detail();
  EXPECT_EQ(failed.transfer_failures[1].detail(), "S3 said no");
  EXPECT_EQ(unarchived(), 0u);
}

TEST_P(ArchiverTest, AStoppingServerEndsTheRoundAfterTheArchiveItWrites) {
  log(3, client("1234"));
  std::atomic<bool> stop{false};
  options_.cancelled = &stop;
  options_.max_file_size = 1;  // an archive per record
  options_.transfer = [&](const fs::path&) -> Status {
    stop = true;
    return {};
  };
  const ArchiveRound first = round(options_);
  ASSERT_EQ(first.files.size(), 1u);
  EXPECT_EQ(unarchived(), 2u);
  stop = false;
  options_.transfer = nullptr;
  const ArchiveRound rest = round(options_);
  ASSERT_EQ(rest.files.size(), 2u);
  verify(read(rest.files[0]), verify(read(first.files[0]), "").last_digest);
}

TEST_P(ArchiverTest, AnUnwritableDirectoryFailsTheRoundAndArchivesNothing) {
  log(1, client("1234"));
  roadside::testing::write_file(dir_ / "file", "");
  options_.directory = dir_ / "file";
  Archiver archiver(*log_, options_, clock_);
  auto r = archiver.run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), base::errc::io_error);
  EXPECT_NE(r.error().detail().find("is not a directory"), std::string::npos);
  EXPECT_EQ(unarchived(), 1u);
}

TEST_P(ArchiverTest, CleanupRemovesArchivedRecordsPastTheKeepPeriodOnly) {
  const auto now = kT0 + 24h * 40;
  clock_.set(now);
  log(5, client("1234"), now - 24h * 35);  // old, archived below
  const auto old_unarchived = log(1, client("1234"), now - 24h * 35, /*stamp=*/false);
  ASSERT_EQ(round(options_).records, 5u);
  log(2, client("1234"), now - 24h * 2);  // recent, archived below
  ASSERT_EQ(round(options_).records, 2u);
  auto cleaned = clean_archived(*log_, now - 24h * 30, 2);  // batches of 2: three transactions
  ASSERT_TRUE(cleaned.ok()) << cleaned.error().to_string();
  EXPECT_EQ(*cleaned, 5u);
  for (std::int64_t id = 1; id <= 5; ++id) EXPECT_FALSE(log_->record(id).value().has_value()) << id;
  EXPECT_TRUE(log_->record(old_unarchived[0]).value().has_value());  // not archived: kept
  EXPECT_TRUE(log_->record(7).value().has_value());                  // archived, but recent
  EXPECT_EQ(*clean_archived(*log_, now - 24h * 30, 2), 0u);
}

INSTANTIATE_TEST_SUITE_P(Databases, ArchiverTest,
                         ::testing::Values(storage::Dialect::sqlite, storage::Dialect::postgresql),
                         roadside::testing::dialect_name);

// --- GPG: a throw-away key in a home of the test's own ---

class ArchiveEncryptionTest : public ArchiverTest {
 protected:
  void SetUp() override {
    ArchiverTest::SetUp();
    if (::testing::Test::IsSkipped() || HasFatalFailure()) return;
    if (!fs::exists("/usr/bin/gpg")) GTEST_SKIP() << "no /usr/bin/gpg (scripts/setup.sh installs gnupg)";
    home_ = dir_ / "gpg";
    fs::create_directories(home_);
    fs::permissions(home_, fs::perms::owner_all);
    server_key_ = generate("Roadside Archive <archive@example.org>")[0];
    const auto member = generate("DEV/COM/1234 <member@example.org>");
    member_key_ = member[0];
    member_subkey_ = member.size() > 1 ? member[1] : "";
  }
  void TearDown() override {
    if (!home_.empty()) (void)gpg({"/usr/bin/gpgconf", "--homedir", home_.string(), "--kill", "gpg-agent"});
    ArchiverTest::TearDown();
  }

  ProcessOutcome gpg(std::vector<std::string> argv) {
    ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.max_stdout = 64 << 20;
    auto r = run_process(spec);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : ProcessOutcome{255, "", "", false};
  }

  // A new key's fingerprints: the primary key's, then its encryption subkey's.
  std::vector<std::string> generate(const std::string& uid) {
    auto made = gpg({"/usr/bin/gpg", "--homedir", home_.string(), "--batch", "--passphrase", "", "--quick-gen-key", uid,
                     "default", "default", "never"});
    EXPECT_EQ(made.status, 0) << made.err;
    auto listed = gpg({"/usr/bin/gpg", "--homedir", home_.string(), "--batch", "--with-colons", "--list-keys", uid});
    std::vector<std::string> fprs;
    for (auto at = listed.out.find("\nfpr:"); at != std::string::npos; at = listed.out.find("\nfpr:", at + 1)) {
      const auto start = listed.out.find_first_not_of(':', at + 5);
      fprs.push_back(listed.out.substr(start, listed.out.find(':', start) - start));
    }
    EXPECT_FALSE(fprs.empty()) << listed.out;
    if (fprs.empty()) fprs.emplace_back();
    return fprs;
  }

  std::string decrypt(const fs::path& file, int expect_status = 0) {
    auto out = gpg({"/usr/bin/gpg", "--homedir", home_.string(), "--batch", "--decrypt", file.string()});
    EXPECT_EQ(out.status, expect_status) << out.err;
    last_stderr_ = out.err;
    return out.out;
  }

  fs::path home_;
  std::string server_key_, member_key_, member_subkey_, last_stderr_;
};

TEST_P(ArchiveEncryptionTest, AnEncryptedArchiveOpensWithGpgAndVerifies) {
  log(3, client("1234"));
  options_.encryption = ArchiveEncryption{home_};
  const ArchiveRound done = round(options_);
  ASSERT_EQ(done.files.size(), 1u);
  const std::string name = done.files[0].filename().string();
  EXPECT_TRUE(name.ends_with(".zip.gpg")) << name;
  const std::string zip = decrypt(done.files[0]);
  const ArchiveCheck check = verify(zip, "");
  EXPECT_EQ(check.linking.entries.size(), 3u);
  // Named after the plain archive's digest; signed with the home's key.
  EXPECT_EQ(name.substr(name.size() - 24, 16), check.last_digest.substr(0, 16));
  EXPECT_NE(last_stderr_.find("Good signature"), std::string::npos) << last_stderr_;
  EXPECT_EQ(read(done.files[0]).find("linkinginfo"), std::string::npos);  // not readable as it is
}

TEST_P(ArchiveEncryptionTest, MembersArchivesAreEncryptedToTheirMappedKeys) {
  const fs::path mapping = dir_ / "archive-encryption-mapping.ini";
  roadside::testing::write_file(mapping, "# X-Road's format\n  DEV/COM/1234 = " + member_key_ + "\nnot a mapping\n");
  options_.grouping = ArchiveGrouping::subsystem;
  options_.encryption = ArchiveEncryption{home_, mapping, server_key_};
  log(1, client("1234", "A"));
  log(1, client("5678"));
  const ArchiveRound done = round(options_);
  ASSERT_EQ(done.files.size(), 2u);
  auto recipients = [&](const fs::path& f) {
    return gpg({"/usr/bin/gpg", "--homedir", home_.string(), "--batch", "--list-packets", "--list-only", f.string()})
               .err +
           gpg({"/usr/bin/gpg", "--homedir", home_.string(), "--batch", "--list-packets", "--list-only", f.string()})
               .out;
  };
  ASSERT_GE(member_subkey_.size(), 16u);
  const std::string member_id = member_subkey_.substr(member_subkey_.size() - 16);
  // The subsystem's archive goes to its member's key; the unmapped member's to the default.
  EXPECT_NE(recipients(done.files[0]).find(member_id), std::string::npos) << recipients(done.files[0]);
  EXPECT_EQ(recipients(done.files[1]).find(member_id), std::string::npos);
  for (const auto& f : done.files) verify(decrypt(f), "");
}

TEST_P(ArchiveEncryptionTest, AMissingKeyFailsItsGroupWithGpgsWordsAndTheOthersGoOn) {
  const fs::path mapping = dir_ / "mapping.ini";
  roadside::testing::write_file(mapping, "DEV/COM/1234 = 0000000000000000000000000000000000000000\n");
  options_.grouping = ArchiveGrouping::member;
  options_.encryption = ArchiveEncryption{home_, mapping};
  log(1, client("1234"));
  log(1, client("5678"));
  Archiver archiver(*log_, options_, clock_);
  auto r = archiver.run();
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->files.size(), 1u);
  EXPECT_TRUE(r->files[0].filename().string().starts_with("mlog-DEV_COM_5678-"));
  ASSERT_EQ(r->failures.size(), 1u);
  EXPECT_NE(r->failures[0].detail().find("DEV/COM/1234"), std::string::npos) << r->failures[0].detail();
  EXPECT_NE(r->failures[0].detail().find("gpg could not encrypt"), std::string::npos) << r->failures[0].detail();
  EXPECT_NE(r->failures[0].detail().find("0000000000000000"), std::string::npos)
      << r->failures[0].detail();  // gpg's stderr
  EXPECT_EQ(unarchived(), 1u);
  EXPECT_EQ(archives_in(options_.directory).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Databases, ArchiveEncryptionTest, ::testing::Values(storage::Dialect::sqlite),
                         [](const auto& p) { return std::string(storage::to_string(p.param)); });

// --- names and the key mapping file, without a database ---

TEST(ArchiveNames, AreXRoadsNames) {
  const auto t1 = *parse_rfc3339("2021-09-01T10:08:58.900Z"), t2 = *parse_rfc3339("2021-09-01T10:09:05Z");
  const std::string digest = "95b1f27097524105aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  EXPECT_EQ(archive_file_name("", t1, t2, digest, false), "mlog-20210901100858-20210901100905-95b1f27097524105.zip");
  EXPECT_EQ(archive_file_name("", t1, t2, digest, true), "mlog-20210901100858-20210901100905-95b1f27097524105.zip.gpg");
  EXPECT_EQ(archive_file_name("INSTANCE/CLASS/CODE", t1, t2, digest, true),
            "mlog-INSTANCE_CLASS_CODE-20210901100858-20210901100905-95b1f27097524105.zip.gpg");
  EXPECT_EQ(archive_file_name("I/C/a:b*c?d|e<f>g\\h\x01i\xc2\x85j", t1, t2, digest, false),
            "mlog-I_C_a_b_c_d_e_f_g_h_i_j-20210901100858-20210901100905-95b1f27097524105.zip");
  // Java's "%.200s" over the group and its dash: a long group loses its dash too.
  const std::string long_group = "I/C/" + std::string(300, 'x');
  EXPECT_EQ(archive_file_name(long_group, t1, t2, digest, false),
            "mlog-I_C_" + std::string(196, 'x') + "20210901100858-20210901100905-95b1f27097524105.zip");

  EXPECT_EQ(asic_file_name("abc-123", false, 1), "abc-123-request-1.asice");
  EXPECT_EQ(asic_file_name("a b/c~ä", true, 32 * 32 + 31), "a+b%2Fc%7E%C3%A4-response-10v.asice");
  EXPECT_EQ(asic_file_name(std::string(300, 'q'), false, 0), std::string(226, 'q') + "-request-0.asice");
  // Java truncates after escaping, even inside an escape.
  std::string slashes;
  for (int i = 0; i < 75; ++i) slashes += "%2F";
  EXPECT_EQ(asic_file_name(std::string(100, '/'), false, 0), slashes + "%-request-0.asice");
}

TEST(EncryptionKeys, ReadsXRoadsMappingFileAsXRoadDoes) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  const EncryptionKeys keys =
      parse_encryption_keys(read(vectors / "xroad" / "messagelog" / "messagelog-addon-test" / "gpg" / "keys.ini"));
  const std::map<std::string, std::set<std::string>, std::less<>> expected = {
      {"INSTANCE/memberClass/memberCode", {"B23B8E993AC4632A896D39A27BE94D3451C16D33"}},
      {"withEquals=", {"=F\xc3\xb6\xc3\xb6 <foo@example.org>"}},
      {"test", {"key#1", "key#2"}},
      {"#comment escape#", {"#42"}},
      {"backslash\\=equals", {"1"}},
      {"backslash\\#hash", {"1"}},
  };
  EXPECT_EQ(keys.members, expected);
  EXPECT_EQ(keys.ignored, (std::vector<int>{7, 8, 9, 10}));  // "=", "key=", "=value", "key? value?"
  EXPECT_EQ(parse_encryption_keys("a=b\r\nc = d\re=f").members.size(), 3u);
}

TEST(EncryptionKeys, AMembersKeysAreItsOwnElseTheDefault) {
  roadside::testing::TempDir dir;
  ArchiveEncryption enc;
  enc.keys_config = dir / "keys.ini";
  enc.default_key = "DEFAULT";
  // No mapping file yet: the default, for everybody.
  auto none = member_archive_keys(enc, "DEV/COM/1");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->keys, std::vector<std::string>{"DEFAULT"});
  EXPECT_TRUE(none->default_used);
  {
    std::ofstream f(enc.keys_config);
    f << "DEV/COM/1 = K2\nDEV/COM/1 = K1\n";
  }
  auto own = member_archive_keys(enc, "DEV/COM/1");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->keys, (std::vector<std::string>{"K1", "K2"}));
  EXPECT_FALSE(own->default_used);
  EXPECT_TRUE(member_archive_keys(enc, "DEV/COM/2")->default_used);
  enc.default_key.clear();  // gpg's own key
  EXPECT_TRUE(member_archive_keys(enc, "DEV/COM/2")->keys.empty());
}

TEST(ArchiveGroupingOption, NamesWhatItTakes) {
  EXPECT_EQ(*parse_archive_grouping("Member"), ArchiveGrouping::member);
  EXPECT_EQ(*parse_archive_grouping("none"), ArchiveGrouping::none);
  EXPECT_EQ(*parse_archive_grouping("subsystem"), ArchiveGrouping::subsystem);
  auto bad = parse_archive_grouping("client");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail().find("none, member, subsystem"), std::string::npos);
}

}  // namespace
}  // namespace roadside::messagelog
