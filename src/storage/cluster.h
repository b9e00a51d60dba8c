// What the nodes of a cluster on one PostgreSQL database coordinate with:
//
//   Lease           - a job that must run on one node at a time (OCSP fetches; later
//                     time-stamping and archiving) holds a PostgreSQL session advisory lock
//                     on a connection of its own. A node that dies or loses its connection
//                     loses the lock, and the next node to ask takes it over.
//   ChangeListener  - LISTEN on a channel: a node learns of a configuration change at the
//                     moment its writer commits (NOTIFY is delivered on commit), instead of at
//                     its next poll. Polling stays as the fallback.
//
// On SQLite (one node) a lease is always held and there is nothing to listen to.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "storage/store.h"

namespace roadside::storage {

// The channel configuration writers notify (payload: the new revision).
inline constexpr std::string_view kConfigChannel = "roadside_config";

// Lease keys (64-bit advisory lock keys, ASCII mnemonics).
inline constexpr std::int64_t kOcspLeaseKey = 0x5244534F43535031LL;       // "RDSOCSP1"
inline constexpr std::int64_t kTimestampLeaseKey = 0x5244535453545031LL;  // "RDSTSTP1": message-log time-stamping
inline constexpr std::int64_t kArchiveLeaseKey = 0x5244534D4C415231LL;    // "RDSMLAR1": message-log archiving
inline constexpr std::int64_t kCleanLeaseKey = 0x5244534D4C434C31LL;      // "RDSMLCL1": message-log cleanup
inline constexpr std::int64_t kBackupLeaseKey = 0x5244534241434B31LL;     // "RDSBACK1": the automatic backup

// Sends a notification on `channel` from `c` (PostgreSQL; a no-op on SQLite). Inside a
// transaction it is delivered when the transaction commits, and not at all on rollback.
Status notify(Connection& c, std::string_view channel, std::string_view payload);

class Lease {
 public:
  // `connection` is used for this lease only (a session lock lives as long as its session).
  Lease(std::unique_ptr<Connection> connection, std::int64_t key);
  // Takes the lease when it is free and keeps it when this node holds it already; false
  // when another node holds it or the database cannot be reached (then it is lost: a
  // reconnected session holds no locks).
  bool hold();
  bool held() const { return held_; }

 private:
  std::unique_ptr<Connection> conn_;
  std::int64_t key_;
  bool held_ = false;
};

class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  // Waits up to `timeout` for notifications. True when at least one arrived (all pending
  // ones are consumed), false on timeout. An error when the connection broke; the next call
  // reconnects and listens again (changes in between are found by polling).
  virtual Result<bool> wait(std::chrono::milliseconds timeout) = 0;
};

// A listener on its own connection to the database of `options`.
Result<std::unique_ptr<ChangeListener>> listen_postgres(const PostgresOptions& options, std::string channel);

}  // namespace roadside::storage
