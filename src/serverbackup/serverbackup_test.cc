// Roadside's backups: the configuration and keys dumped and restored row for row (from an older
// schema too), the archive refusing every single changed byte, the signer vouched for by global
// configuration, the own token or a named hash and by nothing else, another server's backup
// refused unless forced, names and the pruning of automatic backups.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backup/tar.h"
#include "base/clock.h"
#include "crypto/encoding.h"
#include "serverbackup/backups.h"
#include "signer/token.h"
#include "support/openssl_tools.h"
#include "support/test_databases.h"
#include "support/test_support.h"

namespace roadside::serverbackup {
namespace {

namespace fs = std::filesystem;
using roadside::testing::TempDir;

std::unique_ptr<storage::Store> sqlite_store(const fs::path& file,
                                             std::span<const storage::Migration> known = storage::migrations()) {
  auto conn = storage::open_sqlite({file});
  EXPECT_TRUE(conn.ok()) << conn.error().to_string();
  auto store = std::make_unique<storage::Store>(std::move(conn).value());
  auto migrated = store->migrate(known);
  EXPECT_TRUE(migrated.ok()) << migrated.error().to_string();
  return store;
}

struct Identity {
  crypto::PrivateKey key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::Certificate cert =
      *crypto::issue_certificate({.common_name = "ss0", .usage = crypto::Usage::tls_client}, key, nullptr, key);
  XRoadId server = *XRoadId::server("DEV", "COM", "1234", "SS0");
  Signer signer() const { return {server, "instance-1", key, cert}; }
};

// A server's database with a token PIN, two keys and settings.
void fill(storage::Store& store) {
  ASSERT_TRUE(store.put_setting("instance.id", "instance-1").ok());
  ASSERT_TRUE(store.put_setting("internal_tls.pem", "(the internal TLS key and certificate)").ok());
  signer::SoftToken token(store);
  ASSERT_TRUE(token.initialize("a-token-pin-1234").ok());
  ASSERT_TRUE(token.generate_key("sign", crypto::KeyType::ec_p256).ok());
  ASSERT_TRUE(token.generate_key("auth", crypto::KeyType::ec_p256).ok());
}

DatabaseDump dump_of(storage::Store& store) {
  auto d = store.with_connection([](storage::Connection& c) { return dump(c); });
  EXPECT_TRUE(d.ok()) << d.error().to_string();
  return *d;
}

TEST(DatabaseDump, RoundTripsThroughItsTextAndIntoAnotherDatabase) {
  TempDir dir;
  auto a = sqlite_store(dir / "a.db");
  fill(*a);
  const DatabaseDump d = dump_of(*a);
  EXPECT_EQ(d.schema_version, static_cast<int>(storage::migrations().size()));
  EXPECT_GE(d.row_count(), 5u);
  const std::string text = to_jsonl(d);
  EXPECT_EQ(text.find("messagelog"), std::string::npos);
  auto back = from_jsonl(text);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(to_jsonl(*back), text);

  auto b = sqlite_store(dir / "b.db");
  EXPECT_EQ(dump_of(*b).row_count(), 0u);
  ASSERT_TRUE(b->transaction([&](storage::Connection& c) { return replace_rows(c, *back); }).ok());
  EXPECT_EQ(to_jsonl(dump_of(*b)), text);
  // The restored token opens with its PIN: the keys came along sealed.
  signer::SoftToken token(*b);
  EXPECT_TRUE(token.login("a-token-pin-1234").ok());
  EXPECT_FALSE(token.login("another-pin-5678").ok());
}

TEST(DatabaseDump, AnOlderSchemaIsBroughtUpToDate) {
  TempDir dir;
  auto old = sqlite_store(dir / "old.db", storage::migrations().first(4));
  ASSERT_TRUE(old->put_setting("instance.id", "instance-old").ok());
  const DatabaseDump d = dump_of(*old);
  EXPECT_EQ(d.schema_version, 4);
  auto upgraded = upgrade(d);
  ASSERT_TRUE(upgraded.ok()) << upgraded.error().to_string();
  EXPECT_EQ(upgraded->schema_version, static_cast<int>(storage::migrations().size()));
  bool token_certificates = false;
  for (const auto& t : upgraded->tables) token_certificates = token_certificates || t.name == "token_certificates";
  EXPECT_TRUE(token_certificates);
  EXPECT_EQ(upgraded->tables.front().rows.size(), 1u);

  DatabaseDump newer = d;
  newer.schema_version = 999;
  auto refused = upgrade(newer);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), storage::errc::schema_too_new);
}

