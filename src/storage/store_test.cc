// One suite, two databases: every test runs on SQLite and on a real PostgreSQL server
// (started by ctest's "postgres" fixture; its address comes in ROADSIDE_TEST_PG_INFO).
#include "storage/store.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "base/random.h"
#include "storage/cluster.h"
#include "support/test_databases.h"
#include "support/test_support.h"

namespace roadside::storage {
namespace {

using roadside::testing::TempDir;

using roadside::testing::pg_options;

// Migrations of a pretend newer Roadside, for upgrade tests.
const int kLatest = migrations().back().version;
const Migration kNewerMigration{kLatest + 1, "widgets",
                                "CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
                                "CREATE TABLE widgets (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL);"};
const Migration kBrokenMigration{kLatest + 1, "broken",
                                 "CREATE TABLE half_done (id INTEGER); SELECT * FROM no_such_table;",
                                 "CREATE TABLE half_done (id INTEGER); SELECT * FROM no_such_table;"};

std::vector<Migration> with(const Migration& extra) {
  std::vector<Migration> list(migrations().begin(), migrations().end());
  std::vector<Migration> out;
  for (const auto& m : list) {
    if (m.version < extra.version) out.push_back(m);
  }
  out.push_back(extra);
  return out;
}

}  // namespace

void PrintTo(Dialect d, std::ostream* os) {
  *os << to_string(d);
}

namespace {

class StoreTest : public roadside::testing::BothDatabases {
 protected:
  Store store() { return Store(open()); }
};

TEST_P(StoreTest, MigratesAFreshDatabaseOnce) {
  Store s = store();
  auto info = s.migrate();
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->version, migrations().back().version);
  EXPECT_EQ(info->applied_now.size(), migrations().size());
  EXPECT_EQ(info->product_version, ROADSIDE_VERSION);
  auto again = s.migrate();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->applied_now.empty());
  EXPECT_EQ(*s.schema_version(), migrations().back().version);
  // Each applied migration is recorded with the product version that applied it.
  auto rows = s.with_connection(
      [](Connection& c) { return c.query("SELECT version, name, product_version FROM roadside_schema"); });
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), migrations().size());
  EXPECT_EQ(as_text((*rows)[0][1]), std::string(migrations()[0].name));
  EXPECT_EQ(as_text((*rows)[0][2]), ROADSIDE_VERSION);
}

TEST_P(StoreTest, UpgradesAnOlderSchema) {
  {
    Store old_binary = store();
    ASSERT_TRUE(old_binary.migrate(migrations(), "0.0.9").ok());
  }
  Store new_binary = store();
  const auto newer = with(kNewerMigration);
  auto info = new_binary.migrate(newer, "0.2.0");
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->applied_now, std::vector<int>{kLatest + 1});
  EXPECT_EQ(info->version, kLatest + 1);
  auto ins = new_binary.with_connection([](Connection& c) {
    const Value p[] = {std::string("gear")};
    return c.query("INSERT INTO widgets (name) VALUES (?)", p);
  });
  EXPECT_TRUE(ins.ok()) << ins.error().to_string();
}

TEST_P(StoreTest, RefusesADatabaseNewerThanTheBinary) {
  {
    Store newer_binary = store();
    ASSERT_TRUE(newer_binary.migrate(with(kNewerMigration), "0.2.0").ok());
  }
  Store older_binary = store();
  auto info = older_binary.migrate(migrations(), "0.1.0");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().code(), errc::schema_too_new);
  const std::string& d = info.error().detail();
  EXPECT_NE(d.find("schema version " + std::to_string(kLatest + 1)), std::string::npos) << d;
  EXPECT_NE(d.find("written by Roadside 0.2.0"), std::string::npos) << d;
  EXPECT_NE(d.find("knows schema versions up to " + std::to_string(kLatest)), std::string::npos) << d;
  EXPECT_EQ(info.error().fault_code(), "database_error");
  EXPECT_EQ(*older_binary.schema_version(), kLatest + 1);  // untouched
}

