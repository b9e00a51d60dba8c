// A Java Security Server's backup read as Roadside takes it over: the database dump made by the
// real pg_dump (of X-Road's serverconf schema, tests/fixtures/xroad-serverconf-*.sql, on the test
// suite's PostgreSQL server) becomes the server configuration row by row; a backup archive of
// X-Road's test software token, anchor and internal TLS key becomes a takeover whose parts
// agree, and archives whose parts disagree or are missing are refused naming why.
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "backup/tar.h"
#include "crypto/pkcs12.h"
#include "support/openssl_tools.h"
#include "support/test_support.h"
#include "xroadimport/serverconf_dump.h"
#include "xroadimport/takeover.h"

namespace roadside::xroadimport {
namespace {

namespace fs = std::filesystem;
using roadside::testing::read_file;
using roadside::testing::TempDir;

std::string hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// The information system's certificate the rows give client DEV/COM/4321.
crypto::Certificate is_certificate() {
  static const crypto::Certificate cert = [] {
    auto key = crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
    return *crypto::issue_certificate({.common_name = "information system"}, *key, nullptr, *key);
  }();
  return cert;
}

// dbdump.dat as X-Road's backup_db.sh makes it, of the fixture's rows; skipped without the
// test suite's PostgreSQL server.
std::optional<std::string> xroad_dump(const TempDir& dir, const std::string& pg_dump_flags = "") {
  const char* info = std::getenv("ROADSIDE_TEST_PG_INFO");
  if (!info || !fs::exists(info)) return std::nullopt;
  const fs::path fixtures = roadside::testing::source_dir() / "tests" / "fixtures";
  const fs::path out = dir.path() / "dbdump.dat";
  std::string log;
  const int rc = roadside::testing::run_command(
      "PG_DUMP_FLAGS='" + pg_dump_flags + "' " + (fixtures / "make-xroad-dump.sh").string() + " " + info + " " +
          out.string() + " echo_url=http://127.0.0.1:9/echo soap_url=http://127.0.0.1:9/soap " +
          "'wsdl_url=http://127.0.0.1:9/soap?wsdl' tsa_url=http://127.0.0.1:9/tsa is_cert=" +
          hex(is_certificate().to_der()) + " 2>&1",
      &log);
  EXPECT_EQ(rc, 0) << log;
  if (rc != 0) return std::nullopt;
  return read_file(out);
}

// NOLINTBEGIN(bugprone-macro-parentheses): `var` names the variable declared
#define NEED_DUMP(var, dir, flags)                                                     \
  auto var##_opt = xroad_dump(dir, flags);                                             \
  if (!var##_opt) {                                                                    \
    if (std::getenv("ROADSIDE_TEST_PG_INFO")) FAIL() << "the dump could not be made";  \
    GTEST_SKIP() << "no PostgreSQL test server (run through ctest, which starts one)"; \
  }                                                                                    \
  const std::string& var = *var##_opt
// NOLINTEND(bugprone-macro-parentheses)

XRoadId id(std::string_view text) {
  return *XRoadId::parse(text);
}

TEST(ServerconfDump, AJavaServersDatabaseBecomesItsConfiguration) {
  for (const char* flags : {"", "-Z 0"}) {
    SCOPED_TRACE(flags);
    TempDir dir;
    NEED_DUMP(bytes, dir, flags);
    auto dump = backup::read_pg_dump(bytes);
    ASSERT_TRUE(dump.ok()) << dump.error().to_string();
    EXPECT_EQ(dump->version_major, 1);
    Report report;
    auto conf = server_conf_from_dump(*dump, report);
    ASSERT_TRUE(conf.ok()) << conf.error().to_string();
    EXPECT_EQ(conf->server_id(), id("SERVER:DEV/COM/1234/SS0"));
    ASSERT_EQ(conf->clients.size(), 5u);
    const auto* member = conf->client(id("MEMBER:DEV/COM/4321"));
    ASSERT_NE(member, nullptr);
    EXPECT_EQ(member->is_auth, serverconf::IsAuth::sslauth);
    ASSERT_EQ(member->is_certs.size(), 1u);
    EXPECT_EQ(member->is_certs[0].sha256_hex(), is_certificate().sha256_hex());
    EXPECT_EQ(conf->client(id("SUBSYSTEM:DEV/COM/4321/TestClient"))->is_auth, serverconf::IsAuth::noauth);  // NULL
    const auto* quiet = conf->client(id("SUBSYSTEM:DEV/COM/4321/Quiet"));
    EXPECT_EQ(quiet->is_auth, serverconf::IsAuth::sslnoauth);
    EXPECT_EQ(quiet->status, serverconf::ClientStatus::disabled);

    ASSERT_EQ(conf->descriptions.size(), 2u);
    const auto* rest = conf->description(20);
    ASSERT_NE(rest, nullptr);
    EXPECT_EQ(rest->type, serverconf::DescriptionType::rest);
    EXPECT_EQ(rest->refreshed_at, "2026-11-30T08:15:42.123Z");
    const auto* wsdl = conf->description(30);
    EXPECT_TRUE(wsdl->disabled);
    EXPECT_EQ(wsdl->disabled_notice, "Back on Monday");

    const auto* echo = conf->service(id("SERVICE:DEV/COM/1234/TestService/echo"));
    ASSERT_NE(echo, nullptr);
    EXPECT_EQ(echo->type, serverconf::ServiceType::rest);
    EXPECT_EQ(echo->url, "http://127.0.0.1:9/echo");
    EXPECT_EQ(echo->timeout, std::chrono::seconds(60));
    EXPECT_TRUE(echo->tls_authentication);  // NULL is true
    ASSERT_EQ(echo->endpoints.size(), 2u);
    EXPECT_TRUE(echo->endpoints[0].is_base());
    EXPECT_TRUE(echo->endpoints[0].generated);
    EXPECT_EQ(echo->endpoints[1].method, "GET");
    EXPECT_EQ(echo->endpoints[1].path, "/in/**");
    const auto* random = conf->service(id("SERVICE:DEV/COM/1234/TestService/getRandom/v1"));
    ASSERT_NE(random, nullptr);
    EXPECT_EQ(random->type, serverconf::ServiceType::wsdl);
    EXPECT_EQ(random->wsdl_url, "http://127.0.0.1:9/soap?wsdl");
    EXPECT_FALSE(random->tls_authentication);
    EXPECT_TRUE(random->disabled);
    EXPECT_EQ(random->timeout, std::chrono::seconds(3600));  // X-Road's 0: no limit
    EXPECT_TRUE(random->endpoints.empty());

    // The rights work as X-Road's did: the local group's member on GET /in/..., the global
    // group's members on the SOAP service.
    ASSERT_EQ(conf->access.size(), 2u);
    EXPECT_EQ(conf->access[0].subject, id("LOCALGROUP:friends"));
    EXPECT_EQ(conf->access[0].given_at, "2026-11-29T10:01:00.000Z");
    const XRoadId caller = id("SUBSYSTEM:DEV/COM/1001/CLIENT");
    EXPECT_TRUE(conf->allowed(caller, echo->id, "GET", "/in/x", nullptr));
    EXPECT_FALSE(conf->allowed(caller, echo->id, "POST", "/in/x", nullptr));
    EXPECT_FALSE(conf->allowed(caller, echo->id, "GET", "/out", nullptr));
    EXPECT_EQ(conf->access[1].subject, id("GLOBALGROUP:DEV/security-server-owners"));
    EXPECT_TRUE(conf->access[1].endpoint.is_base());
    ASSERT_EQ(conf->local_groups.size(), 1u);
    EXPECT_EQ(conf->local_groups[0].members, std::vector<XRoadId>{caller});
    EXPECT_EQ(conf->local_groups[0].joined.at(caller), "2026-11-29T10:00:01.500Z");
    ASSERT_EQ(conf->timestamping_services.size(), 1u);
    EXPECT_EQ(conf->timestamping_services[0].url, "http://127.0.0.1:9/tsa");
    EXPECT_EQ(conf->last_id, 30);  // X-Road's ids are kept (32, a WSDL service's endpoint, has none here)

    // What could not come along is said.
    std::string left;
    for (const auto& l : report.not_imported) left += l + "\n";
    EXPECT_NE(left.find("1 API keys"), std::string::npos) << left;
    EXPECT_NE(left.find("timeout of SERVICE:DEV/COM/1234/TestService/getRandom/v1"), std::string::npos) << left;

    // The configuration survives the database's JSON form unchanged.
    auto again = serverconf::ServerConf::from_json(conf->to_json());
    ASSERT_TRUE(again.ok()) << again.error().to_string();
    EXPECT_EQ(again->to_json(), conf->to_json());
  }
}

TEST(ServerconfDump, EveryCutOfARealDumpIsAnError) {
  TempDir dir;
  NEED_DUMP(bytes, dir, "-Z 0");
  for (std::size_t n = 0; n < bytes.size(); n += (n < 4096 ? 1 : 61)) {
    auto dump = backup::read_pg_dump(std::string_view(bytes).substr(0, n));
    if (!dump.ok()) continue;
    Report report;
    (void)server_conf_from_dump(*dump, report);
  }
}

// The smallest serverconf database: the owner, a client, and `extra` identifiers.
backup::PgDump minimal_dump(std::vector<backup::PgRow> extra_identifiers = {}, std::string title = "ok") {
  const std::vector<std::string> id_columns = {"id",          "discriminator", "type",          "xroadinstance",
                                               "memberclass", "membercode",    "subsystemcode", "serviceversion",
                                               "servicecode", "groupcode",     "servercode"};
  backup::PgTable identifiers{"serverconf", "identifier", id_columns, {}};
  identifiers.rows.push_back({"1", "C", "MEMBER", "DEV", "COM", "1234", {}, {}, {}, {}, {}});
  for (auto& r : extra_identifiers) identifiers.rows.push_back(std::move(r));
  backup::PgTable clients{"serverconf",
                          "client",
                          {"id", "conf_id", "identifier", "clientstatus", "isauthentication"},
                          {{"11", "10", "1", "registered", "NOSSL"}}};
  backup::PgTable server{"serverconf", "serverconf", {"id", "servercode", "owner"}, {{"10", "SS0", "11"}}};
  backup::PgTable descriptions{"serverconf",
                               "servicedescription",
                               {"id", "client_id", "url", "disabled", "disablednotice", "refresheddate", "type"},
                               {{"20", "11", "http://x/", "f", {}, {}, "REST"}}};
  backup::PgTable services{
      "serverconf",
      "service",
      {"id", "servicedescription_id", "servicecode", "serviceversion", "title", "url", "sslauthentication", "timeout"},
      {{"21", "20", "echo", {}, title, "http://x/", {}, "60"}}};
  backup::PgDump d;
  d.tables = {identifiers, clients, server, descriptions, services};
  return d;
}

TEST(ServerconfDump, KindsItDoesNotReadArePassedOverAndNonUtf8IsRefused) {
  Report report;
  auto conf =
      server_conf_from_dump(minimal_dump({{"2", "CS", "CENTRALSERVICE", "DEV", {}, {}, {}, {}, "x", {}, {}}}), report);
  ASSERT_TRUE(conf.ok()) << conf.error().to_string();
  EXPECT_EQ(conf->services.size(), 1u);
  std::string left;
  for (const auto& l : report.not_imported) left += l + "\n";
  EXPECT_NE(left.find("an identifier of kind 'CS'"), std::string::npos) << left;

  // A known kind with parts X-Road would not write is the dump's error.
  Report r2;
  auto bad_member =
      server_conf_from_dump(minimal_dump({{"2", "C", "MEMBER", "DEV", "COM", {}, {}, {}, {}, {}, {}}}), r2);
  ASSERT_FALSE(bad_member.ok());
  EXPECT_EQ(bad_member.error().code(), errc::unreadable);

  // The same service twice (which X-Road's database cannot hold) would multiply what is built.
  Report r4;
  backup::PgDump twice = minimal_dump();
  for (auto& t : twice.tables) {
    if (t.name == "service") t.rows.push_back({"22", "20", "echo", {}, "again", "http://x/", {}, "60"});
  }
  auto duplicate = server_conf_from_dump(twice, r4);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.error().detail().find("is there twice"), std::string::npos) << duplicate.error().detail();