TEST(DatabaseDump, TextNotWrittenByItIsRefused) {
  const std::string head = R"({"dialect":"sqlite","format":"roadside-database","schema":11})"
                           "\n";
  for (const std::string& bad : {
           std::string("not json\n"),
           std::string(R"({"dialect":"sqlite","format":1,"schema":11})"
                       "\n"),  // (json::value() would throw)
           head + R"({"columns":["k"],"rows":0,"table":"messagelog_records"})"
                  "\n",
           head +
               R"({"columns":["key"],"rows":0,"table":"token_keys"})"
               "\n" +
               R"({"columns":["key"],"rows":0,"table":"settings"})"
               "\n",
           head + R"({"columns":["key; DROP TABLE x"],"rows":0,"table":"settings"})"
                  "\n",
           head +
               R"({"columns":["key","value"],"rows":1,"table":"settings"})"
               "\n" +
               R"(["only one"])"
               "\n",
           head +
               R"({"columns":["key"],"rows":1,"table":"settings"})"
               "\n" +
               R"([{"hex":"00"}])"
               "\n",
           head +
               R"({"columns":["key"],"rows":2,"table":"settings"})"
               "\n" +
               R"(["a"])"
               "\n",
           head.substr(0, head.size() - 1),
       }) {
    auto d = from_jsonl(bad);
    EXPECT_FALSE(d.ok()) << bad;
    if (!d.ok()) {
      EXPECT_EQ(d.error().code(), std::make_error_code(std::errc::invalid_argument));
    }
  }
  auto many = from_jsonl(head + R"({"columns":["key"],"rows":5,"table":"settings"})"
                                "\n",
                         {.max_rows = 4});
  ASSERT_FALSE(many.ok());
  EXPECT_NE(many.error().detail().find("more than 4 rows"), std::string::npos);
}

TEST(Archive, EveryChangedByteIsFound) {
  TempDir dir;
  auto store = sqlite_store(dir / "a.db");
  fill(*store);
  Identity id;
  Manifest m{id.server, "instance-1", "2026-12-06T10:00:00.000Z", "0.1.0", 11, storage::Dialect::sqlite, {}, 0, {}};
  auto bytes = write_backup(m, to_jsonl(dump_of(*store)), id.key, id.cert);
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  auto opened = read_backup(*bytes);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  // (The backup_file fuzz target's seeds: ROADSIDE_WRITE_BACKUP_SEEDS=tests/fuzz/corpus/backup_file.)
  if (const char* seeds = std::getenv("ROADSIDE_WRITE_BACKUP_SEEDS")) {
    roadside::testing::write_file(fs::path(seeds) / "backup", *bytes);
    roadside::testing::write_file(fs::path(seeds) / "database-jsonl", opened->database);
  }
  EXPECT_EQ(opened->manifest.server, id.server);
  EXPECT_EQ(opened->signer.sha256_hex(), id.cert.sha256_hex());
  for (std::size_t at = 0; at < bytes->size(); ++at) {
    std::string changed = *bytes;
    changed[at] = static_cast<char>(changed[at] ^ 0x01);
    auto r = read_backup(changed);
    ASSERT_FALSE(r.ok()) << "byte " << at << " of " << bytes->size()
                         << " changed and the backup still read: " << bytes->substr(at > 40 ? at - 40 : 0, 80);
    ASSERT_EQ(r.error().code(), errc::malformed) << at;
  }
  EXPECT_FALSE(read_backup(*bytes + std::string(512, '\0')).ok());
  // A manifest whose fields have other types is refused, not thrown at.
  for (const char* manifest : {R"({"format": 5, "version": 1})", R"({"format": "roadside-backup", "version": "1"})",
                               R"({"format": "roadside-backup", "version": 1, "server": 7})", "[]"}) {
    std::ostringstream tar;
    backup::TarWriter w(tar);
    ASSERT_TRUE(w.label(backup_label(id.server), 0).ok());
    for (const char* name : {"manifest.json", "database.jsonl", "signature.json"})
      ASSERT_TRUE(w.file(name, std::string_view(name) == "manifest.json" ? manifest : "{}", 0600, 0).ok());
    ASSERT_TRUE(w.finish().ok());
    auto r = read_backup(tar.str());
    ASSERT_FALSE(r.ok()) << manifest;
    EXPECT_EQ(r.error().code(), errc::malformed) << manifest;
  }
  EXPECT_FALSE(read_backup(bytes->substr(0, bytes->size() - 1)).ok());
}