TEST_P(StoreTest, AFailedMigrationChangesNothing) {
  Store s = store();
  ASSERT_TRUE(s.migrate().ok());
  auto info = s.migrate(with(kBrokenMigration), "0.2.0");
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.error().code(), errc::migration_failed);
  EXPECT_NE(
      info.error().detail().find("migration " + std::to_string(kLatest + 1) + " (broken) failed, nothing was changed"),
      std::string::npos)
      << info.error().detail();
  EXPECT_EQ(*s.schema_version(), kLatest);
  auto probe = s.with_connection([](Connection& c) { return c.query("SELECT COUNT(*) FROM half_done"); });
  EXPECT_FALSE(probe.ok());  // the first statement of the failed migration was rolled back too
  EXPECT_TRUE(s.put_setting("still", "works").ok());
}

TEST_P(StoreTest, ConcurrentStartsApplyEachMigrationOnce) {
  const auto newer = with(kNewerMigration);
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<Store>> nodes;
  for (int i = 0; i < kNodes; ++i) nodes.push_back(std::make_unique<Store>(open()));
  std::atomic<int> applied{0}, failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      auto info = nodes[static_cast<std::size_t>(i)]->migrate(newer, "0.2.0");
      if (!info.ok()) {
        ADD_FAILURE() << info.error().to_string();
        failures++;
        return;
      }
      applied += static_cast<int>(info->applied_now.size());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(applied.load(), kLatest + 1);
  auto rows = nodes[0]->with_connection([](Connection& c) { return c.query("SELECT COUNT(*) FROM roadside_schema"); });
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(as_int((*rows)[0][0]), kLatest + 1);
}

TEST_P(StoreTest, Settings) {
  Store s = store();
  ASSERT_TRUE(s.migrate().ok());
  EXPECT_EQ(*s.get_setting("missing"), std::nullopt);
  ASSERT_TRUE(s.put_setting("instance.id", "abc").ok());
  EXPECT_EQ(*s.get_setting("instance.id"), "abc");
  ASSERT_TRUE(s.put_setting("instance.id", "def").ok());  // upsert
  EXPECT_EQ(*s.get_setting("instance.id"), "def");
  const std::string unicode = "Tallinn — Helsinki ✓ 'quoted' \"double\" ?";
  ASSERT_TRUE(s.put_setting("text", unicode).ok());
  EXPECT_EQ(*s.get_setting("text"), unicode);
  EXPECT_EQ(*s.put_setting_if_absent("first", "one"), "one");
  EXPECT_EQ(*s.put_setting_if_absent("first", "two"), "one");  // the first writer wins
  ASSERT_TRUE(s.delete_setting("first").ok());
  EXPECT_EQ(*s.get_setting("first"), std::nullopt);
}

TEST_P(StoreTest, ValuesRoundTrip) {
  Store s = store();
  ASSERT_TRUE(s.migrate().ok());
  const std::string blob_bytes(
      "\0\x01\xff\x7f"
      "binary\0data",
      15);
  auto rows = s.with_connection([&](Connection& c) -> Result<std::vector<Row>> {
    const char* ddl = c.dialect() == Dialect::sqlite
                          ? "CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)"
                          : "CREATE TABLE t (i BIGINT, d DOUBLE PRECISION, s TEXT, b BYTEA, n TEXT)";
    ROADSIDE_TRY_STATUS(c.execute_script(ddl));
    const Value p[] = {std::int64_t{-9223372036854775807LL}, 2.5, std::string("it's ? here"), Blob{blob_bytes},
                       nullptr};
    ROADSIDE_TRY_STATUS(c.query("INSERT INTO t (i, d, s, b, n) VALUES (?, ?, ?, ?, ?)", p));
    return c.query("SELECT i, d, s, b, n FROM t WHERE s = 'it''s ? here'");
  });
  ASSERT_TRUE(rows.ok()) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 1u);
  const Row& r = (*rows)[0];
  EXPECT_EQ(std::get<std::int64_t>(r[0]), -9223372036854775807LL);
  EXPECT_DOUBLE_EQ(std::get<double>(r[1]), 2.5);
  EXPECT_EQ(std::get<std::string>(r[2]), "it's ? here");
  EXPECT_EQ(std::get<Blob>(r[3]).bytes, blob_bytes);
  EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(r[4]));
}

