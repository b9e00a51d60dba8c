#include "storage/cluster.h"

namespace roadside::storage {

Status notify(Connection& c, std::string_view channel, std::string_view payload) {
  if (c.dialect() != Dialect::postgresql) return {};
  const Value params[] = {std::string(channel), std::string(payload)};
  auto done = c.query("SELECT pg_notify(?, ?)", params);
  if (!done.ok()) return done.error();
  return {};
}

Lease::Lease(std::unique_ptr<Connection> connection, std::int64_t key) : conn_(std::move(connection)), key_(key) {}

bool Lease::hold() {
  if (conn_->dialect() != Dialect::postgresql) return held_ = true;
  // pg_locks shows a bigint advisory key as classid (high 32 bits) and objid (low 32 bits).
  const auto k = static_cast<std::uint64_t>(key_);
  const Value mine[] = {static_cast<std::int64_t>(k >> 32), static_cast<std::int64_t>(k & 0xffffffffu)};
  auto have = conn_->query(
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid() "
      "AND classid::bigint = ? AND objid::bigint = ? AND objsubid = 1",
      mine);
  if (!have.ok()) return held_ = false;
  if (!have->empty() && as_int((*have)[0][0]).value_or(0) > 0) return held_ = true;
  const Value key[] = {key_};
  auto took = conn_->query("SELECT pg_try_advisory_lock(?)", key);
  held_ = took.ok() && !took->empty() && as_int((*took)[0][0]).value_or(0) == 1;
  return held_;
}

}  // namespace roadside::storage