// A server id with characters a URL would encode, or longer than a tar label holds, is backed up
// and read back; the label has the id's parts as they are, as X-Road's labels do.
TEST(Archive, ServersOfAnyIdAreBackedUpAndReadBack) {
  TempDir dir;
  auto store = sqlite_store(dir / "a.db");
  fill(*store);
  const Identity id;
  const std::string database = to_jsonl(dump_of(*store));
  const XRoadId odd = *XRoadId::server("DEV", "COM", "12(34)+x,y=z", "SS'0?");
  const XRoadId lengthy = *XRoadId::server("DEV", "COM", std::string(120, 'm'), "SS0");
  EXPECT_EQ(backup_label(odd), "roadside_backup_1_DEV/COM/12(34)+x,y=z/SS'0?");
  EXPECT_EQ(backup_label(lengthy).size(), backup::kMaxLabelBytes);
  for (const XRoadId& server : {odd, lengthy}) {
    Manifest m{server, "instance-1", "2026-12-06T10:00:00.000Z", "0.1.0", 11, storage::Dialect::sqlite, {}, 0, {}};
    auto bytes = write_backup(m, database, id.key, id.cert);
    ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
    auto opened = read_backup(*bytes);
    ASSERT_TRUE(opened.ok()) << server.to_string() << ": " << opened.error().to_string();
    EXPECT_EQ(opened->manifest.server, server);
  }
}

class Backups : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = sqlite_store(dir_ / "server.db");
    fill(*store_);
    options_.dir = dir_ / "backups";
    auto made = create_backup(*store_, id_.signer(), options_, "conf_backup_20261206-100000.tar");
    ASSERT_TRUE(made.ok()) << made.error().to_string();
    file_ = *made;
  }
  TempDir dir_;
  Identity id_;
  std::unique_ptr<storage::Store> store_;
  BackupOptions options_;
  fs::path file_;
};

TEST_F(Backups, TheSignerMustBeVouchedFor) {
  auto nobody = verify_backup(file_, {}, {});
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(nobody.error().code(), errc::untrusted_signer);
  EXPECT_NE(nobody.error().detail().find(id_.cert.sha256_hex()), std::string::npos) << nobody.error().detail();

  auto shared = std::make_shared<globalconf::SharedParameters>();
  shared->security_servers.push_back({id_.server, "127.0.0.1", {crypto::sha256(id_.cert.to_der())}, {}});
  auto listed = verify_backup(file_, {shared, {}, ""}, {});
  ASSERT_TRUE(listed.ok()) << listed.error().to_string();
  EXPECT_NE(listed->vouched_by.find("global configuration lists"), std::string::npos);
  // Listed for another server, it vouches for nothing.
  shared->security_servers[0].id = *XRoadId::server("DEV", "COM", "1234", "SS9");
  EXPECT_FALSE(verify_backup(file_, {shared, {}, ""}, {}).ok());

  EXPECT_TRUE(verify_backup(file_, {nullptr, {id_.cert}, ""}, {}).ok());
  std::string lower = id_.cert.sha256_hex();
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_TRUE(verify_backup(file_, {nullptr, {}, lower}, {}).ok());
}