TEST_P(StoreTest, TransactionsRollBackOnError) {
  Store s = store();
  ASSERT_TRUE(s.migrate().ok());
  auto st = s.transaction([](Connection& c) -> Status {
    const Value p[] = {std::string("k"), std::string("v"), std::string("2026-01-01T00:00:00Z")};
    ROADSIDE_TRY_STATUS(c.query("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", p));
    return Error(make_error_code(errc::query_failed), "changed my mind");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(*s.get_setting("k"), std::nullopt);
  ASSERT_TRUE(s.transaction([](Connection& c) -> Status {
                 const Value p[] = {std::string("k"), std::string("v"), std::string("2026-01-01T00:00:00Z")};
                 ROADSIDE_TRY_STATUS(c.query("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", p));
                 return {};
               }).ok());
  EXPECT_EQ(*s.get_setting("k"), "v");
}

TEST_P(StoreTest, ConstraintViolationsAndBadSqlAreErrors) {
  Store s = store();
  ASSERT_TRUE(s.migrate().ok());
  auto dup = s.with_connection([](Connection& c) -> Result<std::vector<Row>> {
    const Value p[] = {std::string("k"), std::string("v"), std::string("2026-01-01T00:00:00Z")};
    ROADSIDE_TRY_STATUS(c.query("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", p));
    return c.query("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)", p);
  });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), errc::constraint_violation);
  auto bad = s.with_connection([](Connection& c) { return c.query("SELEC nonsense"); });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), errc::query_failed);
  EXPECT_TRUE(s.ping().ok());
}

// A software-token key needs its sealed or imported form; a hardware token's key has neither
// (it stays on its device) but needs its public key.
TEST_P(StoreTest, TokenKeysHoldWhatTheirTokenNeeds) {
  Store s = store();
  ASSERT_TRUE(s.migrate().ok());
  auto insert = [&](const std::string& id, const std::string& token, Value public_key, Value wrapped) {
    const Value p[] = {id, token, id, std::move(public_key), std::move(wrapped), std::string("2026-12-06T00:00:00Z")};
    return s.with_connection([&](Connection& c) {
      return c.query(
          "INSERT INTO token_keys (key_id, token_id, friendly_name, public_key, key_wrapped, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          p);
    });
  };
  EXPECT_TRUE(insert("soft", "0", nullptr, Blob{"sealed"}).ok());
  EXPECT_TRUE(insert("hard", "736f6674", Blob{"spki"}, nullptr).ok());
  auto bare_soft = insert("bare-soft", "0", Blob{"spki"}, nullptr);
  ASSERT_FALSE(bare_soft.ok());
  EXPECT_EQ(bare_soft.error().code(), errc::constraint_violation);
  auto bare_hard = insert("bare-hard", "736f6674", nullptr, nullptr);
  ASSERT_FALSE(bare_hard.ok());
  EXPECT_EQ(bare_hard.error().code(), errc::constraint_violation);
}

TEST_P(StoreTest, RecoversWhenTheServerDropsTheConnection) {
  if (GetParam() != Dialect::postgresql) GTEST_SKIP() << "PostgreSQL only: SQLite has no server";
  Store s = store();
  ASSERT_TRUE(s.migrate().ok());
  ASSERT_TRUE(s.put_setting("k", "v").ok());
  auto admin = open_postgres(pg_options(pg_, "postgres"));
  ASSERT_TRUE(admin.ok());
  const Value db[] = {db_name_};
  ASSERT_TRUE((*admin)
                  ->query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND "
                          "pid <> pg_backend_pid()",
                          db)
                  .ok());
  auto broken = s.ping();  // the first statement meets the dead connection
  if (!broken.ok()) {
    EXPECT_EQ(broken.error().code(), errc::connection_failed) << broken.error().to_string();
  }
  EXPECT_TRUE(s.ping().ok());
  auto v = s.get_setting("k");
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(*v, "v");
}

// One node holds a lease at a time; when its session ends, the next node to ask takes it.
TEST_P(StoreTest, ALeaseIsHeldByOneNodeUntilItsSessionEnds) {
  auto a = std::make_unique<Lease>(open(), kOcspLeaseKey);
  Lease b(open(), kOcspLeaseKey);
  EXPECT_TRUE(a->hold());
  EXPECT_TRUE(a->hold());  // kept, not taken twice
  if (GetParam() == Dialect::sqlite) {
    EXPECT_TRUE(b.hold());  // one node: always its own
    return;
  }
  EXPECT_FALSE(b.hold());
  Lease other_job(open(), kOcspLeaseKey + 1);
  EXPECT_TRUE(other_job.hold());  // another key is another lease
  a.reset();                      // the holder dies: its session and lock go
  // The server ends the closed session's backend, and frees its lock, after the client has
  // hung up: the next node takes the lease at one of its next tries, within a bound.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!b.hold() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(b.held());
}