  // A title COPY's escapes made of a byte that is not UTF-8: refused before anything is stored
  // (the configuration's JSON could not hold it).
  Report r3;
  auto latin1 = server_conf_from_dump(minimal_dump({}, "caf\xe9"), r3);
  ASSERT_FALSE(latin1.ok());
  EXPECT_EQ(latin1.error().code(), errc::unreadable);
  EXPECT_NE(latin1.error().detail().find("service row 1 holds text that is not UTF-8"), std::string::npos)
      << latin1.error().detail();
}

TEST(ServerconfDump, NotAServerconfDatabase) {
  backup::PgDump empty;
  Report report;
  auto conf = server_conf_from_dump(empty, report);
  ASSERT_FALSE(conf.ok());
  EXPECT_EQ(conf.error().code(), errc::not_xroad);
  EXPECT_EQ(conf.error().fault_code(), "not_xroad_backup");
}

// An archive in X-Road's format: a label, etc/xroad/ with the token, the anchor and the internal
// TLS key, and the dump.
std::string backup_tar(const fs::path& vectors, const std::string& dump, const std::string& label,
                       bool with_keyconf = true) {
  std::ostringstream out;
  backup::TarWriter tar(out);
  EXPECT_TRUE(tar.label(label, 1'700'000'000).ok());
  const fs::path token = vectors / "xroad" / "pki" / "softtoken";
  for (const auto& entry : fs::directory_iterator(token)) {
    const std::string name = entry.path().filename().string();
    if (name == "keyconf.xml" && !with_keyconf) continue;
    EXPECT_TRUE(tar.file("etc/xroad/signer/" + std::string(name.ends_with(".p12") ? "softtoken/" : "") + name,
                         read_file(entry.path()), 0640, 1'700'000'000)
                    .ok());
  }
  EXPECT_TRUE(tar.file("etc/xroad/configuration-anchor.xml",
                       read_file(vectors / "xroad" / "globalconf" / "configuration_anchor_CS_internal.xml"), 0640,
                       1'700'000'000)
                  .ok());
  auto key = crypto::PrivateKey::generate(crypto::KeyType::rsa2048);
  auto cert =
      crypto::issue_certificate({.common_name = "ss0", .usage = crypto::Usage::tls_server}, *key, nullptr, *key);
  EXPECT_TRUE(tar.file("etc/xroad/ssl/internal.p12", *crypto::write_pkcs12(*key, *cert, "internal", "internal"), 0640,
                       1'700'000'000)
                  .ok());
  EXPECT_TRUE(tar.file("etc/xroad/conf.d/local.ini", "[proxy]\nclient-http-port=8080\n; a comment\n", 0640, 1).ok());
  EXPECT_TRUE(tar.file("etc/xroad/services/local.properties", "ignored", 0640, 1).ok());
  if (!dump.empty()) {
    EXPECT_TRUE(tar.file("var/lib/xroad/dbdump.dat", dump, 0640, 1'700'000'000).ok());
  }
  EXPECT_TRUE(tar.finish().ok());
  return out.str();
}

TEST(Takeover, ABackupInXRoadsFormatIsReadWhole) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  TempDir dir;
  NEED_DUMP(dump, dir, "");
  const std::string label = "security_XROAD_7.1_DEV/COM/1234/SS0";
  auto files = read_backup_tar(backup_tar(vectors, dump, label));
  ASSERT_TRUE(files.ok()) << files.error().to_string();
  EXPECT_EQ(files->label, label);
  EXPECT_FALSE(files->etc.contains("services/local.properties"));
  auto t = read_takeover(*files);
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ(t->server, id("SERVER:DEV/COM/1234/SS0"));
  EXPECT_EQ(t->token_keys, 3);
  EXPECT_EQ(t->token_files.size(), 5u);  // keyconf.xml, three keys, the PIN check
  EXPECT_EQ(pin_opens_token(t->token_files, "Secret1234"), true);
  EXPECT_EQ(pin_opens_token(t->token_files, "secret1234"), false);
  EXPECT_NE(t->internal_tls_pem.find("PRIVATE KEY"), std::string::npos);
  EXPECT_NE(t->anchor_xml.find("DEV"), std::string::npos);
  std::string left;
  for (const auto& l : t->report.not_imported) left += l + "\n";
  EXPECT_NE(left.find("conf.d/local.ini's 1 system parameters"), std::string::npos) << left;
}

TEST(Takeover, PartsThatDisagreeOrAreMissingAreRefused) {
  ROADSIDE_REQUIRE_VECTORS(vectors);
  TempDir dir;
  NEED_DUMP(dump, dir, "");
  auto other = read_backup_tar(backup_tar(vectors, dump, "security_XROAD_7.1_DEV/COM/1234/SS9"));
  ASSERT_TRUE(other.ok());
  auto mismatch = read_takeover(*other);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().detail().find("label names server DEV/COM/1234/SS9 but its database is server "
                                           "DEV/COM/1234/SS0"),
            std::string::npos)
      << mismatch.error().detail();

  auto central = read_backup_tar(backup_tar(vectors, dump, "central_XROAD_7.1_CS"));
  ASSERT_FALSE(central.ok());
  EXPECT_EQ(central.error().code(), errc::not_xroad);
  EXPECT_NE(central.error().detail().find("a Central Server's"), std::string::npos);

  auto no_dump = read_backup_tar(backup_tar(vectors, "", "security_XROAD_7.1_DEV/COM/1234/SS0"));
  ASSERT_TRUE(no_dump.ok());
  EXPECT_EQ(read_takeover(*no_dump).error().code(), errc::not_xroad);

  auto no_keys = read_backup_tar(backup_tar(vectors, dump, "security_XROAD_7.1_DEV/COM/1234/SS0", false));
  ASSERT_TRUE(no_keys.ok());
  auto refused = read_takeover(*no_keys);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().detail().find("no signer/keyconf.xml"), std::string::npos);

  EXPECT_EQ(read_backup_tar("not a tar at all").error().code(), errc::not_xroad);
}

}  // namespace
}  // namespace roadside::xroadimport