TEST_F(Backups, RestoreReplacesAndRefusesAnotherServersWithoutForce) {
  auto verified = verify_backup(file_, {nullptr, {id_.cert}, ""}, {});
  ASSERT_TRUE(verified.ok()) << verified.error().to_string();
  const std::string before = to_jsonl(dump_of(*store_));

  // Into an empty database.
  auto fresh = sqlite_store(dir_ / "fresh.db");
  auto restored = restore_backup(*fresh, *verified, {});
  ASSERT_TRUE(restored.ok()) << restored.error().to_string();
  EXPECT_EQ(to_jsonl(dump_of(*fresh)), before);

  // Over a changed one of the same server: back as it was.
  ASSERT_TRUE(store_->put_setting("internal_tls.pem", "changed").ok());
  ASSERT_TRUE(restore_backup(*store_, *verified, {id_.server, false}).ok());
  EXPECT_EQ(to_jsonl(dump_of(*store_)), before);

  // Another server's database.
  const XRoadId other = *XRoadId::server("DEV", "COM", "5678", "SS1");
  ASSERT_TRUE(store_->put_setting("internal_tls.pem", "the other server's").ok());
  auto refused = restore_backup(*store_, *verified, {other, false});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), errc::other_server);
  EXPECT_EQ(refused.error().fault_code(), "backup_of_other_server");
  EXPECT_EQ(*store_->get_setting("internal_tls.pem"), "the other server's");  // nothing changed
  EXPECT_TRUE(restore_backup(*store_, *verified, {other, true}).ok());
  EXPECT_EQ(to_jsonl(dump_of(*store_)), before);
}

// With backup.encrypt_to, a backup is a gpg message for those keys: it verifies with a keyring
// that holds a secret key for it, not without one, and a changed byte in it is refused.
TEST_F(Backups, EncryptedForAGpgKey) {
  const fs::path home = dir_ / "gpghome";
  fs::create_directories(home);
  fs::permissions(home, fs::perms::owner_all);
  std::string out;
  ASSERT_EQ(roadside::testing::run_command("gpg --batch --homedir " + home.string() +
                                               " --passphrase '' --quick-gen-key 'Backups <backups@example.org>' "
                                               "future-default default never 2>&1",
                                           &out),
            0)
      << out;
  BackupOptions encrypted = options_;
  encrypted.encrypt_to = {"backups@example.org"};
  encrypted.gpg.home = home;
  auto made = create_backup(*store_, id_.signer(), encrypted, "conf_backup_20261206-110000.tar.gpg");
  ASSERT_TRUE(made.ok()) << made.error().to_string();
  EXPECT_NE(roadside::testing::read_file(*made).substr(0, 512).find("roadside_backup_1"), 0u);
  auto opened = verify_backup(*made, {nullptr, {id_.cert}, ""}, encrypted.gpg);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  EXPECT_EQ(opened->backup.manifest.server, id_.server);
  auto no_keyring = verify_backup(*made, {nullptr, {id_.cert}, ""}, {});
  ASSERT_FALSE(no_keyring.ok());
  EXPECT_EQ(no_keyring.error().code(), errc::not_restorable);
  std::string bytes = roadside::testing::read_file(*made);
  bytes[bytes.size() / 2] ^= 1;
  roadside::testing::write_file(dir_ / "changed.tar.gpg", bytes);
  auto changed = verify_backup(dir_ / "changed.tar.gpg", {nullptr, {id_.cert}, ""}, encrypted.gpg);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().code(), errc::malformed);  // the file's fault, not the server's
  // An unknown recipient fails the backup, and no file is left.
  encrypted.encrypt_to = {"nobody@example.org"};
  EXPECT_FALSE(create_backup(*store_, id_.signer(), encrypted, "conf_backup_20261206-120000.tar.gpg").ok());
  EXPECT_FALSE(fs::exists(options_.dir / "conf_backup_20261206-120000.tar.gpg"));
}