// A change committed on one connection wakes a listener on another; a rolled-back one does not.
TEST_P(StoreTest, ChangeNotificationsArriveOnCommitOnly) {
  if (GetParam() == Dialect::sqlite) GTEST_SKIP() << "SQLite serves one node: nothing to notify";
  auto listener = listen_postgres(pg_options(pg_, db_name_), std::string(kConfigChannel));
  ASSERT_TRUE(listener.ok()) << listener.error().to_string();
  auto writer = open();
  auto quiet = (*listener)->wait(std::chrono::milliseconds(100));
  ASSERT_TRUE(quiet.ok());
  EXPECT_FALSE(*quiet);

  ASSERT_TRUE(writer->begin().ok());
  ASSERT_TRUE(notify(*writer, kConfigChannel, "7").ok());
  auto before_commit = (*listener)->wait(std::chrono::milliseconds(200));
  ASSERT_TRUE(before_commit.ok());
  EXPECT_FALSE(*before_commit);
  ASSERT_TRUE(writer->commit().ok());
  const auto sent = std::chrono::steady_clock::now();
  auto after_commit = (*listener)->wait(std::chrono::seconds(5));
  ASSERT_TRUE(after_commit.ok());
  EXPECT_TRUE(*after_commit);
  EXPECT_LT(std::chrono::steady_clock::now() - sent, std::chrono::seconds(1));

  ASSERT_TRUE(writer->begin().ok());
  ASSERT_TRUE(notify(*writer, kConfigChannel, "8").ok());
  ASSERT_TRUE(writer->rollback().ok());
  auto after_rollback = (*listener)->wait(std::chrono::milliseconds(300));
  ASSERT_TRUE(after_rollback.ok());
  EXPECT_FALSE(*after_rollback);
}

INSTANTIATE_TEST_SUITE_P(Databases, StoreTest, ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         [](const auto& p) { return std::string(to_string(p.param)); });

// Issue 13, item 12 (keys at rest). Schema 5 keeps keys stored by schema 4 (PKCS#12) as they
// are, sealed ones beside them, and never a row with neither.
class KeysAtRest : public StoreTest {};

TEST_P(KeysAtRest, Schema5KeepsImportedKeysAndRefusesARowWithoutAKey) {
  {
    Store old = store();
    ASSERT_TRUE(old.migrate(migrations().first(4), "0.1.0").ok());
    const Value params[] = {std::string("AA01"), Blob{"cert"}, Blob{"p12-bytes"}, std::string("2026-01-01T00:00:00Z")};
    ASSERT_TRUE(
        old.with_connection([&](Connection& c) {
             return c.query(
                 "INSERT INTO token_keys (key_id, token_id, usage, member_id, friendly_name, certificate, key_pkcs12, "
                 "created_at) VALUES (?, '0', 'SIGNING', NULL, 'Sign key', ?, ?, ?)",
                 params);
           })
            .ok());
  }
  Store s = store();
  auto info = s.migrate(migrations().first(5), "0.1.0");
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  auto rows = s.with_connection(
      [](Connection& c) { return c.query("SELECT key_id, certificate, key_pkcs12, key_wrapped FROM token_keys"); });
  ASSERT_TRUE(rows.ok()) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(as_text((*rows)[0][1]), "cert");
  EXPECT_EQ(as_text((*rows)[0][2]), "p12-bytes");
  EXPECT_FALSE(as_text((*rows)[0][3]).has_value());

  // Sealing replaces the PKCS#12 form; clearing both is refused.
  auto sealed = s.with_connection([](Connection& c) {
    const Value params[] = {Blob{"roadside-key-v1..."}};
    return c.query("UPDATE token_keys SET key_wrapped = ?, key_pkcs12 = NULL WHERE key_id = 'AA01'", params);
  });
  ASSERT_TRUE(sealed.ok()) << sealed.error().to_string();
  auto neither = s.with_connection([](Connection& c) { return c.query("UPDATE token_keys SET key_wrapped = NULL"); });
  ASSERT_FALSE(neither.ok());
  EXPECT_EQ(neither.error().code(), errc::constraint_violation) << neither.error().to_string();
}

