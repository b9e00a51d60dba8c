// The server's database as a component: the data directory, the connection (SQLite for a
// standalone node, PostgreSQL for a cluster's nodes), the schema, the instance's identity
// (made by the first start of a primary or standalone node; a secondary takes the primary's),
// the first administrator, and the readiness check that asks the database on a thread of its
// own (database_probe.h).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "config/config.h"
#include "server/component.h"
#include "server/database_probe.h"
#include "server/readiness.h"
#include "storage/store.h"

namespace roadside::server {

struct DatabaseOptions {
  std::filesystem::path data_dir;
  std::string kind;  // "sqlite" or "postgresql" (database.kind=auto resolved)
  std::filesystem::path sqlite_path;
  storage::PostgresOptions postgres;
  std::string role;  // node.role: standalone, primary or secondary
  std::string admin_user, admin_password;

  static DatabaseOptions from(const config::Config& config);
  bool secondary() const { return role == "secondary"; }
  bool clustered() const { return role != "standalone"; }
};

// Makes the data directory (owner-only) when it is missing; errors say how to choose another.
Status prepare_data_dir(const std::filesystem::path& dir);
// A connection to the configured database.
Result<std::unique_ptr<storage::Connection>> open_database(const DatabaseOptions& options);
// What a command without a running server works on: the data directory prepared, the database
// opened and migrated.
Result<std::unique_ptr<storage::Store>> open_store(const DatabaseOptions& options);

class Database final : public Component {
 public:
  Database(DatabaseOptions options, Readiness& readiness);

  std::string_view name() const override { return "storage"; }
  // Prepares the data directory, opens and migrates the database, makes or finds the
  // instance and the first administrator, and registers the "storage" readiness check.
  Status start() override;

  storage::Store& store() { return *store_; }
  const DatabaseOptions& options() const { return options_; }

 private:
  DatabaseOptions options_;
  Readiness& readiness_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<DatabaseProbe> probe_;  // uses the store: declared after it, destroyed before
};

}  // namespace roadside::server