TEST_F(Backups, NamesListingAndPruning) {
  const auto at = *parse_rfc3339("2026-12-06T03:15:00Z");
  EXPECT_EQ(backup_name(BackupKind::manual, at, false), "conf_backup_20261206-031500.tar");
  EXPECT_EQ(backup_name(BackupKind::automatic, at, true), "ss-automatic-backup-2026_12_06_031500.tar.gpg");
  for (const char* bad : {"../x.tar", ".x.tar", "x.zip", "a/b.tar", "", "x..tar", "x.tar ", "x.gpg"})
    EXPECT_FALSE(valid_backup_name(bad)) << bad;
  EXPECT_TRUE(valid_backup_name("conf_backup_20261206-031500.tar"));
  // The name decides whether it is encrypted; an existing one is not overwritten.
  EXPECT_FALSE(create_backup(*store_, id_.signer(), options_, "x.tar.gpg").ok());
  EXPECT_FALSE(create_backup(*store_, id_.signer(), options_, "conf_backup_20261206-100000.tar").ok());
  EXPECT_EQ(fs::status(options_.dir).permissions() & fs::perms::all, fs::perms::owner_all);

  const auto now = std::chrono::system_clock::now();
  for (int days : {1, 29, 31, 40}) {
    const std::string name = backup_name(BackupKind::automatic, now - std::chrono::hours(24 * days), false);
    std::ofstream(options_.dir / name) << "x";
    fs::last_write_time(options_.dir / name, std::chrono::file_clock::from_sys(now - std::chrono::hours(24 * days)));
  }
  std::ofstream(options_.dir / "notes.txt") << "not a backup";
  auto listed = list_backups(options_.dir);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 5u);
  EXPECT_EQ(listed->front().name, "conf_backup_20261206-100000.tar");  // the newest
  auto removed = prune_automatic(options_.dir, std::chrono::hours(24 * 30), now);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2);
  EXPECT_EQ(list_backups(options_.dir)->size(), 3u);  // the manual one and those of 1 and 29 days
  EXPECT_TRUE(fs::exists(options_.dir / "notes.txt"));
}

// The rows of a dump, each as {column: value}: the same data whatever the columns' order.
std::string normalized(const DatabaseDump& d) {
  nlohmann::json out = nlohmann::json::object();
  const std::string text = to_jsonl(d);
  auto back = from_jsonl(text);
  EXPECT_TRUE(back.ok());
  for (const auto& t : back->tables) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& row : t.rows) {
      nlohmann::json o = nlohmann::json::object();
      for (std::size_t i = 0; i < row.size(); ++i) {
        const auto* s = std::get_if<std::string>(&row[i]);
        // (Timestamps: PostgreSQL gives its own text form of what SQLite keeps as written.)
        o[t.columns[i]] = t.columns[i].ends_with("_at") ? nlohmann::json("time")
                          : s                           ? nlohmann::json(*s)
                          : std::holds_alternative<storage::Blob>(row[i])
                              ? nlohmann::json(crypto::base64_encode(std::get<storage::Blob>(row[i]).bytes))
                          : std::holds_alternative<std::int64_t>(row[i])
                              ? nlohmann::json(std::get<std::int64_t>(row[i]))
                              : nlohmann::json();
      }
      rows.push_back(o);
    }
    out[t.name] = rows;
  }
  return out.dump();
}