// Schema 7: a key's certificate moves to token_certificates (active, registered) with its member.
TEST_P(KeysAtRest, Schema7MovesEachKeysCertificateToItsOwnTable) {
  {
    Store old = store();
    ASSERT_TRUE(old.migrate(migrations().first(6), "0.1.0").ok());
    const Value params[] = {std::string("AA01"), Blob{"cert-der"}, Blob{"sealed"}, std::string("2026-01-01T00:00:00Z")};
    ASSERT_TRUE(
        old.with_connection([&](Connection& c) {
             return c.query(
                 "INSERT INTO token_keys (key_id, token_id, usage, member_id, friendly_name, certificate, key_wrapped, "
                 "created_at) VALUES (?, '0', 'SIGNING', 'MEMBER:DEV/COM/1234', 'Sign key', ?, ?, ?)",
                 params);
           })
            .ok());
  }
  Store s = store();
  ASSERT_TRUE(s.migrate().ok());
  auto certs = s.with_connection([](Connection& c) {
    return c.query("SELECT key_id, member_id, certificate, active, status FROM token_certificates");
  });
  ASSERT_TRUE(certs.ok()) << certs.error().to_string();
  ASSERT_EQ(certs->size(), 1u);
  EXPECT_EQ(as_text((*certs)[0][0]), "AA01");
  EXPECT_EQ(as_text((*certs)[0][1]), "MEMBER:DEV/COM/1234");
  EXPECT_EQ(as_text((*certs)[0][2]), "cert-der");
  EXPECT_EQ(as_int((*certs)[0][3]), 1);
  EXPECT_EQ(as_text((*certs)[0][4]), "REGISTERED");
  auto keys = s.with_connection(
      [](Connection& c) { return c.query("SELECT key_id, usage, key_wrapped, public_key FROM token_keys"); });
  ASSERT_TRUE(keys.ok()) << keys.error().to_string();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ(as_text((*keys)[0][1]), "SIGNING");
  EXPECT_EQ(as_text((*keys)[0][2]), "sealed");
  EXPECT_FALSE(as_text((*keys)[0][3]).has_value());
  // A generated key has no usage until its CSR.
  EXPECT_TRUE(s.with_connection([](Connection& c) {
                 return c.query(
                     "INSERT INTO token_keys (key_id, token_id, friendly_name, key_wrapped, created_at) "
                     "VALUES ('BB02', '0', 'new', 'x', '2026-01-01T00:00:00Z')");
               }).ok());
}

INSTANTIATE_TEST_SUITE_P(Databases, KeysAtRest, ::testing::Values(Dialect::sqlite, Dialect::postgresql),
                         [](const auto& p) { return std::string(to_string(p.param)); });

// PostgreSQL connections authenticate the server whenever a CA is configured.
TEST(KeysAtRest, SslModeAutoIsVerifyFullWithACaAndPreferWithout) {
  PostgresOptions o;
  o.host = "db.example.org";
  EXPECT_EQ(o.sslmode, "auto");
  EXPECT_EQ(effective_sslmode(o), "prefer");
  EXPECT_FALSE(verifies_server(o));
  o.sslrootcert = "/etc/roadside/db-ca.pem";
  EXPECT_EQ(effective_sslmode(o), "verify-full");
  EXPECT_TRUE(verifies_server(o));
  // An explicit mode is taken as it is.
  o.sslmode = "require";
  EXPECT_EQ(effective_sslmode(o), "require");
  EXPECT_FALSE(verifies_server(o));
  o.sslmode = "verify-ca";
  EXPECT_TRUE(verifies_server(o));
  o.sslmode = "disable";
  EXPECT_FALSE(verifies_server(o));
  // libpq uses no TLS on a unix socket; the kernel knows the server.
  o.host = "/var/run/postgresql";
  EXPECT_TRUE(verifies_server(o));
  // No host: libpq takes PGHOST, a network host as often as not.
  o.host.clear();
  o.sslmode = "prefer";
  const char* was = std::getenv("PGHOST");
  const std::optional<std::string> saved = was ? std::optional<std::string>(was) : std::nullopt;
  ::setenv("PGHOST", "db.example.org", 1);
  EXPECT_FALSE(verifies_server(o));
  ::unsetenv("PGHOST");
  EXPECT_TRUE(verifies_server(o));
  if (saved) ::setenv("PGHOST", saved->c_str(), 1);
}

TEST(StoreOpen, SqliteErrorsNameThePath) {
  auto c = open_sqlite({"/nonexistent-dir/roadside.db"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), errc::connection_failed);
  EXPECT_NE(c.error().detail().find("/nonexistent-dir/roadside.db"), std::string::npos) << c.error().detail();
}

