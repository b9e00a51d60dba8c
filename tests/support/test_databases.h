// Tests that run on both databases: SQLite in a temporary folder, and a database of its own
// on the PostgreSQL server ctest's "postgres" fixture starts (its address in the file named by
// ROADSIDE_TEST_PG_INFO). Use as the fixture of a TEST_P over storage::Dialect.
#pragma once

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "storage/store.h"
#include "support/test_support.h"

namespace roadside::testing {

struct PgServer {
  std::string host;
  int port = 0;
};

// The PostgreSQL test server, when ctest started one ("host=H port=P" in the info file).
inline std::optional<PgServer> pg_server() {
  const char* info = std::getenv("ROADSIDE_TEST_PG_INFO");
  if (!info) return std::nullopt;
  std::ifstream in(info);
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  const auto h = line.find("host="), p = line.find("port=");
  if (h == std::string::npos || p == std::string::npos) return std::nullopt;
  PgServer s;
  s.host = line.substr(h + 5, line.find(' ', h) - h - 5);
  s.port = std::atoi(line.c_str() + p + 5);
  return s;
}

inline storage::PostgresOptions pg_options(const PgServer& s, const std::string& db) {
  storage::PostgresOptions o;
  o.host = s.host;
  o.port = s.port;
  o.user = "postgres";
  o.database = db;
  o.sslmode = "disable";
  return o;
}

class BothDatabases : public ::testing::TestWithParam<storage::Dialect> {
 protected:
  void SetUp() override {
    if (GetParam() == storage::Dialect::sqlite) return;
    auto server = pg_server();
    if (!server) {
      if (std::getenv("ROADSIDE_TEST_PG_INFO")) FAIL() << "PostgreSQL test server not running (ctest fixture postgres)";
      GTEST_SKIP() << "no PostgreSQL test server (run through ctest, which starts one)";
    }
    pg_ = *server;
    db_name_ = "roadside_test_" + dir_.path().filename().string().substr(14);
    for (auto& c : db_name_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto admin = storage::open_postgres(pg_options(pg_, "postgres"));
    ASSERT_TRUE(admin.ok()) << admin.error().to_string();
    ASSERT_TRUE((*admin)->execute_script("CREATE DATABASE " + db_name_).ok());
  }

  void TearDown() override {
    if (GetParam() == storage::Dialect::postgresql && !db_name_.empty()) {
      auto admin = storage::open_postgres(pg_options(pg_, "postgres"));
      if (admin.ok()) (void)(*admin)->execute_script("DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
    }
  }

  // A new connection to this test's database.
  std::unique_ptr<storage::Connection> open() {
    auto c = GetParam() == storage::Dialect::sqlite ? storage::open_sqlite({dir_ / "roadside.db"})
                                                    : storage::open_postgres(pg_options(pg_, db_name_));
    EXPECT_TRUE(c.ok()) << c.error().to_string();
    return c.ok() ? std::move(c).value() : nullptr;
  }
  // A new connection to a database with every migration applied.
  std::unique_ptr<storage::Connection> open_migrated() {
    storage::Store s(open());
    auto info = s.migrate();
    EXPECT_TRUE(info.ok()) << info.error().to_string();
    return open();
  }

  TempDir dir_;
  PgServer pg_;
  std::string db_name_;
};

inline std::string dialect_name(const ::testing::TestParamInfo<storage::Dialect>& info) {
  return std::string(storage::to_string(info.param));
}

}  // namespace roadside::testing