OpenedBackup backup_of(const DatabaseDump& d, const Identity& id) {
  Manifest m{id.server, "instance-1", "2026-12-06T10:00:00.000Z", "0.1.0", d.schema_version, d.dialect, {}, 0, {}};
  return OpenedBackup{m, id.cert, to_jsonl(d)};
}

// A backup of either database restores into an empty one of the same kind, and a SQLite one into
// PostgreSQL (where the migrations left token_keys' columns in another order, and the id
// sequences must go on after the restored ids).
class RestoreInto : public roadside::testing::BothDatabases {
 protected:
  std::unique_ptr<storage::Store> second_postgres() {
    const std::string name = db_name_ + "_target";
    auto admin = storage::open_postgres(roadside::testing::pg_options(pg_, "postgres"));
    EXPECT_TRUE(admin.ok());
    EXPECT_TRUE((*admin)->execute_script("CREATE DATABASE " + name).ok());
    target_db_ = name;
    auto store = std::make_unique<storage::Store>(*storage::open_postgres(roadside::testing::pg_options(pg_, name)));
    EXPECT_TRUE(store->migrate().ok());
    return store;
  }
  void TearDown() override {
    if (!target_db_.empty()) {
      auto admin = storage::open_postgres(roadside::testing::pg_options(pg_, "postgres"));
      if (admin.ok()) (void)(*admin)->execute_script("DROP DATABASE IF EXISTS " + target_db_ + " WITH (FORCE)");
    }
    BothDatabases::TearDown();
  }
  std::string target_db_;
};

TEST_P(RestoreInto, AnEmptyDatabase) {
  storage::Store source(open_migrated());
  fill(source);
  const DatabaseDump d = dump_of(source);
  Identity id;
  const VerifiedBackup v{backup_of(d, id), "test"};
  std::unique_ptr<storage::Store> target =
      GetParam() == storage::Dialect::sqlite ? sqlite_store(dir_ / "target.db") : second_postgres();
  auto restored = restore_backup(*target, v, {});
  ASSERT_TRUE(restored.ok()) << restored.error().to_string();
  EXPECT_EQ(normalized(dump_of(*target)), normalized(d));
  signer::SoftToken token(*target);
  EXPECT_TRUE(token.login("a-token-pin-1234").ok());
  if (GetParam() == storage::Dialect::postgresql) {
    // New ids come after the restored ones.
    auto next = target->with_connection([](storage::Connection& c) {
      return c.query(
          "SELECT CASE WHEN nextval(pg_get_serial_sequence('token_certificates', 'cert_id')) > "
          "COALESCE((SELECT MAX(cert_id) FROM token_certificates), 0) THEN 1 ELSE 0 END");
    });
    ASSERT_TRUE(next.ok()) << next.error().to_string();
    EXPECT_EQ(storage::as_int(next->at(0).at(0)), 1);
  }
}

TEST_P(RestoreInto, PostgresFromSqlite) {
  if (GetParam() != storage::Dialect::postgresql) GTEST_SKIP() << "the target is PostgreSQL";
  auto source = sqlite_store(dir_ / "source.db");
  fill(*source);
  const DatabaseDump d = dump_of(*source);
  Identity id;
  auto target = second_postgres();
  auto restored = restore_backup(*target, VerifiedBackup{backup_of(d, id), "test"}, {});
  ASSERT_TRUE(restored.ok()) << restored.error().to_string();
  EXPECT_EQ(normalized(dump_of(*target)), normalized(d));
  // The other way is refused by name.
  storage::Store pg(open_migrated());
  auto refused = restore_backup(*source, VerifiedBackup{backup_of(dump_of(pg), id), "test"}, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), errc::not_restorable);
}

INSTANTIATE_TEST_SUITE_P(Databases, RestoreInto,
                         ::testing::Values(storage::Dialect::sqlite, storage::Dialect::postgresql),
                         roadside::testing::dialect_name);

}  // namespace
}  // namespace roadside::serverbackup