TEST(StoreOpen, SqliteFileIsPrivate) {
  TempDir dir;
  auto c = open_sqlite({dir / "r.db"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(std::filesystem::status(dir / "r.db").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// Statements are prepared once and kept (a bounded cache): more distinct statements than it
// holds still answer right, a statement kept after an error runs again, and one that has run
// leaves no read transaction open, else the WAL could never be checkpointed.
TEST(StoreOpen, SqliteKeptStatementsAnswerRightAndHoldNoSnapshot) {
  TempDir dir;
  auto a = open_sqlite({dir / "r.db"});
  auto b = open_sqlite({dir / "r.db"});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->execute_script("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT NOT NULL);").ok());
  for (int round = 0; round < 2; ++round) {
    for (std::int64_t n = 0; n < 100; ++n) {
      const Value p[] = {n * 1000 + round, "v" + std::to_string(n)};
      // A distinct text per n: 100 statements, more than the cache keeps.
      auto r = (*a)->query("INSERT INTO t (n, v) VALUES (?, ?) RETURNING n + " + std::to_string(n), p);
      ASSERT_TRUE(r.ok()) << r.error().to_string();
      EXPECT_EQ(as_int((*r)[0][0]), n * 1000 + round + n);
    }
  }
  const Value dup[] = {std::int64_t{0}, std::string("again")};
  auto refused = (*a)->query("INSERT INTO t (n, v) VALUES (?, ?) RETURNING n + 0", dup);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), errc::constraint_violation);
  const Value fresh[] = {std::int64_t{7}, std::string("fresh")};
  EXPECT_TRUE((*a)->query("INSERT INTO t (n, v) VALUES (?, ?) RETURNING n + 0", fresh).ok());
  auto count = (*a)->query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(as_int((*count)[0][0]), 201);
  // b writes; a full checkpoint can then reset the WAL only if `a` holds no snapshot.
  ASSERT_TRUE((*b)->execute_script("INSERT INTO t (n, v) VALUES (999999, 'b');").ok());
  auto ckpt = (*b)->query("PRAGMA wal_checkpoint(TRUNCATE)");
  ASSERT_TRUE(ckpt.ok()) << ckpt.error().to_string();
  EXPECT_EQ(as_int((*ckpt)[0][0]), 0) << "the checkpoint was blocked";
}

// A transaction that reads and then writes (serverconf::apply, the admin API) commits although
// another connection wrote in between: it holds the write lock from its start, so the other
// waits instead of making its first write fail with "database is locked".
TEST(StoreOpen, SqliteTransactionsThatReadFirstStillCommit) {
  TempDir dir;
  auto a = open_sqlite({dir / "r.db"});
  auto b = open_sqlite({dir / "r.db", std::chrono::milliseconds(50)});
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->execute_script("CREATE TABLE t (n INTEGER PRIMARY KEY);").ok());
  ASSERT_TRUE((*a)->begin().ok());
  ASSERT_TRUE((*a)->query("SELECT COUNT(*) FROM t").ok());
  auto other = (*b)->query("INSERT INTO t (n) VALUES (1)");
  ASSERT_FALSE(other.ok()) << "the other writer waits, then gives up";
  EXPECT_EQ(other.error().code(), errc::busy);
  auto mine = (*a)->query("INSERT INTO t (n) VALUES (2)");
  ASSERT_TRUE(mine.ok()) << mine.error().to_string();
  ASSERT_TRUE((*a)->commit().ok());
  EXPECT_TRUE((*b)->query("INSERT INTO t (n) VALUES (1)").ok());
}

TEST(StoreOpen, PostgresErrorsNameTheServerButNotThePassword) {
  PostgresOptions o;
  o.host = "127.0.0.1";
  o.port = roadside::testing::free_port();
  o.user = "roadside";
  o.password = "very-secret-password";
  o.database = "roadside";
  o.connect_timeout_s = 2;
  auto c = open_postgres(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), errc::connection_failed);
  EXPECT_NE(c.error().detail().find("127.0.0.1:" + std::to_string(o.port)), std::string::npos) << c.error().detail();
  EXPECT_EQ(c.error().detail().find("very-secret-password"), std::string::npos);
}

}  // namespace
}  // namespace roadside::storage
